"""Idempotency keys of the partner API: replay a stored response instead of acting twice.

Usage, inside the unit of work that makes the change (see `vacancies.service`):

    stored = replay(uow, client_id=..., key=..., method="POST", path=..., body=payload)
    if stored is not None:
        return stored                        # same key, same request: the first answer
    ...make the change, publish, audit...
    remember(uow, client_id=..., key=..., method="POST", path=..., body=payload,
             status_code=201, response=response_json)
    uow.commit()                             # change and key commit together, or neither

A concurrent duplicate (same client and key, both past `replay` before either committed)
fails at `remember` or at commit with an IntegrityError on `uq_partner_idempotency_keys_
client_id_key` (PostgreSQL makes the second insert wait for the first transaction). Its
whole transaction rolls back; the caller then runs the same function once more in a fresh
unit of work, where `replay` finds the committed row: `run_idempotent(container.uow, fn)`
does exactly that.

Keys are kept 24 hours (`RETENTION`) as documented to partners; a purge job is not built
yet, so rows currently stay longer, which is harmless (a reused key still replays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import BigIntPK, JSONType, UTCDateTime, utcnow
from shared.db.uow import UnitOfWork
from shared.web.problems import InvalidField

HEADER = "Idempotency-Key"
RETENTION = dt.timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, no spaces

T = TypeVar("T")

__all__ = ["HEADER", "RETENTION", "check_key", "remember", "replay", "run_idempotent"]


class PartnerIdempotencyKey(Base):
    """The first response to a partner's request with an `Idempotency-Key`."""

    __tablename__ = "partner_idempotency_keys"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def _header_error(message: str) -> InvalidField:
    exc = InvalidField(HEADER, message)
    exc.extra["errors"][0]["location"] = "header"
    return exc


def check_key(key: str | None) -> str:
    """The key if it is 1-200 visible ASCII characters, else 422 naming Idempotency-Key."""
    if key is None or key == "":
        raise _header_error("the header is required")
    if not _KEY.match(key):
        raise _header_error("must be 1-200 visible ASCII characters")
    return key


def body_hash(body: Any) -> str:
    """SHA-256 of the canonical JSON of the body (sorted keys, no whitespace)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(
    uow: UnitOfWork, *, client_id: str, key: str, method: str, path: str, body: Any
) -> tuple[int, dict[str, Any]] | None:
    """The stored (status, response) of this key's first request, or None if the key is new.

    Raises InvalidField (422) when the key was used with a different method, path or body.
    """
    check_key(key)
    row = uow.session.scalars(
        select(PartnerIdempotencyKey).where(
            PartnerIdempotencyKey.client_id == client_id, PartnerIdempotencyKey.key == key
        )
    ).one_or_none()
    if row is None:
        return None
    if row.method != method.upper() or row.path != path or row.body_hash != body_hash(body):
        raise _header_error("reused with a different request")
    return row.status_code, dict(row.response)


def remember(
    uow: UnitOfWork,
    *,
    client_id: str,
    key: str,
    method: str,
    path: str,
    body: Any,
    status_code: int,
    response: dict[str, Any],
) -> None:
    """Store the response in the caller's transaction (flushed now, so a duplicate fails here)."""
    uow.session.add(
        PartnerIdempotencyKey(
            client_id=client_id,
            key=check_key(key),
            method=method.upper(),
            path=path,
            body_hash=body_hash(body),
            status_code=status_code,
            response=response,
            created_at=utcnow(),
        )
    )
    uow.session.flush()


def is_duplicate_key(exc: IntegrityError) -> bool:
    """True if the error is the idempotency key's unique constraint."""
    return "partner_idempotency_keys" in str(exc.orig)


def run_idempotent(uow_factory: Callable[[], UnitOfWork], fn: Callable[[UnitOfWork], T]) -> T:
    """Run `fn` in a unit of work; after losing a race on the key, run it once more (it replays)."""
    try:
        with uow_factory() as uow:
            return fn(uow)
    except IntegrityError as exc:
        if not is_duplicate_key(exc):
            raise
    with uow_factory() as uow:
        return fn(uow)
