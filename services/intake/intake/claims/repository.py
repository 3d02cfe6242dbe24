"""Queries over claims; the only module that touches the claims table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from intake.claims.models import Claim


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
}


def list_claims(
    session: Session,
    *,
    office_code: str | None,
    status: str | None,
    first_ww_day_from: dt.date | None,
    first_ww_day_to: dt.date | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[Sequence[Claim], int]:
    """A filtered, sorted page of claims and the total number of matches."""
    conditions: list[ColumnElement[bool]] = []
    if office_code:
        conditions.append(Claim.office_code == office_code)
    if status:
        conditions.append(Claim.status == status)
    if first_ww_day_from:
        conditions.append(Claim.first_ww_day >= first_ww_day_from)
    if first_ww_day_to:
        conditions.append(Claim.first_ww_day <= first_ww_day_to)
    total = session.execute(select(func.count()).select_from(Claim).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(Claim).where(*conditions).order_by(SORTS[sort], Claim.id).limit(limit).offset(offset)
    ).all()
    return rows, int(total)
