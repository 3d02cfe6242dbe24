"""Which slot a claim gets: the pure choice (no I/O), unit- and property-testable."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
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


# Which slot a claim may get: the one eligibility rule (ADR 0017) ----------------------------

# A claimant's cancellation reason that pauses booking (the others only exclude the slot).
ILLNESS = "illness"

# Why a slot is refused; the code is `reason` in the 409 (`slot-unavailable`).
OUT_OF_REACH = "out_of_reach"
NOT_OPEN = "closed"
IN_THE_PAST = "in_the_past"
CURRENT_SLOT = "current_slot"
CANCELLED_BY_CLAIMANT_SLOT = "cancelled_by_claimant"
TOO_EARLY = "too_early"
BEYOND_DEADLINE = "beyond_deadline"
ALREADY_BOOKED = "already_booked"
JUST_TAKEN = "just_taken"

REFUSAL_DETAILS = {
    OUT_OF_REACH: "the slot is at an office outside the claimant's reach",
    NOT_OPEN: "the slot is no longer in the agenda (closed or withdrawn)",
    IN_THE_PAST: "the slot has already started",
    CURRENT_SLOT: "the slot is the appointment's current slot",
    CANCELLED_BY_CLAIMANT_SLOT: "the claimant cancelled this slot before; it is not offered again",
    TOO_EARLY: "the slot is earlier than the notice or pause this claim needs",
    BEYOND_DEADLINE: "the slot is after the intake deadline",
    ALREADY_BOOKED: "the slot was already booked by another appointment",
    JUST_TAKEN: "the slot was just taken by another booking",
}

# Slots starting before this local time are "morning", the others "afternoon".
NOON = dt.time(12, 0)
MORNING, AFTERNOON = "morning", "afternoon"


def part_of_day(starts_at: dt.datetime) -> str:
    """`morning` or `afternoon` by the slot's local (Europe/Amsterdam) start time."""
    return MORNING if starts_at.astimezone(LOCAL_TZ).time() < NOON else AFTERNOON


@dataclass(frozen=True)
class SlotView:
    """What the eligibility rule needs to know of a slot."""

    slot_id: uuid.UUID
    office_code: str
    starts_at: dt.datetime
    open: bool = True
    taken: bool = False


@dataclass(frozen=True)
class Window:
    """Which slots a claim may be booked into or pick now (the booking window).

    `not_before` is the earliest allowed start (now, or later for a summons' notice or an
    illness pause); `last_day` the last local day (the deadline, or later for an overdue
    claim); `excluded` the slots that are never offered (the claimant's cancelled ones and
    the current one).
    """

    reach: Mapping[str, int]
    now: dt.datetime
    not_before: dt.datetime
    last_day: dt.date
    excluded: frozenset[uuid.UUID] = frozenset()
    current: uuid.UUID | None = None

    def travel(self, office_code: str) -> int:
        """Travel minutes from the claimant's office (the office must be within reach)."""
        return self.reach[office_code]


def refusal(slot: SlotView, window: Window) -> str | None:
    """Why this slot may not be booked or picked now, or None when it may.

    The one rule behind booking, `alternatives` and `reschedule`: what one offers the other
    accepts. The order decides which reason is reported when several apply.
    """
    if slot.office_code not in window.reach:
        return OUT_OF_REACH
    if slot.slot_id == window.current:
        return CURRENT_SLOT
    if not slot.open:
        return NOT_OPEN
    if slot.starts_at <= window.now:
        return IN_THE_PAST
    if slot.slot_id in window.excluded:
        return CANCELLED_BY_CLAIMANT_SLOT
    if slot.starts_at < window.not_before:
        return TOO_EARLY
    if local_day(slot.starts_at) > window.last_day:
        return BEYOND_DEADLINE
    if slot.taken:
        return ALREADY_BOOKED
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
    rebookable: bool = False,
) -> list[str]:
    """What the caller may do with an appointment now (an empty list once it has ended).

    A claimant reschedules until `cutoff` before the start and cancels until the start; staff
    reschedule any time before the start, record a no-show or the completion only after it,
    and may cancel while it is active. After a claimant's cancellation, while it is the open
    claim's latest appointment and nothing else is booked (`rebookable`), a new slot may be
    picked (`reschedule` books a new appointment).
    """
    if status == "cancelled_by_claimant" and rebookable:
        return [RESCHEDULE]
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
