"""What a caseload row shows besides the case itself: the next action and the job-search
obligation status, for a page of cases in a fixed number of queries (not per case).

The next action of an open case with a coach is the earliest dated thing waiting on it:

- an open coach task (e.g. `obligation_missed`: "follow up obligation_missed"), on its due day;
- a planned contact moment: "contact on <day>" (its planned day, Dutch calendar; a
  planned contact whose time has passed without being recorded shows the same way, so it
  stays on top until the coach records it as held or a no-show);
- an overdue work-plan activity (planned or in progress, due before today): "review
  overdue activity", on its due day.

Ties on a day go in that order. Without any of these: "plan first contact" while no contact
was ever held, else "plan next contact". Cases without a coach keep the simple rules of
`coaching.cases.reads.next_action` (check-in, assign coach, await triage/intake).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.cases.models import Case
from coaching.contacts.models import ContactMoment
from coaching.obligations import repository as obligations
from coaching.obligations.models import CoachTask
from coaching.workplans.models import WorkPlanActivity
from shared.clock import LOCAL_TZ


@dataclass(frozen=True)
class Summary:
    """The computed caseload fields of one case."""

    next_action: str | None
    next_action_on: dt.date | None
    obligation_status: str | None


def _coach_action(
    case_id: uuid.UUID,
    tasks: dict[uuid.UUID, tuple[dt.date, str]],
    contacts: dict[uuid.UUID, dt.datetime],
    overdue: dict[uuid.UUID, dt.date],
    held: set[uuid.UUID],
) -> tuple[str, dt.date | None]:
    candidates: list[tuple[dt.date, int, str]] = []
    if case_id in tasks:
        due, kind = tasks[case_id]
        candidates.append((due, 0, f"follow up {kind}"))
    if case_id in contacts:
        day = contacts[case_id].astimezone(LOCAL_TZ).date()
        candidates.append((day, 1, f"contact on {day.isoformat()}"))
    if case_id in overdue:
        candidates.append((overdue[case_id], 2, "review overdue activity"))
    if candidates:
        day, _, action = min(candidates)
        return action, day
    return ("plan next contact" if case_id in held else "plan first contact"), None


def summarise(
    session: Session,
    cases: Sequence[Case],
    today: dt.date,
    *,
    simple: dict[uuid.UUID, tuple[str | None, dt.date | None]],
) -> dict[uuid.UUID, Summary]:
    """Summaries of `cases` (keyed by case id); `simple` holds each case's next action from
    the case alone (`service.next_action`), used unless the case is open with a coach."""
    ids = [c.id for c in cases]
    if not ids:
        return {}
    statuses = obligations.latest_status_by_case(session, ids, before=today)
    coached = [c.id for c in cases if c.status == "open" and c.coach_id is not None]
    tasks: dict[uuid.UUID, tuple[dt.date, str]] = {}
    contacts: dict[uuid.UUID, dt.datetime] = {}
    overdue: dict[uuid.UUID, dt.date] = {}
    held: set[uuid.UUID] = set()
    if coached:
        for case_id, due, kind in session.execute(
            select(CoachTask.case_id, CoachTask.due_on, CoachTask.kind)
            .where(CoachTask.case_id.in_(coached), CoachTask.status == "open")
            .order_by(CoachTask.due_on, CoachTask.kind)
        ):
            tasks.setdefault(case_id, (due, kind))
        contacts = dict(
            session.execute(
                select(ContactMoment.case_id, func.min(ContactMoment.planned_at))
                .where(ContactMoment.case_id.in_(coached), ContactMoment.status == "planned")
                .group_by(ContactMoment.case_id)
            ).all()
        )
        held = set(
            session.scalars(
                select(ContactMoment.case_id)
                .where(ContactMoment.case_id.in_(coached), ContactMoment.status == "held")
                .distinct()
            )
        )
        overdue = dict(
            session.execute(
                select(WorkPlanActivity.case_id, func.min(WorkPlanActivity.due_on))
                .where(
                    WorkPlanActivity.case_id.in_(coached),
                    WorkPlanActivity.status.in_(("planned", "in_progress")),
                    WorkPlanActivity.due_on < today,
                )
                .group_by(WorkPlanActivity.case_id)
            ).all()
        )
    coached_set = set(coached)
    out: dict[uuid.UUID, Summary] = {}
    for case in cases:
        if case.id in coached_set:
            coach_action, on = _coach_action(case.id, tasks, contacts, overdue, held)
            out[case.id] = Summary(coach_action, on, statuses.get(case.id))
        else:
            action, on = simple[case.id]
            out[case.id] = Summary(action, on, statuses.get(case.id))
    return out
