"""`partner_access(scope)`: the FastAPI dependency that guards every partner endpoint.

It answers, in this order (docs/partner-api.md, "Errors"):

- **401** `unauthorized` with `WWW-Authenticate: Bearer error="invalid_token"`: no bearer
  token, or a token that is malformed, wrongly signed or expired.
- **403** `forbidden`: a valid token that is not a partner application's.
- **403** `forbidden` with `WWW-Authenticate: Bearer error="insufficient_scope",
  scope="<scope>"`: the token lacks the scope the endpoint needs; the detail names the
  scope. Checked before the database is touched, so such requests cost no query.
- **401** as above: the token's client id is not registered (any more); fetch a new token.
- **403** `forbidden`: the client is suspended. Checked on every request, so a suspension
  takes effect on the next request even while the client's tokens have not expired (and
  fetching a new token fails too). 403, not 401, because a new token would not help.
- **429** `rate-limited` with `Retry-After` (seconds): the client used up its requests for
  the current minute. Every request that gets this far counts, including refused ones (so
  hammering does not pay).
- **403** `insufficient_scope` again if an admin removed the scope from the client since the
  token was issued (the token's scopes are intersected with the client's current ones).

The rate limit is a fixed one-minute window per client, counted in the database so that
every API replica shares it: one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` per
request, atomic on PostgreSQL and on SQLite. A fixed window lets a client send up to twice
its limit around a window boundary; that is accepted for its simplicity (one row per
client per minute).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import HTTPException, Request

from coaching.partner.clients import repository
from coaching.partner.clients.models import SUSPENDED
from coaching.partner.clients.service import ClientLimits, client_limits
from shared.db.types import utcnow
from shared.logging import get_logger
from shared.runtime import ServiceContainer
from shared.web.auth import Principal, TokenVerifier, load_or_create_local_key
from shared.web.problems import Problem, Unauthorized

__all__ = [
    "RATE_WINDOW_S",
    "ClientLimits",
    "PartnerConfigurationError",
    "check_partner_configuration",
    "client_limits",
    "partner_access",
    "partner_now",
    "partner_signing_key",
    "partner_verifier",
    "rate_window",
]

log = get_logger(__name__)

RATE_WINDOW_S = 60

_CLOCK = "partner_clock"
_KEY = "partner_signing_key"
_VERIFIER = "partner_verifier"


def partner_now(container: ServiceContainer) -> dt.datetime:
    """The partner API's current time; tests put a callable in `container.state["partner_clock"]`."""
    clock: Callable[[], dt.datetime] = container.state.get(_CLOCK, utcnow)
    return clock()


class PartnerConfigurationError(Problem):
    """The partner API is not configured for this environment (503 if it reaches a request;
    `create_app` raises it at start)."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"


def check_partner_configuration(settings: Any) -> None:
    """Refuse production without a shared partner signing key.

    Outside production the key defaults to the dev key (`auth_local_key_file`, created on
    first use). In production that would give every replica its own key (tokens failing
    at random on another replica) and sign with a key nobody manages: the key must come
    from `COACHING_PARTNER_SIGNING_KEY_FILE` (a mounted Secret) and must exist.
    """
    if getattr(settings, "environment", None) != "prod":
        return
    path = getattr(settings, "partner_signing_key_file", None)
    if path is None:
        raise PartnerConfigurationError(
            "partner API misconfigured: production requires COACHING_PARTNER_SIGNING_KEY_FILE "
            "(the EC P-256 key shared by every replica, mounted from a Secret)"
        )
    if not path.is_file():
        raise PartnerConfigurationError(
            f"partner API misconfigured: COACHING_PARTNER_SIGNING_KEY_FILE {path} does not "
            "exist (production never creates a signing key)"
        )


def partner_signing_key(container: ServiceContainer) -> ec.EllipticCurvePrivateKey:
    """The EC key that signs partner access tokens (loaded once per container).

    Raises `PartnerConfigurationError` (503) in production without a configured key."""
    key = container.state.get(_KEY)
    if key is None:
        settings: Any = container.settings
        check_partner_configuration(settings)
        path = settings.partner_signing_key_file or settings.auth_local_key_file
        key = container.state[_KEY] = load_or_create_local_key(path)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def partner_verifier(container: ServiceContainer) -> TokenVerifier:
    """Verifies partner tokens against the partner signing key (in every auth mode)."""
    verifier = container.state.get(_VERIFIER)
    if verifier is None:
        s = container.settings
        verifier = container.state[_VERIFIER] = TokenVerifier(
            issuer=s.auth_issuer,
            audience=s.auth_audience,
            public_key=partner_signing_key(container).public_key(),
            leeway_s=s.auth_leeway_s,
        )
    assert isinstance(verifier, TokenVerifier)
    return verifier


def rate_window(now: dt.datetime, window_s: int = RATE_WINDOW_S) -> tuple[int, int]:
    """(start of the fixed window holding `now` in epoch seconds, seconds until it ends >= 1)."""
    ts = now.timestamp()
    start = int(ts // window_s) * window_s
    return start, max(1, math.ceil(start + window_s - ts))


def _forbidden(detail: str, *, scope: str | None = None) -> HTTPException:
    headers = (
        {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'}
        if scope
        else None
    )
    return HTTPException(status_code=403, detail=detail, headers=headers)


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    return token.strip()


def _check_client(container: ServiceContainer, principal: Principal, now: dt.datetime) -> Principal:
    """Client status and rate limit in one short transaction; the count is committed."""
    assert principal.client_id is not None
    start, retry_after = rate_window(now)
    with container.uow() as uow:
        client = repository.get(uow.session, principal.client_id)
        if client is None:
            raise Unauthorized("the token's client is not registered")
        if client.status == SUSPENDED:
            raise _forbidden("the partner client is suspended")
        hits = repository.hit_rate_window(
            uow.session, client_id=client.client_id, window_start=start
        )
        if hits == 1:  # the first request of a window clears the client's old windows
            repository.purge_rate_windows(uow.session, client_id=client.client_id, before=start)
        limit = client.requests_per_minute
        allowed = frozenset(client.scopes)
        uow.commit()
    if hits > limit:
        log.info("partner.rate_limited", client_id=principal.client_id, limit=limit)
        raise HTTPException(
            status_code=429,
            detail=f"rate limit of {limit} requests per minute exceeded",
            headers={"Retry-After": str(retry_after)},
        )
    return dataclasses.replace(principal, scopes=principal.scopes & allowed)


def partner_access(scope: str, *others: str) -> Callable[[Request], Principal]:
    """Dependency factory: the partner application holding `scope` or any of `others`
    (401/403/429 otherwise)."""
    wanted = frozenset((scope, *others))
    # RFC 6750: the scopes are space-separated; "any of" is spelled out in the detail.
    named = " ".join(sorted(wanted))
    needs = f"one of the scopes {', '.join(sorted(wanted))}" if others else f"the scope {scope}"

    def dependency(request: Request) -> Principal:
        container: ServiceContainer = request.app.state.container
        principal = partner_verifier(container).verify(_bearer_token(request))
        if principal.kind != "application" or not principal.client_id:
            raise _forbidden("this endpoint is for partner applications")
        if not wanted & principal.scopes:
            raise _forbidden(f"the token lacks {needs}", scope=named)
        principal = _check_client(container, principal, partner_now(container))
        request.state.principal = principal
        if not wanted & principal.scopes:
            raise _forbidden(f"the client no longer holds {needs}", scope=named)
        return principal

    dependency.__name__ = f"partner_access_{scope.replace(':', '_')}"
    return dependency
