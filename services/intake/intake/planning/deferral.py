"""No intake before the first WW day is near (issue 12, item 9a); no FastAPI here.

A claim whose first WW day lies further ahead than INTAKE_INTAKE_BOOKING_WINDOW_WORKING_DAYS
working days is not booked at registration: it waits in `deferred_intakes` and the planning
run books it once the window has opened. The deadline stays the handbook's: the n-th working
day after the later of first WW day and registration day.
"""

from __future__ import annotations

import datetime as dt

from intake.calendar.service import WorkingDayCalendar
from intake.claims.models import Claim
from intake.planning import repository
from intake.planning.models import DeferredIntake
from intake.settings import IntakeSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork


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
