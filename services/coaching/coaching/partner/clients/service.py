"""Partner-client rules: registration, secret rotation with overlap, suspension, tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from coaching.partner.clients import repository, secrets
from coaching.partner.clients.models import ACTIVE, SUSPENDED, PartnerClient
from coaching.partner.clients.schemas import PartnerClientCreate, PartnerClientUpdate
from shared.db.uow import UnitOfWork
from shared.logging import get_logger
from shared.web.auth import Principal, mint_token
from shared.web.problems import Conflict, NotFound

log = get_logger(__name__)

GRANT_TYPE = "client_credentials"
# Verified when the client id is unknown, so that the answer takes as long as for a known one.
_DUMMY_HASH = secrets.hash_secret("not-a-secret-of-any-client")


@dataclass(frozen=True)
class ClientLimits:
    """A client's abuse limits, read by the partner endpoints that enforce them."""

    requests_per_minute: int
    daily_profile_cap: int


def client_limits(session: Session, client_id: str) -> ClientLimits | None:
    """The client's current limits, or None for an unknown client."""
    client = repository.get(session, client_id)
    if client is None:
        return None
    return ClientLimits(
        requests_per_minute=client.requests_per_minute, daily_profile_cap=client.daily_profile_cap
    )


@dataclass(frozen=True)
class Defaults:
    """Configured defaults of new clients and rotations."""

    requests_per_minute: int
    daily_profile_cap: int
    rotation_overlap_hours: int


def _snapshot(client: PartnerClient) -> dict[str, Any]:
    """What the audit log keeps of a client: never a secret or a hash of one."""
    return {
        "name": client.name,
        "scopes": list(client.scopes),
        "requests_per_minute": client.requests_per_minute,
        "daily_profile_cap": client.daily_profile_cap,
        "status": client.status,
    }


def _load(uow: UnitOfWork, client_id: str, *, lock: bool = False) -> PartnerClient:
    client = (repository.get_for_update if lock else repository.get)(uow.session, client_id)
    if client is None:
        raise NotFound("no such partner client")
    return client


def create_client(
    *,
    uow: UnitOfWork,
    data: PartnerClientCreate,
    principal: Principal,
    defaults: Defaults,
    now: dt.datetime,
) -> tuple[PartnerClient, str]:
    """Register a client; returns it with its secret (the only time the secret exists)."""
    secret = secrets.new_secret()
    client = PartnerClient(
        client_id=secrets.new_client_id(),
        name=data.name,
        secret_hash=secrets.hash_secret(secret),
        scopes=sorted({s.value for s in data.scopes}),
        requests_per_minute=data.requests_per_minute or defaults.requests_per_minute,
        daily_profile_cap=(
            defaults.daily_profile_cap if data.daily_profile_cap is None else data.daily_profile_cap
        ),
        status=ACTIVE,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    repository.add(uow.session, client)
    uow.audit(
        actor=principal.as_actor(),
        action="partner_client.create",
        resource_type="partner_client",
        resource_id=client.client_id,
        new=_snapshot(client),
    )
    uow.commit()
    return client, secret


def get_client(*, uow: UnitOfWork, client_id: str) -> PartnerClient:
    """One client."""
    return _load(uow, client_id)


def update_client(
    *,
    uow: UnitOfWork,
    client_id: str,
    data: PartnerClientUpdate,
    principal: Principal,
    now: dt.datetime,
) -> PartnerClient:
    """Change name, scopes or limits; reduced scopes apply to tokens already issued."""
    client = _load(uow, client_id, lock=True)
    old = _snapshot(client)
    changes = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    if "scopes" in changes:
        changes["scopes"] = sorted(set(changes["scopes"]))
    for field, value in changes.items():
        setattr(client, field, value)
    client.updated_at = now
    uow.audit(
        actor=principal.as_actor(),
        action="partner_client.update",
        resource_type="partner_client",
        resource_id=client.client_id,
        old=old,
        new=_snapshot(client),
    )
    uow.commit()
    return client


def rotate_secret(
    *,
    uow: UnitOfWork,
    client_id: str,
    overlap_hours: int,
    principal: Principal,
    now: dt.datetime,
) -> tuple[PartnerClient, str]:
    """A new secret; the current one keeps working for `overlap_hours` (one previous secret
    at most: rotating again within the overlap ends the older secret at once)."""
    client = _load(uow, client_id, lock=True)
    secret = secrets.new_secret()
    if overlap_hours > 0:
        client.previous_secret_hash = client.secret_hash
        client.previous_secret_expires_at = now + dt.timedelta(hours=overlap_hours)
    else:
        client.previous_secret_hash = None
        client.previous_secret_expires_at = None
    client.secret_hash = secrets.hash_secret(secret)
    client.secret_rotated_at = client.updated_at = now
    uow.audit(
        actor=principal.as_actor(),
        action="partner_client.rotate_secret",
        resource_type="partner_client",
        resource_id=client.client_id,
        new={
            "overlap_hours": overlap_hours,
            "previous_secret_expires_at": (
                client.previous_secret_expires_at.isoformat()
                if client.previous_secret_expires_at
                else None
            ),
        },
    )
    uow.commit()
    return client, secret


def suspend_client(
    *, uow: UnitOfWork, client_id: str, reason: str, principal: Principal, now: dt.datetime
) -> PartnerClient:
    """Suspend a client: its next request is refused, whatever tokens it holds."""
    client = _load(uow, client_id, lock=True)
    if client.status == SUSPENDED:
        raise Conflict("the partner client is already suspended")
    old = _snapshot(client)
    client.status = SUSPENDED
    client.suspension_reason = reason
    client.suspended_at = client.updated_at = now
    uow.audit(
        actor=principal.as_actor(),
        action="partner_client.suspend",
        resource_type="partner_client",
        resource_id=client.client_id,
        reason=reason,
        old=old,
        new=_snapshot(client),
    )
    uow.commit()
    return client


def resume_client(
    *, uow: UnitOfWork, client_id: str, principal: Principal, now: dt.datetime
) -> PartnerClient:
    """Lift a suspension."""
    client = _load(uow, client_id, lock=True)
    if client.status != SUSPENDED:
        raise Conflict("the partner client is not suspended")
    old = _snapshot(client)
    client.status = ACTIVE
    client.suspension_reason = None
    client.suspended_at = None
    client.updated_at = now
    uow.audit(
        actor=principal.as_actor(),
        action="partner_client.resume",
        resource_type="partner_client",
        resource_id=client.client_id,
        old=old,
        new=_snapshot(client),
    )
    uow.commit()
    return client


# --- the token endpoint ----------------------------------------------------------------------


class OAuthTokenError(Exception):
    """An RFC 6749 section 5.2 error (answered as OAuth2 JSON, not problem+json)."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class TokenSigner:
    """What a token is signed with and for whom."""

    key: ec.EllipticCurvePrivateKey
    issuer: str
    audience: str
    ttl: dt.timedelta


@dataclass(frozen=True)
class IssuedToken:
    """A minted access token and the scopes it carries."""

    access_token: str
    expires_in: int
    scopes: list[str]


def _secret_matches(client: PartnerClient, secret: str, now: dt.datetime) -> bool:
    if secrets.verify_secret(secret, client.secret_hash):
        return True
    return (
        client.previous_secret_hash is not None
        and client.previous_secret_expires_at is not None
        and now < client.previous_secret_expires_at
        and secrets.verify_secret(secret, client.previous_secret_hash)
    )


def issue_token(
    *,
    uow: UnitOfWork,
    grant_type: str | None,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
    signer: TokenSigner,
    now: dt.datetime,
) -> IssuedToken:
    """Client-credentials grant: check the grant, the client and its secret, then the scope."""
    if not grant_type:
        raise OAuthTokenError("invalid_request", "grant_type is required")
    if grant_type != GRANT_TYPE:
        raise OAuthTokenError("unsupported_grant_type", "only client_credentials is supported")
    if not client_id or not client_secret:
        raise OAuthTokenError("invalid_client", "client authentication is required", status=401)
    client = repository.get(uow.session, client_id) if len(client_id) <= 40 else None
    if client is None:
        secrets.verify_secret(client_secret, _DUMMY_HASH)
        raise OAuthTokenError("invalid_client", "client authentication failed", status=401)
    if not _secret_matches(client, client_secret, now):
        raise OAuthTokenError("invalid_client", "client authentication failed", status=401)
    if client.status == SUSPENDED:
        raise OAuthTokenError("invalid_grant", "the client is suspended")
    allowed = set(client.scopes)
    requested = set(scope.split()) if scope and scope.strip() else allowed
    if not requested <= allowed:
        raise OAuthTokenError("invalid_scope", "a requested scope is not granted to the client")
    granted = sorted(requested)
    token = mint_token(
        signer.key,
        subject=client.client_id,
        issuer=signer.issuer,
        audience=signer.audience,
        client_id=client.client_id,
        scopes=granted,
        ttl=signer.ttl,
        now=now,
    )
    log.info("partner.token_issued", client_id=client.client_id, scope=" ".join(granted))
    return IssuedToken(
        access_token=token, expires_in=int(signer.ttl.total_seconds()), scopes=granted
    )
