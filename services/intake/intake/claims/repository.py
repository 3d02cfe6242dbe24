"""Queries over claims; the only module that touches the claims table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from intake.claims.models import Claim, IdempotencyKey
from intake.claims.schemas import ClaimFilter
from intake.db import AuditLog


def get(session: Session, claim_id: uuid.UUID) -> Claim | None:
    """A claim by id."""
    return session.get(Claim, claim_id)


def find_open_by_bsn_hash(session: Session, bsn_hash: str) -> Claim | None:
    """The open claim of a BSN, if any."""
    return session.scalars(
        select(Claim).where(Claim.bsn_hash == bsn_hash, Claim.status == "open")
    ).first()


def find_by_bsn_hash(session: Session, bsn_hash: str) -> Sequence[Claim]:
    """Every claim of a BSN, newest first."""
    return session.scalars(
        select(Claim).where(Claim.bsn_hash == bsn_hash).order_by(Claim.registered_at.desc())
    ).all()


def add(session: Session, claim: Claim) -> None:
    """Stage a new claim."""
    session.add(claim)


SORTS: dict[str, ColumnElement[Any]] = {
    "registered_at": Claim.registered_at.asc(),
    "-registered_at": Claim.registered_at.desc(),
    "first_ww_day": Claim.first_ww_day.asc(),
    "-first_ww_day": Claim.first_ww_day.desc(),
    "family_name": func.lower(Claim.family_name).asc(),
    "-family_name": func.lower(Claim.family_name).desc(),
}


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_claims(
    session: Session,
    *,
    filters: ClaimFilter,
    sort: str,
    limit: int,
    offset: int,
    scope: ColumnElement[bool] | None = None,
) -> tuple[Sequence[Claim], int]:
    """A filtered, sorted page of claims and the total number of matches; `scope` is the
    caller's need-to-know condition (`intake.access`)."""
    f = filters
    conditions: list[ColumnElement[bool]] = [] if scope is None else [scope]
    if f.office_code:
        conditions.append(Claim.office_code == f.office_code)
    if f.status:
        conditions.append(Claim.status == f.status)
    if f.first_ww_day_from:
        conditions.append(Claim.first_ww_day >= f.first_ww_day_from)
    if f.first_ww_day_to:
        conditions.append(Claim.first_ww_day <= f.first_ww_day_to)
    if f.registered_from:
        conditions.append(Claim.registered_at >= f.registered_from)
    if f.registered_to:
        conditions.append(Claim.registered_at < f.registered_to)
    if f.channel:
        conditions.append(Claim.channel == f.channel.value)
    if f.needs_attention is not None:
        conditions.append(
            Claim.attention_reason.is_not(None)
            if f.needs_attention
            else Claim.attention_reason.is_(None)
        )
    if f.ids is not None:
        conditions.append(Claim.id.in_(f.ids))
    if f.family_name:
        prefix = _escape_like(f.family_name.lower()) + "%"
        conditions.append(func.lower(Claim.family_name).like(prefix, escape="\\"))
    total = session.execute(select(func.count()).select_from(Claim).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(Claim).where(*conditions).order_by(SORTS[sort], Claim.id).limit(limit).offset(offset)
    ).all()
    return rows, int(total)


def get_idempotency_key(session: Session, subject: str, key: str) -> IdempotencyKey | None:
    """The stored response for a caller's key, if any (expired or not)."""
    return session.get(IdempotencyKey, (subject, key), populate_existing=True)


def delete_idempotency_key(session: Session, row: IdempotencyKey) -> None:
    """Forget one key (an expired one about to be reused); flushed so a new row may follow."""
    session.delete(row)
    session.flush()


def add_idempotency_key(session: Session, row: IdempotencyKey) -> None:
    """Stage a stored response."""
    session.add(row)


def purge_idempotency_keys(session: Session, *, created_before: dt.datetime) -> int:
    """Delete every key created before the cut-off; returns how many."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < created_before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def lock(session: Session, claim_id: uuid.UUID) -> Claim | None:
    """A claim by id, locked for update (a concurrent close, withdrawal or change waits)."""
    return session.scalars(
        select(Claim)
        .where(Claim.id == claim_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def refusals_since(
    session: Session, *, actor: str, action: str, since: dt.datetime
) -> list[dt.datetime]:
    """When the actor's audit rows of `action` since `since` occurred, oldest first."""
    return list(
        session.scalars(
            select(AuditLog.occurred_at)
            .where(
                AuditLog.occurred_at >= since,
                AuditLog.actor == actor,
                AuditLog.action == action,
            )
            .order_by(AuditLog.occurred_at)
        )
    )
