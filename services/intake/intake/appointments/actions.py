"""Picking a slot (issue 3, items 6 and 7): the alternatives, a reschedule, a pick after a
claimant's cancellation."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from intake.agendas.models import SLOT_OPEN, Slot
from intake.agendas.rules import local_day
from intake.appointments import repository, rules
from intake.appointments.booking import (
    NotLocked,
    book_unplanned,
    booking_window,
    scheduled,
    window_slots,
)
from intake.appointments.guards import (
    SlotUnavailable,
    audit_action,
    is_rebookable,
    is_staff_for,
    load_for_action,
    require_allowed,
)
from intake.appointments.models import (
    BOOKED,
    CANCELLED_BY_CLAIMANT,
    RESCHEDULED,
    Appointment,
)
from intake.appointments.rules import Candidate, rank
from intake.calendar.service import WorkingDayCalendar
from intake.claims.models import Claim
from intake.settings import IntakeSettings
from intake.slots import repository as slots_repository
from intake.slots.service import ensure_slots_until
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    IntakeRescheduled,
)
from shared.reference import OfficeDirectory
from shared.web.auth import Principal
from shared.web.problems import InvalidField


def _pick_window(
    uow: UnitOfWork,
    appointment: Appointment,
    claim: Claim,
    *,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> rules.Window:
    """Check that a slot may be picked for this appointment now (409 otherwise) and return
    the window `alternatives` and `reschedule` both apply."""
    staff = is_staff_for(principal, appointment, claim)
    require_allowed(
        rules.RESCHEDULE,
        appointment,
        staff=staff,
        now=now,
        settings=settings,
        rebookable=is_rebookable(uow.session, appointment, claim),
    )
    today = local_day(now)
    # An overdue claim is still served: one more deadline period, as the planning run does.
    late_until = (
        WorkingDayCalendar(uow.session).add_working_days(
            today, settings.intake_deadline_working_days, claim.office_code
        )
        if appointment.deadline < today
        else None
    )
    active = appointment.status != CANCELLED_BY_CLAIMANT
    return booking_window(
        uow.session,
        claim,
        deadline=appointment.deadline,
        now=now,
        settings=settings,
        offices=offices,
        summoned=appointment.summoned,
        search_until=late_until,
        current=appointment.slot_id if active else None,
    )


@dataclass(frozen=True)
class AlternativesFilter:
    """Which alternatives a caller asks for: a local date range and a part of the day."""

    from_date: dt.date | None = None
    to_date: dt.date | None = None
    part_of_day: str | None = None

    def accepts(self, c: Candidate) -> bool:
        """True when the slot lies in the range and part of the day."""
        day = local_day(c.starts_at)
        return (
            (self.from_date is None or day >= self.from_date)
            and (self.to_date is None or day <= self.to_date)
            and (self.part_of_day is None or rules.part_of_day(c.starts_at) == self.part_of_day)
        )


def alternatives(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    where: AlternativesFilter = AlternativesFilter(),
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Candidate], int]:
    """A page of the slots `reschedule` accepts now (nearest office, then earliest), and the
    total; 409 when no slot may be picked for this appointment at all."""
    if where.from_date and where.to_date and where.to_date < where.from_date:
        raise InvalidField("to_date", "must not be before from_date")
    appointment, claim, _ = load_for_action(uow, appointment_id, principal, claimant_ok=True)
    window = _pick_window(
        uow,
        appointment,
        claim,
        principal=principal,
        offices=offices,
        settings=settings,
        now=now,
    )
    ensure_slots_until(
        uow.session,
        office_codes=sorted(window.reach),
        until=window.last_day,
        settings=settings,
        now=now,
    )
    # The window ends at the deadline (a few working days), so reading it whole is bounded.
    found = [
        c
        for office in sorted(window.reach)
        for c in window_slots(uow, window, office, limit=None)[0]
        if where.accepts(c)
    ]
    ranked = rank(found, now=now, deadline=window.last_day)
    uow.audit(
        actor=principal.as_actor(),
        action="appointment.alternatives",
        resource_type="appointment",
        resource_id=appointment.id,
    )
    uow.commit()
    return ranked[offset : offset + limit], len(ranked)


def reschedule(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    slot_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Appointment:
    """Move the appointment to a slot `alternatives` offers (409 `slot-unavailable` with the
    reason otherwise); after a claimant's cancellation this books a new appointment."""
    appointment, claim, staff = load_for_action(uow, appointment_id, principal, claimant_ok=True)
    window = _pick_window(
        uow,
        appointment,
        claim,
        principal=principal,
        offices=offices,
        settings=settings,
        now=now,
    )
    slot = uow.session.get(Slot, slot_id)
    if slot is None:
        raise InvalidField("slot_id", "no such slot")
    taken = bool(slots_repository.active_slot_ids(uow.session, [slot.id]))
    view = rules.SlotView(
        slot.id, slot.office_code, slot.starts_at, open=slot.state == SLOT_OPEN, taken=taken
    )
    refused = rules.refusal(view, window)
    if refused is not None:
        raise SlotUnavailable(refused, slot_id=slot.id, current_status=appointment.status)
    if appointment.status == CANCELLED_BY_CLAIMANT:
        return _pick_after_cancel(
            uow, appointment, claim, slot, principal=principal, staff=staff, now=now
        )
    old_status, previous_start, old_slot = (
        appointment.status,
        appointment.starts_at,
        appointment.slot_id,
    )
    try:
        with uow.session.begin_nested():
            # Lock the picked slot as automatic booking does, so that concurrent bookings
            # skip it instead of queueing behind this move (ADR 0026).
            if not slots_repository.lock_free_slot(uow.session, slot.id, wait=True):
                raise NotLocked
            appointment.slot_id = slot.id
            appointment.coach_id = slot.coach_id
            appointment.office_code = slot.office_code
            appointment.starts_at = slot.starts_at
            appointment.ends_at = slot.ends_at
            appointment.status = RESCHEDULED
            appointment.reminder_sent_at = None  # the new time gets its own reminder
            uow.session.flush()
    except (IntegrityError, NotLocked):
        raise SlotUnavailable(
            rules.JUST_TAKEN, slot_id=slot.id, current_status=old_status
        ) from None
    # The freed slot may serve a claim waiting on an unplanned list.
    old_office = uow.session.get(Slot, old_slot)
    if old_office is not None:
        book_unplanned(
            uow=uow,
            office_codes=[old_office.office_code],
            offices=offices,
            settings=settings,
            now=now,
            actor=principal.as_actor(),
        )
    by = "service" if staff else "claimant"
    uow.publish(
        IntakeRescheduled(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            coach_id=appointment.coach_id,
            office_code=appointment.office_code,
            previous_starts_at=previous_start,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            by=by,
        )
    )
    audit_action(
        uow,
        principal,
        appointment,
        "reschedule",
        old_status,
        extra={
            "by": by,
            "old_slot_id": str(old_slot),
            "slot_id": str(slot.id),
            "starts_at": slot.starts_at.isoformat(),
        },
    )
    uow.commit()
    return appointment


def _pick_after_cancel(
    uow: UnitOfWork,
    cancelled: Appointment,
    claim: Claim,
    slot: Slot,
    *,
    principal: Principal,
    staff: bool,
    now: dt.datetime,
) -> Appointment:
    """Book the slot picked after a claimant's cancellation as a new appointment (the
    cancelled one stays in the history) and take the claim off the unplanned list."""
    appointment = Appointment(
        id=uuid.uuid4(),
        claim_id=claim.id,
        slot_id=slot.id,
        coach_id=slot.coach_id,
        office_code=slot.office_code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=BOOKED,
        deadline=cancelled.deadline,
        booked_at=now,
        summoned=cancelled.summoned,
    )
    try:
        with uow.session.begin_nested():
            if not slots_repository.lock_free_slot(uow.session, slot.id, wait=True):
                raise NotLocked
            repository.add(uow.session, appointment)
            uow.session.flush()
    except (IntegrityError, NotLocked):
        raise SlotUnavailable(
            rules.JUST_TAKEN, slot_id=slot.id, current_status=cancelled.status
        ) from None
    waiting = repository.unplanned(uow.session, claim.id)
    if waiting is not None:
        repository.remove_unplanned(uow.session, waiting)
    scheduled(uow, appointment, principal.as_actor())
    uow.audit(
        actor=principal.as_actor(),
        action="appointment.pick",
        resource_type="appointment",
        resource_id=appointment.id,
        new={"after_cancelled": str(cancelled.id), "by": "service" if staff else "claimant"},
    )
    uow.commit()
    return appointment
