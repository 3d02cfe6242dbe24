"""What a closure does to slots and booked intakes (issue 12, item 2); no FastAPI here.

Adding a closure withdraws the open slots of that day (the office's, or every office's for
a national closure) and cancels by the service every active appointment starting on it,
rebooking each at once before its deadline where a slot is free, else a capacity shortfall
and the unplanned list, as `cancel_by_service` does. Slot generation already skips closed
days, so a later run never recreates those slots: a closure added after the slots were
generated leaves the same slots as one added before.

Removing a closure regenerates that day's slots for the agendas that reach it and books
waiting claims into them. Appointments cancelled for the closure stay cancelled: their
claims were rebooked (or listed) and told so; moving them back would be a second change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from intake.agendas.rules import local_day, local_to_utc
from intake.appointments.booking import book_unplanned, rebook_or_shortfall
from intake.appointments.cancellations import record_service_cancel
from intake.appointments.models import Appointment
from intake.calendar.models import Closure
from intake.calendar.service import WorkingDayCalendar
from intake.claims.models import Claim
from intake.settings import IntakeSettings
from intake.slots import repository as slots_repository
from intake.slots.service import generate_slots
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory

REASON_CODE = "office_closed"
"""The `reason_code` of `intake.cancelled` for an appointment on a closed day."""


@dataclass(frozen=True)
class ClosureEffect:
    """What adding a closure changed."""

    slots_withdrawn: int = 0
    appointments_cancelled: int = 0
    appointments_rebooked: int = 0
    appointments_unplanned: int = 0

    def as_json(self) -> dict[str, int]:
        """The counts, for the audit trail and the response."""
        return {
            "slots_withdrawn": self.slots_withdrawn,
            "appointments_cancelled": self.appointments_cancelled,
            "appointments_rebooked": self.appointments_rebooked,
            "appointments_unplanned": self.appointments_unplanned,
        }


def _window(closure: Closure, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    # What has already started (a closure declared during the day) is left alone.
    start = local_to_utc(closure.day, dt.time(0))
    return max(now, start), local_to_utc(closure.day + dt.timedelta(days=1), dt.time(0))


def apply_closure(
    *,
    uow: UnitOfWork,
    closure: Closure,
    actor: Actor,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> ClosureEffect:
    """Withdraw the closed day's slots and rebook its appointments by the service (no commit).

    The closure must be flushed first: rebooking searches slots on the calendar with it.
    """
    session = uow.session
    codes = None if closure.is_national else [closure.office_code]
    after, before = _window(closure, now)
    if before <= after:
        return ClosureEffect()
    appointments = slots_repository.active_appointments_between(
        session, codes, after=after, before=before
    )
    withdrawn = slots_repository.withdraw_slots_between(session, codes, after=after, before=before)
    reason = f"{REASON_CODE}: closure {closure.id}"
    for appointment in appointments:
        record_service_cancel(
            uow,
            appointment,
            reason_code=REASON_CODE,
            actor=actor,
            now=now,
            reason=reason,
            extra={"closure_id": str(closure.id)},
        )
    session.flush()
    rebooked, unplanned = _rebook(
        uow, appointments, actor=actor, offices=offices, settings=settings, now=now
    )
    session.flush()
    return ClosureEffect(withdrawn, len(appointments), rebooked, unplanned)


def _rebook(
    uow: UnitOfWork,
    appointments: Sequence[Appointment],
    *,
    actor: Actor,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> tuple[int, int]:
    """Rebook the open claims of the cancelled appointments, earliest deadline first (the
    most urgent claims get the remaining slots), an overdue one within one more deadline
    period; else a shortfall and the unplanned list, never silent. Returns how many were
    rebooked and how many listed."""
    session = uow.session
    today = local_day(now)
    calendar = WorkingDayCalendar(session)
    rebooked = unplanned = 0
    for appointment in appointments:
        claim = session.get(Claim, appointment.claim_id)
        if claim is None or claim.status != "open":
            continue
        late_until = (
            calendar.add_working_days(
                today, settings.intake_deadline_working_days, claim.office_code
            )
            if appointment.deadline < today
            else None
        )
        new = rebook_or_shortfall(
            uow,
            claim,
            deadline=appointment.deadline,
            actor=actor,
            offices=offices,
            settings=settings,
            now=now,
            search_until=late_until,
            exclude_slots={appointment.slot_id},
            summoned=appointment.summoned,
        )
        if new is not None:
            rebooked += 1
        else:
            unplanned += 1
    return rebooked, unplanned


def lift_closure(
    *,
    uow: UnitOfWork,
    closure: Closure,
    actor: Actor,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> int:
    """The day is open again: regenerate its slots where agendas reach it and book waiting
    claims into them (no commit). The closure must be deleted and flushed first. Returns how
    many waiting claims were booked."""
    session = uow.session
    if closure.day < local_day(now):
        return 0
    codes = None if closure.is_national else [closure.office_code]
    gained: set[str] = set()
    for agenda in slots_repository.agendas_reaching(session, codes, closure.day):
        gained |= generate_slots(
            session,
            coach_id=agenda.coach_id,
            first=closure.day,
            last=closure.day,
            settings=settings,
            now=now,
        )
    if not gained:
        return 0
    return book_unplanned(
        uow=uow,
        office_codes=sorted(gained),
        offices=offices,
        settings=settings,
        now=now,
        actor=actor,
    )
