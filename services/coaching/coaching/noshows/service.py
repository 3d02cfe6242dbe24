"""Intake no-shows in the service: record them on the case, give the coach a task, and
move a digital case with a repeated no-show to personal service (`rules`).

Order-tolerant like every coaching handler: `intake.no_show` may arrive before
`claim.registered` or the first score (other topics), so it fills in its part of the case
(`cases.service.get_or_new`) and the rule is applied again by every handler that changes
the segment (`enforce_segment_rule`, before each assignment decision). Idempotent: the
inbox applies an event once; the count only grows (a late, older event does not lower
it), the override is audited once, and a task is unique per case and missed appointment.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from coaching.cases.models import Case
from coaching.cases.service import get_or_new
from coaching.noshows.rules import (
    REPEATED_NO_SHOW,
    NoShowPolicy,
    is_repeated,
    moves_to_personal,
    task_due_on,
)
from coaching.obligations.models import CoachTask
from shared.clock import local_today
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.intake import IntakeNoShow

SYSTEM = Actor.system("coaching")


def record_no_show(
    *, uow: UnitOfWork, no_show: IntakeNoShow, recorded_at: dt.datetime, policy: NoShowPolicy
) -> Case:
    """intake.no_show: keep intake's count and the flag on the case (the caller then
    applies the segment rule, decides the assignment and calls `give_task`).

    `recorded_at` is the event's time (when intake recorded the no-show), so a redelivery
    or a replay computes the same due day.
    """
    case = get_or_new(uow, no_show.claim_id)
    case.no_show_count = max(case.no_show_count or 0, no_show.no_show_count)
    if case.last_no_show_at is None or recorded_at > case.last_no_show_at:
        case.last_no_show_at = recorded_at
    case.no_show_flag = case.no_show_flag or is_repeated(
        case.no_show_count, flagged_by_intake=no_show.flagged_for_coach, policy=policy
    )
    case.updated_at = utcnow()
    uow.session.flush()
    return case


def give_task(
    *,
    uow: UnitOfWork,
    case: Case,
    no_show: IntakeNoShow,
    recorded_at: dt.datetime,
    policy: NoShowPolicy,
) -> CoachTask | None:
    """A repeated no-show of an open case: a `repeated_no_show` task (one per missed
    appointment) for the case's coach, after the assignment so a case that just got its
    coach names them; without a coach the office's team lead sees it. The task follows the
    case's coach (a later assignment or transfer takes it along, `GET /v1/tasks`)."""
    # This no-show's own count decides its task: an older no-show arriving late is not
    # repeated because a newer one was.
    if case.status != "open" or not is_repeated(
        no_show.no_show_count, flagged_by_intake=no_show.flagged_for_coach, policy=policy
    ):
        return None
    exists = uow.session.scalars(
        select(CoachTask.id).where(
            CoachTask.case_id == case.id,
            CoachTask.kind == REPEATED_NO_SHOW,
            CoachTask.appointment_id == no_show.appointment_id,
        )
    ).first()
    if exists is not None:
        return None
    task = CoachTask(
        id=uuid.uuid4(),
        case_id=case.id,
        claim_id=case.claim_id,
        office_code=case.office_code,
        coach_id=case.coach_id,  # null: the office's team lead sees it (and the coach later)
        kind=REPEATED_NO_SHOW,
        appointment_id=no_show.appointment_id,
        due_on=task_due_on(local_today(recorded_at), policy),
        status="open",
        created_at=utcnow(),
    )
    uow.session.add(task)
    uow.session.flush()
    uow.audit(
        actor=SYSTEM,
        action="task.create",
        resource_type="coach_task",
        resource_id=task.id,
        reason=f"{REPEATED_NO_SHOW}: {case.no_show_count} no-shows at the intake",
        new={"kind": REPEATED_NO_SHOW, "due_on": task.due_on.isoformat()},
    )
    return task


def enforce_segment_rule(*, uow: UnitOfWork, case: Case) -> bool:
    """Move an open digital case with a repeated no-show to personal service (a system
    override, audited with its reason the first time); True when the segment changed.

    Called before every assignment decision, so the rule holds whichever event comes
    last: a later re-score that says `digital` again does not undo it (silently: the
    override is already on record), a later human override in triage does.
    """
    if not moves_to_personal(
        segment=case.segment,
        repeated=case.no_show_flag,
        open_case=case.status == "open",
        last_no_show_at=case.last_no_show_at,
        human_override_at=case.human_override_at,
    ):
        return False
    case.segment = "personal"
    if case.segment_override == REPEATED_NO_SHOW:
        return True  # re-applied after a re-score; audited when it was first made
    now = utcnow()
    case.segment_override = REPEATED_NO_SHOW
    case.segment_overridden_at = now
    case.updated_at = now
    uow.session.flush()
    uow.audit(
        actor=SYSTEM,
        action="case.segment_override",
        resource_type="case",
        resource_id=case.id,
        reason=f"{REPEATED_NO_SHOW}: {case.no_show_count} no-shows at the intake; digital "
        "service presumes a claimant who acts on their own",
        old={"segment": "digital"},
        new={"segment": "personal", "override": REPEATED_NO_SHOW, "by": "system"},
    )
    return True
