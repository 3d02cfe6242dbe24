"""Case rules: creation from events, who may see which case, closing and reopening.

Reading cases (the lists, an office's overview, the computed fields) is `reads`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from coaching.assignment import service as assignment
from coaching.assignment.rules import AssignmentPolicy
from coaching.cases import repository
from coaching.cases.models import Case
from coaching.cases.schemas import ClosureResult
from coaching.coaches.models import Coach
from coaching.obligations import repository as obligations_repository
from coaching.partner.candidates.hooks import on_case_status_changed
from shared.clock import local_today
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import CaseClosed, CaseOpened, CaseReopened
from shared.events.intake import ClaimRegistered, IntakeCompleted, IntakeScheduled
from shared.events.triage import TriageOverridden, TriageScored
from shared.reference.sectors import to_sector_code
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, InvalidField, NotFound


def get_or_new(uow: UnitOfWork, claim_id: uuid.UUID) -> Case:
    """The claim's case, or a new unregistered one: events of a claim come on several
    topics, so whichever arrives first starts the case and the others fill it in."""
    case = repository.by_claim(uow.session, claim_id)
    if case is None:
        case = Case(
            id=uuid.uuid4(),
            claim_id=claim_id,
            status="open",
            registered=False,
            intake_held=False,
            opened_at=utcnow(),
        )
        repository.add(uow.session, case)
    return case


def open_case(*, uow: UnitOfWork, claim: Any) -> Case:
    """claim.registered: open the case (or complete one a score already started)."""
    assert isinstance(claim, ClaimRegistered)
    case = get_or_new(uow, claim.claim_id)
    if case.registered:
        return case
    case.registered = True
    case.office_code = claim.office_code
    case.first_ww_day = claim.first_ww_day
    case.age_at_first_ww_day = claim.age_at_first_ww_day
    case.sector = to_sector_code(claim.sector)  # free text from before codes: a code
    case.claimant_subject = claim.claimant_subject
    case.updated_at = utcnow()
    uow.session.flush()
    uow.publish(
        CaseOpened(
            claim_id=claim.claim_id,
            case_id=case.id,
            office_code=claim.office_code,
            opened_at=case.opened_at,
        )
    )
    return case


def apply_score(*, uow: UnitOfWork, scored: Any) -> Case:
    """triage.scored: keep the latest score and the segment in force on the case.

    The segment is triage's `current_segment` when given: a re-score without new answers
    keeps an earlier override (the human decision), which only triage knows about.
    """
    assert isinstance(scored, TriageScored)
    case = get_or_new(uow, scored.claim_id)
    if case.scored_at is not None and case.scored_at > scored.scored_at:
        return case  # an older score arriving late does not overwrite a newer one
    case.segment = (scored.current_segment or scored.segment).value
    case.probability = scored.probability
    case.band = scored.band.value
    case.score_model_version = scored.model_version
    case.score_provisional = scored.provisional
    case.score_factors = [f.model_dump() for f in scored.factors]
    case.scored_at = scored.scored_at
    case.updated_at = utcnow()
    return case


def apply_override(*, uow: UnitOfWork, overridden: Any) -> Case:
    """triage.overridden: the coach's or analyst's decision sets the case's segment.

    Triage publishes scores and overrides of a claim on one topic with the claim as key, so
    they arrive in order; an override older than the case's latest score is already
    reflected in that score's `current_segment` and is not applied again.
    """
    assert isinstance(overridden, TriageOverridden)
    case = get_or_new(uow, overridden.claim_id)
    if case.human_override_at is None or overridden.overridden_at > case.human_override_at:
        # A person decided: coaching's own system override (a repeated no-show) yields
        # to a human decision made after it (`coaching.noshows.rules`).
        case.human_override_at = overridden.overridden_at
        if case.segment_override is not None and (
            case.last_no_show_at is None or overridden.overridden_at > case.last_no_show_at
        ):
            case.segment_override = None
    if case.scored_at is not None and case.scored_at > overridden.overridden_at:
        return case
    case.segment = overridden.segment.value
    case.updated_at = utcnow()
    return case


def record_intake_coach(*, uow: UnitOfWork, intake: Any) -> Case:
    """intake.completed / intake.scheduled: remember the intake's coach (for continuity).

    The coach who held the intake (completed) is final; a booked intake (scheduled) gives
    a provisional intake coach until then, and never replaces the coach who held it.
    """
    assert isinstance(intake, IntakeCompleted | IntakeScheduled)
    case = get_or_new(uow, intake.claim_id)
    if isinstance(intake, IntakeCompleted):
        case.intake_coach_id = intake.coach_id
        case.intake_held = True
        if intake.obligation_regime is not None and case.obligation_regime is None:
            # The regime explained at the intake; a later change goes through the coach.
            case.obligation_regime = intake.obligation_regime
    else:
        if not case.intake_held:
            case.intake_coach_id = intake.coach_id
        if intake.summoned and (case.summons_at is None or intake.starts_at > case.summons_at):
            # The summons after a no-show (missing it can affect the benefit): shown on
            # the caseload next to the no-show count.
            case.summons_at = intake.starts_at
    case.updated_at = utcnow()
    return case


def _is_coach_of(principal: Principal, case: Case, today: dt.date) -> bool:
    """The principal is the case's coach, or covers for them (until `covering_until`)."""
    if not principal.has_role(Role.COACH):
        return False
    if case.coach_id is not None and str(case.coach_id) == principal.subject:
        return True
    return (
        case.covering_coach_id is not None
        and str(case.covering_coach_id) == principal.subject
        and (case.covering_until is None or today <= case.covering_until)
    )


def visible_to(principal: Principal, case: Case, today: dt.date | None = None) -> bool:
    """Staff: admin all; team lead their office; a coach their own caseload and the cases
    they cover. (A claimant's own case is `claimant_owns`, a narrower view.)"""
    if principal.has_role(Role.ADMIN):
        return True
    if (
        principal.has_role(Role.TEAM_LEAD)
        and principal.office is not None
        and case.office_code == principal.office
    ):
        return True
    return _is_coach_of(principal, case, today or local_today())


def claimant_owns(principal: Principal, case: Case) -> bool:
    """The claimant whose claim this is (their identity-provider subject from
    claim.registered); a claim registered by staff has no claimant subject."""
    return (
        principal.has_role(Role.CLAIMANT)
        and case.claimant_subject is not None
        and case.claimant_subject == principal.subject
    )


def case_for(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    allow_claimant: bool = False,
    action: str = "case.read",
    audit: bool = True,
) -> Case:
    """The case of a claim if the principal may act on it, else 404 (a case the caller may
    not see does not exist for them). Audits the access as `action` in the caller's unit
    of work (every read of personal data is audited; the caller commits).

    `allow_claimant`: the claimant may reach their own case through this route (their
    work plan, obligations, activities), never other claimants'.
    """
    case = repository.by_claim(uow.session, claim_id)
    if case is None or not case.registered:
        raise NotFound("no such case")
    allowed = visible_to(principal, case) or (allow_claimant and claimant_owns(principal, case))
    if not allowed:
        if principal.break_glass is None:
            raise NotFound("no such case")
        # Break-glass (ADR 0022): a read outside the caller's scope with a stated reason
        # (`requires` lets it through on reads only); always audited, whatever `audit` says.
        uow.audit(
            actor=principal.as_actor(),
            action=f"{action}.break_glass",
            resource_type="case",
            resource_id=case.id,
            reason=principal.break_glass,
        )
        return case
    if audit:
        uow.audit(
            actor=principal.as_actor(), action=action, resource_type="case", resource_id=case.id
        )
    return case


def require_open(case: Case) -> None:
    """Closed cases are read-only until reopened (409 naming the way out)."""
    if case.status != "open":
        raise Conflict(
            "the case is closed; a team lead or admin can reopen it "
            f"(POST /v1/cases/{case.claim_id}/reopen)"
        )


def lock_case(uow: UnitOfWork, case: Case, *, roster: bool = False) -> None:
    """Lock the case row (SELECT ... FOR UPDATE) and reload it, so the checks that follow
    (open, its coach) see the committed state and hold until the commit.

    `roster`: lock the office's roster rows first, for a write that changes who carries
    the case or frees a place (the service's one lock order: roster rows, then the case).
    Call before changing the case: the reload discards unflushed changes.
    """
    if roster:
        office = case.office_code
        if office is None and case.coach_id is not None:
            coach = uow.session.get(Coach, case.coach_id)
            office = None if coach is None else coach.office_code
        if office is not None:
            assignment.lock_roster(uow, office)
    uow.session.refresh(case, with_for_update=True)


# A case may be closed ahead of the first working day that ends it (a claimant reports a
# job that starts next month); further ahead is more likely a typing error.
CLOSE_AHEAD_DAYS = 92


def _closure_snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "closure_result": case.closure_result,
        "closed_on": None if case.closed_on is None else case.closed_on.isoformat(),
        "coach_id": None if case.coach_id is None else str(case.coach_id),
    }


def close_case(
    *,
    uow: UnitOfWork,
    case: Case,
    result: ClosureResult,
    closed_on: dt.date,
    reported_by: str,
    note: str | None,
    actor: Actor,
    today: dt.date,
    field_prefix: str = "",
) -> None:
    """Close an open case with its result (the caller checked access and commits).

    409 when already closed; 422 naming the field for a day before the first WW day or
    too far ahead, or a result `other` without a note. Publishes `case.closed`; the
    coach's place frees up (only open cases count towards a caseload). The case's open
    tasks are cancelled (audited): a closed case is read-only, its tasks included.
    """
    lock_case(uow, case, roster=True)
    require_open(case)
    if result is ClosureResult.OTHER and not (note and note.strip()):
        raise InvalidField(f"{field_prefix}note", "a result `other` needs a note saying what")
    if case.first_ww_day is not None and closed_on < case.first_ww_day:
        raise InvalidField(
            f"{field_prefix}closed_on",
            f"before the first WW day {case.first_ww_day.isoformat()}",
        )
    if closed_on > today + dt.timedelta(days=CLOSE_AHEAD_DAYS):
        raise InvalidField(f"{field_prefix}closed_on", f"more than {CLOSE_AHEAD_DAYS} days ahead")
    old = _closure_snapshot(case)
    now = utcnow()
    case.status = "closed"
    case.closed_at = now
    case.closed_on = closed_on
    case.closure_result = result.value
    case.closure_note = note
    case.covering_coach_id = None
    case.covering_until = None
    case.updated_at = now
    uow.session.flush()
    on_case_status_changed(uow, case)  # partner profiles follow the case
    uow.audit(
        actor=actor,
        action="case.close",
        resource_type="case",
        resource_id=case.id,
        reason=f"{result.value} (reported by {reported_by})",
        old=old,
        new=_closure_snapshot(case),
    )
    cancel_open_tasks(uow=uow, case=case, actor=actor, reason=f"case closed: {result.value}")
    uow.publish(
        CaseClosed(
            claim_id=case.claim_id,
            case_id=case.id,
            result=result.value,
            closed_at=now,
            closed_on=closed_on,
            reported_by=reported_by,
        )
    )


def retry_queue_after_close(
    uow: UnitOfWork, case: Case, *, policy: AssignmentPolicy, today: dt.date
) -> None:
    """After a close on request: the case's coach has a place free, so the office's
    unassigned queue is tried again in the same transaction (`assignment.retry_unassigned`)."""
    if case.office_code is not None and case.coach_id is not None:
        assignment.retry_unassigned(uow, office_code=case.office_code, policy=policy, today=today)


def cancel_open_tasks(*, uow: UnitOfWork, case: Case, actor: Actor, reason: str) -> int:
    """Cancel the case's open tasks (status `cancelled`, each audited); returns how many.

    Lives here, not in `coaching.obligations.service` (which imports this module), so
    every closure path cancels them: the close route, a full work resumption, and any
    later caller of `close_case`.
    """
    now = utcnow()
    tasks = obligations_repository.open_tasks_of(uow.session, case.id)
    for task in tasks:
        task.status = "cancelled"
        task.done_at = now
        task.done_by = actor.subject
        uow.audit(
            actor=actor,
            action="task.cancel",
            resource_type="coach_task",
            resource_id=task.id,
            reason=reason,
            old={"status": "open"},
            new={"status": "cancelled"},
        )
    return len(tasks)


def reopen_case(
    *,
    uow: UnitOfWork,
    case: Case,
    reason: str,
    actor: Actor,
    policy: AssignmentPolicy,
    today: dt.date,
) -> None:
    """Reopen a closed case (409 when open) and give it a coach again.

    The case returns to its coach only if that coach is active and below their maximum
    caseload (`policy.max_caseload` against their load of own and covered open cases);
    otherwise the assignment rules decide again (`assignment.maybe_assign`; the office's
    unassigned queue when nobody fits). The office's roster is locked first, as for an
    assignment, so two reopens never both take a coach's last place. Publishes
    `case.reopened`; audited with the reason and the closure undone."""
    lock_case(uow, case, roster=True)
    if case.status != "closed":
        raise Conflict("the case is open; only a closed case can be reopened")
    old = _closure_snapshot(case)
    now = utcnow()
    if case.coach_id is not None and not _has_room(uow, case, case.coach_id, policy, today):
        case.coach_id = None
        case.assignment_status = None
        case.assignment_reason = None
    case.status = "open"
    case.reopened_at = now
    case.closed_at = None
    case.closed_on = None
    case.closure_result = None
    case.closure_note = None
    case.updated_at = now
    uow.session.flush()
    on_case_status_changed(uow, case)  # partner profiles follow the case
    if case.coach_id is None:
        assignment.maybe_assign(uow=uow, case=case, policy=policy, today=today)
    uow.audit(
        actor=actor,
        action="case.reopen",
        resource_type="case",
        resource_id=case.id,
        reason=reason,
        old=old,
        new=_closure_snapshot(case),
    )
    uow.publish(
        CaseReopened(
            claim_id=case.claim_id,
            case_id=case.id,
            coach_id=case.coach_id,
            reason=reason,
            reopened_at=now,
        )
    )


def _has_room(
    uow: UnitOfWork, case: Case, coach_id: uuid.UUID, policy: AssignmentPolicy, today: dt.date
) -> bool:
    """The (closed) case's coach is active and below their maximum (roster locked)."""
    coach = uow.session.get(Coach, coach_id)
    if coach is None or not coach.active:
        return False
    roster = assignment.roster_with_loads(uow, coach.office_code, today=today, lock=True)
    load = next((c for c in roster if c.coach_id == coach_id), None)
    if load is None:
        return False
    return load.effective_load < policy.max_caseload(load.contract_hours)
