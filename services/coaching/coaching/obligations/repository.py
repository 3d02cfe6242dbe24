"""Queries of the job-search obligation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from coaching.cases.models import Case
from coaching.obligations.models import (
    CoachTask,
    JobSearchActivity,
    ObligationExemption,
    ObligationPeriod,
    ObligationRegimeRow,
)


def regimes_of(session: Session, case_id: uuid.UUID) -> Sequence[ObligationRegimeRow]:
    """A case's regime history, oldest first."""
    return session.scalars(
        select(ObligationRegimeRow)
        .where(ObligationRegimeRow.case_id == case_id)
        .order_by(ObligationRegimeRow.starts_on)
    ).all()


def regimes_of_many(
    session: Session, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ObligationRegimeRow]]:
    """The regime histories of several cases, oldest first."""
    out: dict[uuid.UUID, list[ObligationRegimeRow]] = defaultdict(list)
    if case_ids:
        for row in session.scalars(
            select(ObligationRegimeRow)
            .where(ObligationRegimeRow.case_id.in_(case_ids))
            .order_by(ObligationRegimeRow.case_id, ObligationRegimeRow.starts_on)
        ):
            out[row.case_id].append(row)
    return out


def activities_of(session: Session, case_id: uuid.UUID) -> Sequence[JobSearchActivity]:
    """Every activity of a case (the rules need the whole history), oldest first."""
    return session.scalars(
        select(JobSearchActivity)
        .where(JobSearchActivity.case_id == case_id)
        .order_by(JobSearchActivity.activity_date, JobSearchActivity.reported_at)
    ).all()


def activities_of_many(
    session: Session, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[JobSearchActivity]]:
    """Every activity of several cases."""
    out: dict[uuid.UUID, list[JobSearchActivity]] = defaultdict(list)
    if case_ids:
        for row in session.scalars(
            select(JobSearchActivity).where(JobSearchActivity.case_id.in_(case_ids))
        ):
            out[row.case_id].append(row)
    return out


def activity_page(
    session: Session, case_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[JobSearchActivity], int]:
    """A page of a case's activities, newest first, and the total."""
    where = JobSearchActivity.case_id == case_id
    total = session.execute(
        select(func.count()).select_from(JobSearchActivity).where(where)
    ).scalar_one()
    rows = session.scalars(
        select(JobSearchActivity)
        .where(where)
        .order_by(
            JobSearchActivity.activity_date.desc(),
            JobSearchActivity.reported_at.desc(),
            JobSearchActivity.id,
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def exemptions_of(session: Session, claim_id: uuid.UUID) -> Sequence[ObligationExemption]:
    """A claim's starters exemptions, oldest first."""
    return session.scalars(
        select(ObligationExemption)
        .where(ObligationExemption.claim_id == claim_id)
        .order_by(ObligationExemption.starts_on, ObligationExemption.reason)
    ).all()


def exemptions_of_many(
    session: Session, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ObligationExemption]]:
    """The starters exemptions of several claims."""
    out: dict[uuid.UUID, list[ObligationExemption]] = defaultdict(list)
    if claim_ids:
        for row in session.scalars(
            select(ObligationExemption).where(ObligationExemption.claim_id.in_(claim_ids))
        ):
            out[row.claim_id].append(row)
    return out


def exemption(
    session: Session, claim_id: uuid.UUID, application_id: uuid.UUID, reason: str
) -> ObligationExemption | None:
    """The exemption of one starters application and reason."""
    return session.scalars(
        select(ObligationExemption).where(
            ObligationExemption.claim_id == claim_id,
            ObligationExemption.application_id == application_id,
            ObligationExemption.reason == reason,
        )
    ).first()


def exemptions_of_application(
    session: Session, claim_id: uuid.UUID, application_id: uuid.UUID
) -> Sequence[ObligationExemption]:
    """Every exemption of one starters application."""
    return session.scalars(
        select(ObligationExemption).where(
            ObligationExemption.claim_id == claim_id,
            ObligationExemption.application_id == application_id,
        )
    ).all()


def periods_of(session: Session, case_id: uuid.UUID) -> Sequence[ObligationPeriod]:
    """A case's evaluated periods, oldest first."""
    return session.scalars(
        select(ObligationPeriod)
        .where(ObligationPeriod.case_id == case_id)
        .order_by(ObligationPeriod.period_start)
    ).all()


def evaluated_starts_of_many(
    session: Session, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[dt.date]]:
    """The start days of the periods already evaluated, per case."""
    out: dict[uuid.UUID, set[dt.date]] = defaultdict(set)
    if case_ids:
        for case_id, start in session.execute(
            select(ObligationPeriod.case_id, ObligationPeriod.period_start).where(
                ObligationPeriod.case_id.in_(case_ids)
            )
        ):
            out[case_id].add(start)
    return out


def last_evaluated_end(session: Session, case_id: uuid.UUID) -> dt.date | None:
    """The last day of the latest evaluated period of a case."""
    value = session.execute(
        select(func.max(ObligationPeriod.period_end)).where(ObligationPeriod.case_id == case_id)
    ).scalar_one()
    return value  # type: ignore[no-any-return]


def evaluated_period_containing(
    session: Session, case_id: uuid.UUID, day: dt.date
) -> ObligationPeriod | None:
    """The evaluated period of a case that contains `day`, if any."""
    return session.scalars(
        select(ObligationPeriod).where(
            ObligationPeriod.case_id == case_id,
            ObligationPeriod.period_start <= day,
            ObligationPeriod.period_end >= day,
        )
    ).first()


def cases_due(
    session: Session, *, cutoff: dt.date, after: uuid.UUID | None, limit: int
) -> Sequence[Case]:
    """Open cases with a regime that may have a closed period not evaluated yet, in id order
    after the cursor (rows locked, skipping those another run holds, on PostgreSQL).

    Every unevaluated closed period starts after the last evaluated period's end E (periods
    are evaluated in order and a new regime never starts before E), so it ends on or after
    E + period_days; closed means it ends before today. Hence a case can only be due when
    E < today - period_days = `cutoff` (E = first WW day - 1 when nothing was evaluated).

    E is stored on the case (`obligation_evaluated_until`, kept by the evaluation, indexed
    with the status), so a chunk costs the same however many periods were ever evaluated.
    """
    until = Case.obligation_evaluated_until
    conditions: list[ColumnElement[bool]] = [
        Case.status == "open",
        Case.registered.is_(True),
        Case.first_ww_day.is_not(None),
        Case.obligation_regime.is_not(None),
        or_(and_(until.is_(None), Case.first_ww_day <= cutoff), until < cutoff),
    ]
    if after is not None:
        conditions.append(Case.id > after)
    return session.scalars(
        select(Case)
        .where(*conditions)
        .order_by(Case.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def latest_status_by_case(
    session: Session, case_ids: Sequence[uuid.UUID], *, before: dt.date
) -> dict[uuid.UUID, str]:
    """The status of each case's latest evaluated period ending before `before` (one query)."""
    if not case_ids:
        return {}
    latest = (
        select(
            ObligationPeriod.case_id.label("case_id"),
            func.max(ObligationPeriod.period_start).label("period_start"),
        )
        .where(ObligationPeriod.case_id.in_(case_ids), ObligationPeriod.period_end < before)
        .group_by(ObligationPeriod.case_id)
        .subquery()
    )
    rows = session.execute(
        select(ObligationPeriod.case_id, ObligationPeriod.status).join(
            latest,
            and_(
                latest.c.case_id == ObligationPeriod.case_id,
                latest.c.period_start == ObligationPeriod.period_start,
            ),
        )
    ).all()
    return {case_id: str(status) for case_id, status in rows}


def task_for(
    session: Session, case_id: uuid.UUID, kind: str, period_start: dt.date
) -> CoachTask | None:
    """The task of a kind for one period of a case, if it exists."""
    return session.scalars(
        select(CoachTask).where(
            CoachTask.case_id == case_id,
            CoachTask.kind == kind,
            CoachTask.period_start == period_start,
        )
    ).first()


def open_tasks_of(session: Session, case_id: uuid.UUID) -> Sequence[CoachTask]:
    """A case's open tasks (locked for update on PostgreSQL)."""
    return session.scalars(
        select(CoachTask)
        .where(CoachTask.case_id == case_id, CoachTask.status == "open")
        .order_by(CoachTask.id)
        .with_for_update()
    ).all()


def _task_scope(
    *,
    coach_id: uuid.UUID | None,
    office_code: str | None,
    today: dt.date,
) -> list[ColumnElement[bool]]:
    # A closed case is read-only, its tasks included: closing cancels its open tasks, and
    # an open task of a closed case (from before that rule) is not listed as to do.
    conditions: list[ColumnElement[bool]] = [or_(CoachTask.status != "open", Case.status == "open")]
    if office_code is not None:
        conditions.append(Case.office_code == office_code)
    if coach_id is not None:
        # The case's coach now (a transfer takes the task along), or the coach covering it.
        conditions.append(
            or_(
                Case.coach_id == coach_id,
                and_(
                    Case.covering_coach_id == coach_id,
                    or_(Case.covering_until.is_(None), Case.covering_until >= today),
                ),
            )
        )
    return conditions


def task_page(
    session: Session,
    *,
    coach_id: uuid.UUID | None,
    office_code: str | None,
    status: str | None,
    today: dt.date,
    limit: int,
    offset: int,
) -> tuple[Sequence[CoachTask], int]:
    """A page of tasks in scope (a coach's cases, an office, or all), earliest due first."""
    conditions = _task_scope(coach_id=coach_id, office_code=office_code, today=today)
    if status is not None:
        conditions.append(CoachTask.status == status)
    base = select(CoachTask).join(Case, Case.id == CoachTask.case_id).where(*conditions)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = session.scalars(
        base.order_by(CoachTask.due_on, CoachTask.created_at, CoachTask.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)
