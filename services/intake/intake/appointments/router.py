"""HTTP API of intake appointments and the offices' unplanned lists."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from intake.access import service as access
from intake.agendas.rules import local_day
from intake.appointments import actions, cancellations, outcomes, reads, reminders, rules, runs
from intake.appointments.models import Appointment, UnplannedClaim
from intake.appointments.schemas import (
    AlternativeRead,
    AppointmentDetailRead,
    AppointmentRead,
    AppointmentStatus,
    CancellationRead,
    ClaimantCancelCreate,
    CoachAppointmentRead,
    CompletionCreate,
    NoShowRead,
    OfficePlanningRunRead,
    PartOfDay,
    PlanningRunRead,
    ReminderRunRead,
    RescheduleCreate,
    ServiceCancelCreate,
    UnplannedClaimRead,
)
from intake.coaches import directory
from intake.settings import IntakeSettings
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc
from shared.web.validation import Day

router = APIRouter(tags=["appointments"], responses=PROBLEM_RESPONSES)

STAFF_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.TRIAGE_ANALYST, Role.ADMIN)
# Row-level: the claimant, the appointment's coach, the office's team lead, an admin.
APPOINTMENT_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
# Staff actions, row-level: the appointment's coach or a coach of its office, the office's
# team lead, an admin.
ACTION_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)


def _settings(container: ServiceContainer) -> IntakeSettings:
    settings = container.settings
    assert isinstance(settings, IntakeSettings)
    return settings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _office_scope(principal: Principal) -> str | None:
    """The office a team lead is confined to (as for claims); None for other staff."""
    staff_roles = principal.roles & set(STAFF_ROLES)
    if staff_roles == {Role.TEAM_LEAD} and principal.office:
        return principal.office
    return None


def to_read(a: Appointment, coach_first_name: str | None = None) -> AppointmentRead:
    """Response model of an appointment."""
    return AppointmentRead(
        id=a.id,
        claim_id=a.claim_id,
        slot_id=a.slot_id,
        coach_id=a.coach_id,
        office_code=a.office_code,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        status=a.status,
        deadline=a.deadline,
        booked_at=a.booked_at,
        summoned=a.summoned,
        coach_first_name=coach_first_name,
    )


def _unplanned(u: UnplannedClaim) -> UnplannedClaimRead:
    return UnplannedClaimRead(
        claim_id=u.claim_id, office_code=u.office_code, deadline=u.deadline, since=u.since
    )


@router.get(
    "/v1/claims/{claim_id}/appointments",
    response_model=list[AppointmentRead],
    summary="A claim's intake appointments",
)
def claim_appointments(
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=(*STAFF_ROLES, Role.CLAIMANT))),
    container: ServiceContainer = Depends(get_container),
) -> list[AppointmentRead]:
    """Staff see any claim's (a team lead their office's); a claimant only their own claim's."""
    own_only = principal.subject if not principal.has_role(*STAFF_ROLES) else None
    with container.uow() as uow:
        rows = reads.list_for_claim(
            uow=uow,
            claim_id=claim_id,
            actor=principal.as_actor(),
            claimant_subject=own_only,
            office_code=_office_scope(principal),
            scope=access.scope_for(uow, principal),
        )
        names = directory.first_names(uow.session, (a.coach_id for a in rows))
        return [to_read(a, names.get(a.coach_id)) for a in rows]


# Declared before /v1/appointments/{appointment_id}, which would otherwise match "<id>.ics".
@router.get(
    "/v1/appointments/{appointment_id}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar file"}},
    summary="The intake appointment as an iCalendar (RFC 5545) file",
)
def appointment_ics(
    appointment_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=APPOINTMENT_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Response:
    """Same readers as the JSON appointment; audited as `appointment.ics`."""
    with container.uow() as uow:
        body = reads.appointment_ics(
            uow=uow,
            appointment_id=appointment_id,
            principal=principal,
            offices=load_offices(),
            now=_now(),
        )
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="intake-{appointment_id}.ics"'},
    )


@router.post(
    "/v1/admin/reminders/run",
    response_model=ReminderRunRead,
    summary="Emit the intake reminders that are due now (admin; called by a scheduler)",
)
def run_reminders(
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: ServiceContainer = Depends(get_container),
) -> ReminderRunRead:
    """Idempotent: a cron job / Kubernetes CronJob calls this every few minutes."""
    with container.uow() as uow:
        return ReminderRunRead(emitted=reminders.emit_due_reminders(uow=uow, now=_now()))


@router.post(
    "/v1/admin/planning/run",
    response_model=PlanningRunRead,
    summary="Roll slot horizons forward and book waiting claims (admin; called by a scheduler)",
)
def run_planning(
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: ServiceContainer = Depends(get_container),
) -> PlanningRunRead:
    """Idempotent and safe to overlap: call it every few minutes and at least daily. Overdue
    unplanned claims are booked as soon as possible, their missed deadline kept."""
    with container.uow() as uow:
        run = runs.run_planning(
            uow=uow,
            offices=load_offices(),
            settings=_settings(container),
            now=_now(),
            actor=principal.as_actor(),
        )
    return PlanningRunRead(
        agendas_extended=run.agendas_extended,
        slots_until=run.slots_until,
        booked=run.booked,
        still_unplanned=run.still_unplanned,
    )


@router.post(
    "/v1/offices/{office_code}/planning/run",
    response_model=OfficePlanningRunRead,
    summary="Book the office's waiting claims now (its team lead, admin)",
)
def run_office_planning(
    office_code: str,
    principal: Principal = Depends(requires(roles=(Role.TEAM_LEAD, Role.ADMIN))),
    container: ServiceContainer = Depends(get_container),
) -> OfficePlanningRunRead:
    """The team lead's "plan now": the claims on the office's unplanned list are booked into
    free slots (overdue ones as soon as possible), as the periodic run does; idempotent. A
    team lead runs only their own office's (403 otherwise)."""
    with container.uow() as uow:
        run = runs.run_office_planning(
            uow=uow,
            office_code=office_code,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=_now(),
        )
    return OfficePlanningRunRead(
        office_code=run.office_code, booked=run.booked, still_unplanned=run.still_unplanned
    )


@router.get(
    "/v1/appointments/{appointment_id}",
    response_model=AppointmentDetailRead,
    summary="One intake appointment",
)
def get_appointment(
    appointment_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=APPOINTMENT_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> AppointmentDetailRead:
    """The claimant's own, the coach's own, the office's (team lead), or any (admin), with
    `allowed_actions`: what the caller may do with it now."""
    with container.uow() as uow:
        a = reads.get_appointment(uow=uow, appointment_id=appointment_id, principal=principal)
        allowed = reads.allowed_now(
            uow=uow, appointment=a, principal=principal, settings=_settings(container), now=_now()
        )
        first_name = directory.first_names(uow.session, [a.coach_id]).get(a.coach_id)
        return AppointmentDetailRead(**to_read(a, first_name).model_dump(), allowed_actions=allowed)


# Row-level in the service: the coach themself, their office's team lead, national staff.
COACH_AGENDA_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.ADMIN)


@router.get(
    "/v1/coaches/{coach_id}/appointments",
    response_model=Page[CoachAppointmentRead],
    summary="A coach's intake appointments in a period, with the claimants' names",
)
def coach_appointments(
    coach_id: uuid.UUID,
    start: Annotated[
        Day | None, Query(alias="from", description="First local day (inclusive; default today)")
    ] = None,
    end: Annotated[
        Day | None,
        Query(
            alias="to",
            description="Last local day (inclusive; default today + 7; at most 31 days)",
        ),
    ] = None,
    appointment_status: Annotated[
        AppointmentStatus | None, Query(alias="status", description="Only this status")
    ] = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=COACH_AGENDA_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[CoachAppointmentRead]:
    """The coach's agenda in one call (earliest first); each claim on the page is audited."""
    now = _now()
    today = local_day(now)
    cutoff = dt.timedelta(hours=_settings(container).reschedule_cutoff_hours)
    first = start if start is not None else today
    last = end if end is not None else first + dt.timedelta(days=7)
    with container.uow() as uow:
        rows, total = reads.list_for_coach(
            uow=uow,
            coach_id=coach_id,
            principal=principal,
            start=first,
            end=last,
            status=appointment_status.value if appointment_status is not None else None,
            limit=page.limit,
            offset=page.offset,
        )
        items = [
            CoachAppointmentRead(
                id=a.id,
                claim_id=a.claim_id,
                office_code=a.office_code,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                status=a.status,
                summoned=a.summoned,
                given_name=c.given_name,
                family_name=c.family_name,
                allowed_actions=rules.allowed_actions(
                    status=a.status, starts_at=a.starts_at, now=now, staff=True, cutoff=cutoff
                ),
            )
            for a, c in rows
        ]
    return Page[CoachAppointmentRead](
        items=items, total=total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/v1/offices/{office_code}/unplanned",
    response_model=Page[UnplannedClaimRead],
    summary="Claims waiting for an intake slot (staff)",
)
def unplanned(
    office_code: str,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[UnplannedClaimRead]:
    """The office's unplanned list in deadline order; a team lead sees only their own office."""
    with container.uow() as uow:
        rows, total = reads.list_unplanned(
            uow=uow,
            office_code=office_code,
            actor=principal.as_actor(),
            scope_office=_office_scope(principal),
            offices=load_offices(),
            limit=page.limit,
            offset=page.offset,
            scope=access.scope_for(uow, principal),
        )
        items = [_unplanned(u) for u in rows]
    return Page[UnplannedClaimRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/v1/appointments/{appointment_id}/alternatives",
    responses=conflict_doc("the appointment is no longer open to moving"),
    response_model=Page[AlternativeRead],
    summary="Free slots the intake may be moved to (or, after a cancellation, picked)",
)
def alternatives(
    appointment_id: uuid.UUID,
    from_date: Day | None = Query(
        None, description="Only slots on or after this local day (YYYY-MM-DD)"
    ),
    to_date: Day | None = Query(
        None, description="Only slots on or before this local day (YYYY-MM-DD)"
    ),
    part_of_day: PartOfDay | None = Query(
        None, description="morning: starts before 12:00 local time; afternoon: from 12:00"
    ),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=APPOINTMENT_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[AlternativeRead]:
    """Exactly the slots `reschedule` accepts now: nearest office first, then the earliest."""
    with container.uow() as uow:
        found, total = actions.alternatives(
            uow=uow,
            appointment_id=appointment_id,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=_now(),
            where=actions.AlternativesFilter(
                from_date=from_date,
                to_date=to_date,
                part_of_day=part_of_day.value if part_of_day is not None else None,
            ),
            limit=page.limit,
            offset=page.offset,
        )
    items = [
        AlternativeRead(
            slot_id=c.slot_id,
            coach_id=c.coach_id,
            office_code=c.office_code,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            travel_minutes=c.travel_minutes,
        )
        for c in found
    ]
    return Page[AlternativeRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/v1/appointments/{appointment_id}/reschedule",
    responses=conflict_doc("the appointment is no longer open, or the slot was taken"),
    response_model=AppointmentRead,
    summary="Move the intake to another free slot (after a cancellation: book the picked one)",
)
def reschedule(
    appointment_id: uuid.UUID,
    body: RescheduleCreate,
    principal: Principal = Depends(requires(roles=APPOINTMENT_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> AppointmentRead:
    """The claimant until `reschedule_cutoff_hours` before the start, staff until the start."""
    with container.uow() as uow:
        return to_read(
            actions.reschedule(
                uow=uow,
                appointment_id=appointment_id,
                slot_id=body.slot_id,
                principal=principal,
                offices=load_offices(),
                settings=_settings(container),
                now=_now(),
            )
        )


@router.post(
    "/v1/appointments/{appointment_id}/cancel",
    responses=conflict_doc("the appointment is no longer open to cancelling"),
    response_model=AppointmentRead,
    summary="The claimant cancels their intake",
)
def cancel(
    appointment_id: uuid.UUID,
    body: ClaimantCancelCreate,
    principal: Principal = Depends(requires(roles=(Role.CLAIMANT,))),
    container: ServiceContainer = Depends(get_container),
) -> AppointmentRead:
    """Frees the slot; the claim goes back on the office's unplanned list."""
    with container.uow() as uow:
        return to_read(
            cancellations.cancel_by_claimant(
                uow=uow,
                appointment_id=appointment_id,
                reason_code=body.reason_code.value,
                reason_text=body.reason_text,
                principal=principal,
                offices=load_offices(),
                settings=_settings(container),
                now=_now(),
            )
        )


@router.post(
    "/v1/appointments/{appointment_id}/cancel-by-service",
    responses=conflict_doc("the appointment is no longer open to cancelling"),
    response_model=CancellationRead,
    summary="Staff cancel an intake; the claim is rebooked or listed as unplanned",
)
def cancel_by_service(
    appointment_id: uuid.UUID,
    body: ServiceCancelCreate,
    principal: Principal = Depends(requires(roles=ACTION_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CancellationRead:
    """Cancels, then books another slot before the deadline or puts the claim on the list."""
    with container.uow() as uow:
        cancelled, rebooked = cancellations.cancel_by_service(
            uow=uow,
            appointment_id=appointment_id,
            reason_code=body.reason_code.value,
            reason_text=body.reason_text,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=_now(),
        )
        return CancellationRead(
            appointment=to_read(cancelled),
            rebooked=to_read(rebooked) if rebooked is not None else None,
            unplanned=rebooked is None,
        )


@router.post(
    "/v1/appointments/{appointment_id}/no-show",
    responses=conflict_doc("the appointment is not open, or its start has not passed"),
    response_model=NoShowRead,
    summary="Record that the claimant did not attend (after the start); books a summons",
)
def no_show(
    appointment_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=ACTION_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> NoShowRead:
    """Only after the start time of an active appointment. The first no-show books a summons
    within 3 working days (configurable); a second flags the claim for the coach."""
    settings = _settings(container)
    with container.uow() as uow:
        outcome = outcomes.no_show(
            uow=uow,
            appointment_id=appointment_id,
            principal=principal,
            offices=load_offices(),
            settings=settings,
            now=_now(),
        )
        return NoShowRead(
            appointment=to_read(outcome.appointment),
            summons=to_read(outcome.summons) if outcome.summons is not None else None,
            no_show_count=outcome.no_show_count,
            flagged_for_coach=outcome.flagged_for_coach,
            unplanned=outcome.summons is None and not outcome.flagged_for_coach,
        )


@router.post(
    "/v1/appointments/{appointment_id}/complete",
    responses=conflict_doc("the appointment is not open, or its start has not passed"),
    response_model=AppointmentRead,
    summary="Record the held intake",
)
def complete(
    appointment_id: uuid.UUID,
    body: CompletionCreate,
    principal: Principal = Depends(requires(roles=ACTION_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> AppointmentRead:
    """Only after the start time, and once; emits intake.completed with within_deadline."""
    with container.uow() as uow:
        return to_read(
            outcomes.complete(
                uow=uow,
                appointment_id=appointment_id,
                explained_topics=[t.value for t in body.explained_topics],
                obligation_regime=body.obligation_regime,
                claimant_view=body.claimant_view,
                questionnaire_answers=body.questionnaire_answers,
                agreed_next_step=body.agreed_next_step,
                principal=principal,
                settings=_settings(container),
                now=_now(),
            )
        )
