"""Which slot a claim gets: the pure choice (no I/O), unit- and property-testable."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from intake.agendas.rules import LOCAL_TZ, local_day, local_to_utc


@dataclass(frozen=True)
class Candidate:
    """A free slot, with the travel time from the claimant's office to the slot's office."""

    slot_id: uuid.UUID
    coach_id: uuid.UUID
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    travel_minutes: int


@dataclass(frozen=True)
class UnavailableTime:
    """A time the claimant declared they cannot attend, in local (Europe/Amsterdam) time:
    every week on `weekday` (0 = Monday), or on one `date`; from `start` to `end`."""

    start: dt.time
    end: dt.time
    weekday: int | None = None
    date: dt.date | None = None

    def overlaps(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        """True when a slot (aware datetimes) overlaps this time on its local day."""
        local_start = starts_at.astimezone(LOCAL_TZ)
        day = local_start.date()
        if self.date is not None and day != self.date:
            return False
        if self.weekday is not None and day.weekday() != self.weekday:
            return False
        local_end = ends_at.astimezone(LOCAL_TZ)
        # A slot never spans midnight; compare wall-clock times on the slot's day.
        end_time = local_end.time() if local_end.date() == day else dt.time.max
        return local_start.time() < self.end and self.start < end_time

    @classmethod
    def from_json(cls, item: dict[str, object]) -> UnavailableTime:
        """From the stored form: {"weekday" | "date", "start_time", "end_time"}."""
        weekday, date = item.get("weekday"), item.get("date")
        return cls(
            start=dt.time.fromisoformat(str(item["start_time"])),
            end=dt.time.fromisoformat(str(item["end_time"])),
            weekday=int(str(weekday)) if weekday is not None else None,
            date=dt.date.fromisoformat(str(date)) if date is not None else None,
        )


def feasible(
    candidate: Candidate,
    *,
    now: dt.datetime,
    deadline: dt.date,
    unavailable: Sequence[UnavailableTime] = (),
) -> bool:
    """Strictly in the future, on or before the deadline (local day), and not at a time the
    claimant declared unavailable."""
    return (
        candidate.starts_at > now
        and local_day(candidate.starts_at) <= deadline
        and not any(u.overlaps(candidate.starts_at, candidate.ends_at) for u in unavailable)
    )


def rank(
    candidates: Iterable[Candidate],
    *,
    now: dt.datetime,
    deadline: dt.date,
    unavailable: Sequence[UnavailableTime] = (),
    known_coaches: Collection[uuid.UUID] = (),
) -> list[Candidate]:
    """Feasible candidates in booking order: home office first, then nearer offices; within
    an office distance a coach the claimant has met before the others (continuity; every
    candidate is before the deadline anyway), then the earliest start; the slot id breaks
    ties so the order is total."""
    return sorted(
        (c for c in candidates if feasible(c, now=now, deadline=deadline, unavailable=unavailable)),
        key=lambda c: (
            c.travel_minutes,
            c.coach_id not in known_coaches,
            c.starts_at,
            str(c.slot_id),
        ),
    )


def choose(
    candidates: Iterable[Candidate],
    *,
    now: dt.datetime,
    deadline: dt.date,
    taken: Collection[uuid.UUID] = (),
    unavailable: Sequence[UnavailableTime] = (),
    known_coaches: Collection[uuid.UUID] = (),
) -> Candidate | None:
    """The first ranked candidate whose slot is not taken, or None (a capacity shortfall)."""
    for c in rank(
        candidates,
        now=now,
        deadline=deadline,
        unavailable=unavailable,
        known_coaches=known_coaches,
    ):
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
