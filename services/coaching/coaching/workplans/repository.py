"""Queries over work plan activities."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from coaching.workplans.models import WorkPlanActivity

OPEN_STATUSES = ("planned", "in_progress")

SORTS: dict[str, ColumnElement[Any]] = {
    "due_on": WorkPlanActivity.due_on.asc(),
    "-due_on": WorkPlanActivity.due_on.desc(),
    "created_at": WorkPlanActivity.created_at.asc(),
    "-created_at": WorkPlanActivity.created_at.desc(),
}


def add(session: Session, activity: WorkPlanActivity) -> None:
    """Stage a new activity."""
    session.add(activity)


def by_id(
    session: Session, case_id: uuid.UUID, activity_id: uuid.UUID, *, for_update: bool = False
) -> WorkPlanActivity | None:
    """An activity of a case (None if it belongs to another case); `for_update` locks the
    row until the commit, so two concurrent updates of one version cannot both pass."""
    query = select(WorkPlanActivity).where(
        WorkPlanActivity.id == activity_id, WorkPlanActivity.case_id == case_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def by_idempotency_key(session: Session, case_id: uuid.UUID, key: str) -> WorkPlanActivity | None:
    """The activity created on a case with an `Idempotency-Key`."""
    return session.scalars(
        select(WorkPlanActivity).where(
            WorkPlanActivity.case_id == case_id, WorkPlanActivity.idempotency_key == key
        )
    ).first()


def list_activities(
    session: Session,
    *,
    case_id: uuid.UUID,
    statuses: Sequence[str],
    kind: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[Sequence[WorkPlanActivity], int]:
    """A filtered, sorted page of a case's activities and the total of matches."""
    conditions: list[ColumnElement[bool]] = [WorkPlanActivity.case_id == case_id]
    if statuses:
        conditions.append(WorkPlanActivity.status.in_(list(statuses)))
    if kind:
        conditions.append(WorkPlanActivity.kind == kind)
    total = session.execute(
        select(func.count()).select_from(WorkPlanActivity).where(*conditions)
    ).scalar_one()
    rows = session.scalars(
        select(WorkPlanActivity)
        .where(*conditions)
        .order_by(SORTS[sort], WorkPlanActivity.created_at, WorkPlanActivity.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def open_counts(session: Session, case_id: uuid.UUID, today: dt.date) -> tuple[int, int]:
    """The case's open activities (planned or in progress) and how many are overdue."""
    row = session.execute(
        select(
            func.count(),
            func.count().filter(WorkPlanActivity.due_on < today),
        ).where(WorkPlanActivity.case_id == case_id, WorkPlanActivity.status.in_(OPEN_STATUSES))
    ).one()
    return int(row[0]), int(row[1])
