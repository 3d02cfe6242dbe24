"""Which slot a claim gets: the pure choice (no I/O), unit- and property-testable."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Protocol

from intake.agendas.rules import local_day, local_to_utc


@dataclass(frozen=True)
class Candidate:
    """A free slot, with the travel time from the claimant's office to the slot's office."""

    slot_id: uuid.UUID
    coach_id: uuid.UUID
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    travel_minutes: int


def feasible(candidate: Candidate, *, now: dt.datetime, deadline: dt.date) -> bool:
    """Strictly in the future and on or before the deadline (local day)."""
    return candidate.starts_at > now and local_day(candidate.starts_at) <= deadline


def rank(
    candidates: Iterable[Candidate], *, now: dt.datetime, deadline: dt.date
) -> list[Candidate]:
    """Feasible candidates in booking order: home office first, then nearer offices; earliest
    start within an office distance; the slot id breaks ties so the order is total."""
    return sorted(
        (c for c in candidates if feasible(c, now=now, deadline=deadline)),
        key=lambda c: (c.travel_minutes, c.starts_at, str(c.slot_id)),
    )


def choose(
    candidates: Iterable[Candidate],
    *,
    now: dt.datetime,
    deadline: dt.date,
    taken: Collection[uuid.UUID] = (),
) -> Candidate | None:
    """The first ranked candidate whose slot is not taken, or None (a capacity shortfall)."""
    for c in rank(candidates, now=now, deadline=deadline):
        if c.slot_id not in taken:
            return c
    return None


# Actions on an appointment ------------------------------------------------------------------

RESCHEDULE = "reschedule"
CANCEL = "cancel"
CANCEL_BY_SERVICE = "cancel_by_service"
NO_SHOW = "no_show"
COMPLETE = "complete"


def allowed_actions(
    *,
    status: str,
    starts_at: dt.datetime,
    now: dt.datetime,
    staff: bool,
    cutoff: dt.timedelta,
) -> list[str]:
    """What the caller may do with an appointment now (an empty list once it has ended).

    A claimant reschedules until `cutoff` before the start and cancels until the start; staff
    reschedule any time before the start, record a no-show or the completion only after it,
    and may cancel while it is active.
    """
    if status not in ("booked", "rescheduled"):
        return []
    started = now >= starts_at
    if not staff:
        if started:
            return []
        return [RESCHEDULE, CANCEL] if now < starts_at - cutoff else [CANCEL]
    if started:
        return [CANCEL_BY_SERVICE, NO_SHOW, COMPLETE]
    return [RESCHEDULE, CANCEL_BY_SERVICE]


# Reminders ----------------------------------------------------------------------------------

REMINDER_WORKING_DAYS_BEFORE = 2
REMINDER_LOCAL_TIME = dt.time(9, 0)


class WorkingDayLookup(Protocol):
    """What the reminder rule needs of a calendar (WorkingDayCalendar fits)."""

    def is_working_day(self, day: dt.date, office_code: str | None = None) -> bool: ...


def reminder_due_at(
    starts_at: dt.datetime,
    calendar: WorkingDayLookup,
    office_code: str | None,
    *,
    booked_at: dt.datetime | None = None,
) -> dt.datetime:
    """09:00 Europe/Amsterdam on the 2nd working day before the appointment's local date.

    Weekends, holidays and the office's closures are skipped. An appointment booked (or moved)
    after that moment is due at once: the result is never before `booked_at`.
    """
    day, found = local_day(starts_at), 0
    while found < REMINDER_WORKING_DAYS_BEFORE:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day, office_code):
            found += 1
    due = local_to_utc(day, REMINDER_LOCAL_TIME)
    return max(due, booked_at) if booked_at is not None else due
