"""No intake before the first WW day is near (issue 12, item 9a); no FastAPI here.

A claim whose first WW day lies further ahead than INTAKE_INTAKE_BOOKING_WINDOW_WORKING_DAYS
working days is not booked at registration: it waits in `deferred_intakes` and the planning
run books it once the window has opened. The deadline stays the handbook's: the n-th working
day after the later of first WW day and registration day.
"""

from __future__ import annotations

import datetime as dt

from intake.agendas.rules import local_day
from intake.calendar.service import WorkingDayCalendar, intake_deadline
from intake.claims.models import Claim
from intake.planning import repository
from intake.planning.models import DeferredIntake
from intake.settings import IntakeSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory


def bookable_from(
    calendar: WorkingDayCalendar, *, first_ww_day: dt.date, office_code: str | None, n: int
) -> dt.date:
    """The n-th working day before the first WW day (the first WW day itself for n == 0)."""
    calendar.prefetch(first_ww_day - dt.timedelta(days=n * 7 // 5 + 14), first_ww_day, office_code)
    day, left = first_ww_day, n
    while left:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day, office_code):
            left -= 1
    return day


def defer_if_early(
    *,
    uow: UnitOfWork,
    claim: Claim,
    deadline: dt.date,
    actor: Actor,
    settings: IntakeSettings,
    today: dt.date,
    now: dt.datetime,
) -> DeferredIntake | None:
    """Defer the booking of a claim whose booking window opens after today (no commit)."""
    if claim.first_ww_day <= today:
        return None
    opens = bookable_from(
        WorkingDayCalendar(uow.session),
        first_ww_day=claim.first_ww_day,
        office_code=claim.office_code,
        n=settings.intake_booking_window_working_days,
    )
    if opens <= today:
        return None
    row = DeferredIntake(
        claim_id=claim.id,
        office_code=claim.office_code,
        bookable_from=opens,
        deadline=deadline,
        since=now,
    )
    repository.add_deferred(uow.session, row)
    uow.audit(
        actor=actor,
        action="appointment.defer",
        resource_type="claim",
        resource_id=claim.id,
        new={"bookable_from": opens.isoformat(), "deadline": deadline.isoformat()},
        reason="first WW day further ahead than the booking window",
    )
    return row


def book_deferred(
    *,
    uow: UnitOfWork,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    actor: Actor,
) -> int:
    """Book every deferred intake whose window has opened (the planning run); no commit.

    Nothing fits before the deadline: `intake.capacity_shortfall` and the unplanned list, as
    at registration. A claim no longer open is dropped. Returns how many were booked.
    """
    # Deferred import: booking imports this module for the registration path.
    from intake.appointments import service as booking
    from intake.claims import repository as claims_repository

    session = uow.session
    today = local_day(now)
    calendar = WorkingDayCalendar(session)
    booked = 0
    for row in repository.deferred_due(session, today):
        claim = claims_repository.get(session, row.claim_id)
        repository.remove_deferred(session, row)
        if claim is None or claim.status != "open":
            continue
        # The calendar as it is now (a closure declared meanwhile moves the deadline), and the
        # claim's office as it is now (the claimant may have moved).
        deadline = intake_deadline(
            calendar,
            first_ww_day=claim.first_ww_day,
            registered_on=local_day(claim.registered_at),
            office_code=claim.office_code,
            working_days=settings.intake_deadline_working_days,
        )
        appointment, searched = booking.try_book(
            uow,
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=deadline,
            offices=offices,
            settings=settings,
            now=now,
            prefs=booking.Preferences.of(session, claim, settings),
        )
        if appointment is not None:
            booking._scheduled(uow, appointment, actor)
            booked += 1
        else:
            booking._shortfall(
                uow,
                claim_id=claim.id,
                office_code=claim.office_code,
                deadline=deadline,
                searched=searched,
                now=now,
            )
    session.flush()
    return booked
