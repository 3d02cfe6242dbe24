"""Queries over cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from coaching.cases.models import Case

SORTS: dict[str, ColumnElement[Any]] = {
    "opened_at": Case.opened_at.asc(),
    "-opened_at": Case.opened_at.desc(),
    "first_ww_day": Case.first_ww_day.asc(),
    "-first_ww_day": Case.first_ww_day.desc(),
    "probability": Case.probability.asc(),
    "-probability": Case.probability.desc(),
}


def by_claim(session: Session, claim_id: uuid.UUID) -> Case | None:
    """The case of a claim."""
    return session.scalars(select(Case).where(Case.claim_id == claim_id)).first()


def add(session: Session, case: Case) -> None:
    """Stage a new case."""
    session.add(case)


def list_cases(
    session: Session,
    *,
    office_code: str | None,
    coach_id: uuid.UUID | None,
    segment: str | None,
    status: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[Sequence[Case], int]:
    """A filtered, sorted page of cases and the total (only registered claims)."""
    conditions: list[ColumnElement[bool]] = [Case.registered.is_(True)]
    if office_code:
        conditions.append(Case.office_code == office_code)
    if coach_id:
        conditions.append(Case.coach_id == coach_id)
    if segment:
        conditions.append(Case.segment == segment)
    if status:
        conditions.append(Case.status == status)
    total = session.execute(select(func.count()).select_from(Case).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(Case).where(*conditions).order_by(SORTS[sort], Case.id).limit(limit).offset(offset)
    ).all()
    return rows, int(total)
