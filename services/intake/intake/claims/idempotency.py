"""Idempotent registration (`Idempotency-Key`): the stored response, its replay, its expiry.

Only successful responses are stored, in the registration's own transaction; a retry with
the same key and body replays the first answer, the same key with another body is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from intake.claims import repository
from intake.claims.models import IdempotencyKey
from intake.claims.schemas import ClaimCreate
from shared.bsn import BsnVault
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.web.problems import IdempotencyKeyReuse as IdempotencyKeyReuseError


@dataclass(frozen=True)
class IdempotencyRequest:
    """The `Idempotency-Key` of one request and what it is scoped to."""

    key: str
    subject: str
    endpoint: str
    ttl: dt.timedelta
    now: dt.datetime


@dataclass(frozen=True)
class RegistrationResponse:
    """What the API answers: fresh, or replayed from a stored idempotent response."""

    status: int
    body: str
    location: str | None
    replayed: bool


def request_hash(data: ClaimCreate, vault: BsnVault) -> str:
    """SHA-256 of the canonical JSON of the validated body, the BSN replaced by its keyed hash."""
    canonical = data.model_dump(mode="json")
    canonical["bsn"] = vault.lookup_hash(data.bsn) if data.bsn is not None else None
    raw = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _live(stored: IdempotencyKey, idem: IdempotencyRequest) -> bool:
    return stored.created_at > idem.now - idem.ttl


def _replay(
    uow: UnitOfWork, stored: IdempotencyKey, *, idem: IdempotencyRequest, digest: str, actor: Actor
) -> RegistrationResponse:
    if stored.endpoint != idem.endpoint or stored.request_hash != digest:
        raise IdempotencyKeyReuseError(
            "this Idempotency-Key was already used for a different request; use a new key"
        )
    response = RegistrationResponse(
        status=stored.response_status,
        body=stored.response_body,
        location=stored.response_location,
        replayed=True,
    )
    # The replay shows personal data again: audited like a read.
    uow.audit(
        actor=actor,
        action="claim.register_replayed",
        resource_type="claim",
        resource_id=(stored.response_location or "-").rsplit("/", 1)[-1],
    )
    uow.commit()
    return response


def replay_stored(
    uow: UnitOfWork,
    idem: IdempotencyRequest,
    *,
    digest: str,
    actor: Actor,
    delete_expired: bool,
) -> RegistrationResponse | None:
    """The stored response of a live key, replayed (and committed); None when there is none.

    With `delete_expired` an expired key is deleted, so the request starts afresh.
    """
    stored = repository.get_idempotency_key(uow.session, idem.subject, idem.key)
    if stored is None:
        return None
    if _live(stored, idem):
        return _replay(uow, stored, idem=idem, digest=digest, actor=actor)
    if delete_expired:
        repository.delete_idempotency_key(uow.session, stored)
    return None


def store_response(
    uow: UnitOfWork, idem: IdempotencyRequest, *, digest: str, body: str, location: str
) -> None:
    """Keep a 201 for replays, in the registration's transaction (the key's primary key
    makes a concurrent duplicate fail at commit)."""
    repository.add_idempotency_key(
        uow.session,
        IdempotencyKey(
            subject=idem.subject,
            key=idem.key,
            endpoint=idem.endpoint,
            request_hash=digest,
            response_status=201,
            response_body=body,
            response_location=location,
            created_at=idem.now,
        ),
    )
