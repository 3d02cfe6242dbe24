"""Cancellations: by the claimant, by the service (ADR 0017), and the service's record of one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from intake.agendas.models import AgendaException
from intake.agendas.rules import local_day
from intake.appointments import repository, rules
from intake.appointments.booking import (
    Preferences,
    book_unplanned,
    record_shortfall,
    scheduled,
    try_book,
)
from intake.appointments.guards import (
    audit_action,
    is_owner,
    load_for_action,
    reason_of,
    require_allowed,
)
from intake.appointments.models import (
    CANCELLED_BY_CLAIMANT,
    CANCELLED_BY_SERVICE,
    Appointment,
    UnplannedClaim,
)
from intake.settings import IntakeSettings
from intake.slots import repository as slots_repository
from intake.slots.service import generate_slots
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    IntakeCancelled,
)
from shared.reference import OfficeDirectory
from shared.web.auth import Principal
from shared.web.problems import NotFound


def cancel_by_claimant(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    reason_code: str,
    reason_text: str | None,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Appointment:
    """The claimant cancels their intake; the slot is freed and the claim goes on the list."""
    appointment, claim, _ = load_for_action(uow, appointment_id, principal, claimant_ok=True)
    if not is_owner(principal, claim):
        raise NotFound("no such appointment")
    require_allowed(rules.CANCEL, appointment, staff=False, now=now, settings=settings)
    old_status = appointment.status
    appointment.status = CANCELLED_BY_CLAIMANT
    appointment.cancel_reason, appointment.cancelled_at = reason_code, now
    uow.session.flush()
    # The freed slot goes to a claim already waiting, before this claim joins the list.
    book_unplanned(
        uow=uow,
        office_codes=[appointment.office_code],
        offices=offices,
        settings=settings,
        now=now,
        actor=principal.as_actor(),
    )
    if repository.unplanned(uow.session, claim.id) is None:
        repository.add_unplanned(
            uow.session,
            UnplannedClaim(
                claim_id=claim.id,
                office_code=claim.office_code,
                deadline=appointment.deadline,
                since=now,
            ),
        )
    uow.publish(
        IntakeCancelled(
            claim_id=claim.id,
            appointment_id=appointment.id,
            by="claimant",
            reason_code=reason_code,
            cancelled_at=now,
        )
    )
    audit_action(
        uow,
        principal,
        appointment,
        "cancel",
        old_status,
        reason=reason_of(reason_code, reason_text),
    )
    uow.commit()
    return appointment


def record_service_cancel(
    uow: UnitOfWork,
    appointment: Appointment,
    *,
    reason_code: str,
    actor: Actor,
    now: dt.datetime,
    reason: str,
    extra: dict[str, object] | None = None,
) -> None:
    """Cancel an appointment by the service: `intake.cancelled` (by the service) and the
    audit row `appointment.cancel_by_service` with the old and new status; no flush."""
    old_status = appointment.status
    appointment.status = CANCELLED_BY_SERVICE
    uow.publish(
        IntakeCancelled(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            by="service",
            reason_code=reason_code,
            cancelled_at=now,
        )
    )
    uow.audit(
        actor=actor,
        action="appointment.cancel_by_service",
        resource_type="appointment",
        resource_id=appointment.id,
        old={"status": old_status},
        new={"status": appointment.status, **(extra or {})},
        reason=reason,
    )


# The service cancels because the coach cannot hold intakes that day (ADR 0017).
COACH_UNAVAILABLE = "coach_unavailable"
UNAVAILABLE_KIND = "unavailable"


def _coach_away_that_day(
    uow: UnitOfWork,
    appointment: Appointment,
    *,
    principal: Principal,
    settings: IntakeSettings,
    now: dt.datetime,
) -> None:
    """Record the coach as unavailable on the appointment's day: an agenda exception (kind
    `unavailable`, visible and removable in the agenda API) withdraws the coach's free slots
    that day, so no booking, alternative or reschedule offers them; booked ones stay."""
    session = uow.session
    day = local_day(appointment.starts_at)
    covered = any(
        e.start_date <= day <= e.end_date
        for e in slots_repository.exceptions_of(session, appointment.coach_id)
    )
    if not covered:
        actor = principal.as_actor()
        exc = AgendaException(
            id=uuid.uuid4(),
            coach_id=appointment.coach_id,
            start_date=day,
            end_date=day,
            kind=UNAVAILABLE_KIND,
            reason=f"cancel-by-service of appointment {appointment.id}",
            created_by=actor.subject,
            created_at=now,
        )
        session.add(exc)
        session.flush()
        uow.audit(
            actor=actor,
            action="agenda.add_exception",
            resource_type="agenda",
            resource_id=appointment.coach_id,
            new={
                "id": str(exc.id),
                "start_date": day.isoformat(),
                "end_date": day.isoformat(),
                "kind": UNAVAILABLE_KIND,
            },
            reason=COACH_UNAVAILABLE,
        )
    generate_slots(
        session, coach_id=appointment.coach_id, first=day, last=day, settings=settings, now=now
    )


def cancel_by_service(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    reason_code: str,
    reason_text: str | None,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> tuple[Appointment, Appointment | None]:
    """Staff cancel an intake and rebook the claim at once (another slot), else list it."""
    appointment, claim, _ = load_for_action(uow, appointment_id, principal, claimant_ok=False)
    require_allowed(rules.CANCEL_BY_SERVICE, appointment, staff=True, now=now, settings=settings)
    appointment.cancel_reason, appointment.cancelled_at = reason_code, now
    record_service_cancel(
        uow,
        appointment,
        reason_code=reason_code,
        actor=principal.as_actor(),
        now=now,
        reason=reason_of(reason_code, reason_text),
    )
    uow.session.flush()
    away: set[uuid.UUID] = set()
    if reason_code == COACH_UNAVAILABLE:
        _coach_away_that_day(uow, appointment, principal=principal, settings=settings, now=now)
        away.add(appointment.coach_id)

    def rebook(exclude_coaches: Collection[uuid.UUID]) -> tuple[Appointment | None, list[str]]:
        return try_book(
            uow,
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=appointment.deadline,
            offices=offices,
            settings=settings,
            now=now,
            exclude_slots={appointment.slot_id},
            prefs=Preferences.of(uow.session, claim, settings),
            summoned=appointment.summoned,
            exclude_coaches=exclude_coaches,
        )

    # Another coach first; the same coach (on another day) only when no other is free.
    rebooked, searched = rebook(away)
    if rebooked is None and away:
        rebooked, searched = rebook(())
    if rebooked is not None:
        scheduled(uow, rebooked, principal.as_actor())
    elif repository.unplanned(uow.session, claim.id) is None:
        record_shortfall(
            uow,
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=appointment.deadline,
            searched=searched,
            now=now,
        )
    uow.commit()
    return appointment, rebooked
