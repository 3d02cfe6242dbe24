"""Queries over cases."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, defer

from coaching.cases.models import Case
from coaching.coaches.models import Coach
from shared.clock import local_today

SORTS: dict[str, ColumnElement[Any]] = {
    "opened_at": Case.opened_at.asc(),
    "-opened_at": Case.opened_at.desc(),
    "first_ww_day": Case.first_ww_day.asc(),
    "-first_ww_day": Case.first_ww_day.desc(),
    # Weeks in WW grow as the first WW day lies further back.
    "weeks_in_ww": Case.first_ww_day.desc().nulls_last(),
    "-weeks_in_ww": Case.first_ww_day.asc().nulls_last(),
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
    assignment_status: str | None = None,
    no_show_flag: bool | None = None,
    today: dt.date | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Case], int]:
    """A filtered, sorted page of cases and the total (only registered claims)."""
    conditions: list[ColumnElement[bool]] = [Case.registered.is_(True)]
    if office_code:
        conditions.append(Case.office_code == office_code)
    if coach_id:
        # A coach's caseload: own cases and the cases they cover for an absent colleague.
        day = today or local_today()
        conditions.append(
            or_(
                Case.coach_id == coach_id,
                and_(
                    Case.covering_coach_id == coach_id,
                    or_(Case.covering_until.is_(None), Case.covering_until >= day),
                ),
            )
        )
    if segment:
        conditions.append(Case.segment == segment)
    if status:
        conditions.append(Case.status == status)
    if assignment_status:
        conditions.append(Case.assignment_status == assignment_status)
    if no_show_flag is not None:
        conditions.append(Case.no_show_flag.is_(no_show_flag))
    total = session.execute(select(func.count()).select_from(Case).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(Case)
        # The list never shows the score factors (about 1.3 KB of JSON per case).
        .options(defer(Case.score_factors))
        .where(*conditions)
        .order_by(SORTS[sort], Case.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def office_caseload(session: Session, office_code: str) -> tuple[list[tuple[Coach, int]], int, int]:
    """An office's coaches with their open cases (active coaches, and deactivated ones still
    carrying open cases), the office's unassigned queue length and its open digital cases."""
    coaches = session.scalars(select(Coach).where(Coach.office_code == office_code)).all()
    loads: dict[uuid.UUID | None, int] = {}
    if coaches:
        loads = {
            coach_id: int(n)
            for coach_id, n in session.execute(
                select(Case.coach_id, func.count())
                .where(Case.coach_id.in_([c.id for c in coaches]), Case.status == "open")
                .group_by(Case.coach_id)
            ).all()
        }
    listed = [(c, loads.get(c.id, 0)) for c in coaches if c.active or loads.get(c.id, 0) > 0]
    by_status = dict(
        session.execute(
            select(Case.assignment_status, func.count())
            .where(
                Case.office_code == office_code,
                Case.status == "open",
                Case.coach_id.is_(None),
                Case.assignment_status.in_(("unassigned", "digital")),
            )
            .group_by(Case.assignment_status)
        ).all()
    )
    return listed, int(by_status.get("unassigned", 0)), int(by_status.get("digital", 0))
