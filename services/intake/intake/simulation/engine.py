"""Week-one intake simulation: seeded arrivals against coach agendas, in memory.

The engine uses the intake service's own rules; only the storage is different (lists in
memory instead of rows, so 10,000 arrivals take seconds):

- working days: `intake.calendar.rules.WorkingDays` (the Algemene termijnenwet list;
  national rules only, no ad-hoc closures);
- the deadline: the n-th working day after the later of first WW day and registration
  date, exactly what `intake.calendar.service.intake_deadline` computes;
- slots: `intake.agendas.rules.cut_slots` on each coach's weekly blocks, with the slot
  length and buffer of `IntakeSettings`;
- which slot a claim gets: `intake.appointments.rules.choose` (home office first, then
  neighbours within the travel time, earliest first), over the offices that
  `intake.appointments.service.search_offices` would search;
- what the service does around it: a shortfall puts the claim on the unplanned list; the
  daily planning run (`run_planning`) retries the list in deadline order and books a claim
  whose deadline has passed at the earliest slot within one more deadline period; a
  no-show books a summons within 3 working days, and the second no-show flags the claim.

`search_offices` and `intake_deadline` are one-liners in modules that pull in SQLAlchemy
and FastAPI (seconds of imports); `_reach` and `_Run.deadline` below restate them and a unit
test checks that they agree for every office.

The model and its assumptions are described in docs/simulation.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import random
import statistics
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from intake.agendas.rules import BlockSpec, SlotSpec, cut_slots, local_day, local_to_utc
from intake.appointments.rules import Candidate, choose
from intake.calendar.rules import WorkingDays
from intake.settings import IntakeSettings
from shared.reference import OfficeDirectory, load_offices

Weighting = Literal["uniform", "postcodes"]
ArrivalModel = Literal["poisson", "fixed"]
Purpose = Literal["intake", "summons"]
Outcome = Literal["held", "no_show"]
Trigger = Literal["registration", "no_show", "planning_run"]

WEIGHTINGS: tuple[Weighting, ...] = ("uniform", "postcodes")
ARRIVAL_MODELS: tuple[ArrivalModel, ...] = ("poisson", "fixed")

# A coach's intake hours on a working weekday: two blocks around a lunch break. With the
# default 45-minute slot and 15-minute buffer they give 3 + 4 = 7 slots a day.
DAY_BLOCKS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9), dt.time(12)),
    (dt.time(13), dt.time(17)),
)
FULL_TIME_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
# Registrations arrive uniformly between these local times on a working day.
ARRIVALS_FROM = dt.time(8)
ARRIVALS_UNTIL = dt.time(20)
# The unplanned list is worked through each working day at this local time.
RETRY_AT = dt.time(7)
# Below this mean a Poisson count is drawn exactly (Knuth); above it, by the normal approximation.
_POISSON_EXACT_BELOW = 30.0


def _setting(name: str) -> int:
    """The default of an IntakeSettings field (not the environment: runs stay reproducible)."""
    value = IntakeSettings.model_fields[name].default
    assert isinstance(value, int)
    return value


def next_monday(today: dt.date) -> dt.date:
    """The first Monday after `today` (a week later when `today` is a Monday)."""
    return today + dt.timedelta(days=7 - today.weekday())


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate. Rule parameters default to the intake service's settings."""

    days: int = 20
    inflow: float = 500.0
    coaches: int = 40
    seed: int = 1
    start: dt.date | None = None
    no_show_rate: float = 0.0
    part_time_share: float = 0.25
    office_limit: int | None = None
    weighting: Weighting = "uniform"
    arrivals: ArrivalModel = "poisson"
    drain_days: int = 10
    deadline_working_days: int = field(
        default_factory=lambda: _setting("intake_deadline_working_days")
    )
    slot_minutes: int = field(default_factory=lambda: _setting("slot_minutes"))
    buffer_minutes: int = field(default_factory=lambda: _setting("slot_buffer_minutes"))
    max_travel_minutes: int = field(default_factory=lambda: _setting("intake_max_travel_minutes"))
    no_show_rebook_working_days: int = field(
        default_factory=lambda: _setting("no_show_rebook_working_days")
    )
    no_shows_before_attention: int = field(
        default_factory=lambda: _setting("no_shows_before_attention")
    )
    slot_horizon_working_days: int = field(
        default_factory=lambda: _setting("slot_horizon_working_days")
    )

    def __post_init__(self) -> None:
        checks = [
            (self.days >= 1, "days must be at least 1"),
            (self.inflow >= 0, "inflow must not be negative"),
            (self.coaches >= 0, "coaches must not be negative"),
            (0 <= self.no_show_rate <= 1, "no_show_rate must lie between 0 and 1"),
            (0 <= self.part_time_share <= 1, "part_time_share must lie between 0 and 1"),
            (self.office_limit is None or self.office_limit >= 1, "office_limit must be >= 1"),
            (self.weighting in WEIGHTINGS, f"weighting must be one of {WEIGHTINGS}"),
            (self.arrivals in ARRIVAL_MODELS, f"arrivals must be one of {ARRIVAL_MODELS}"),
            (self.deadline_working_days >= 1, "deadline_working_days must be at least 1"),
            (
                self.drain_days >= self.deadline_working_days,
                "drain_days must be at least the deadline (every deadline inside the run)",
            ),
            (self.slot_minutes >= 1 and self.buffer_minutes >= 0, "bad slot length or buffer"),
            (self.no_shows_before_attention >= 1, "no_shows_before_attention must be >= 1"),
            (self.no_show_rebook_working_days >= 1, "no_show_rebook_working_days must be >= 1"),
            (self.slot_horizon_working_days >= 1, "slot_horizon_working_days must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


# The simulated world ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coach:
    """A coach holding intakes at one office on some weekdays."""

    no: int
    office_code: str
    part_time: bool
    weekdays: tuple[int, ...]


@dataclass(slots=True)
class Slot:
    """One intake slot of one coach; `claim_no` once booked (a slot is booked at most once)."""

    no: int
    coach_no: int
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    day: dt.date
    claim_no: int | None = None


@dataclass(slots=True)
class Claim:
    """A registration and what became of its intake."""

    no: int
    office_code: str
    registered_at: dt.datetime
    registered_on: dt.date
    deadline: dt.date
    shortfall: bool = False
    shortfalls: int = 0
    no_shows: int = 0
    flagged: bool = False
    held_on: dt.date | None = None
    booked_late: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    """One booking attempt, in the order they happened: who, from when, until which day, result.

    `after` is the attempt's `now` (slots must start after it); `deadline` the last day
    searched (for an overdue claim the end of the planning run's window, not its missed
    deadline, which the booking keeps); `slot_no` is None when nothing fitted.
    """

    seq: int
    claim_no: int
    purpose: Purpose
    trigger: Trigger
    overdue: bool
    after: dt.datetime
    deadline: dt.date
    slot_no: int | None


@dataclass(slots=True)
class Booking:
    """An appointment in a slot, and its outcome once the slot has ended inside the run."""

    slot_no: int
    claim_no: int
    purpose: Purpose
    booked_at: dt.datetime
    deadline: dt.date
    outcome: Outcome | None = None


@dataclass(order=True, slots=True)
class _Unplanned:
    # The service's unplanned order: deadline, since, claim.
    deadline: dt.date
    since: dt.datetime
    claim_no: int
    purpose: Purpose = field(compare=False)


# Figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Week-one figures over a set of claims and the slots of a period.

    The definitions follow the week-one KPIs (issue 3, item 10) at the end of the run, when every
    deadline has passed: `shortfalls` counts failed bookings (at registration and for a
    summons) of these claims, `median_working_days` is over the claims whose intake was held
    (working days after registration up to the held day; same day = 0).
    """

    registrations: int
    booked_in_time: int
    held_in_week_one: int
    shortfalls: int
    no_shows: int
    not_held: int
    median_working_days: float | None
    slots: int
    booked_slots: int

    @property
    def held(self) -> int:
        """Claims whose intake was held (at the first appointment or a summons)."""
        return self.registrations - self.not_held

    @property
    def booked_in_time_share(self) -> float | None:
        """Booked at registration, on or before the deadline."""
        return self.booked_in_time / self.registrations if self.registrations else None

    @property
    def week_one_share(self) -> float | None:
        """Intake held (attended) on or before the deadline: the week-one KPI."""
        return self.held_in_week_one / self.registrations if self.registrations else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows / (no-shows + held intakes)."""
        seen = self.no_shows + self.held
        return self.no_shows / seen if seen else None

    @property
    def utilisation(self) -> float | None:
        """Booked slots / available slots."""
        return self.booked_slots / self.slots if self.slots else None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, shares included."""
        return {
            "registrations": self.registrations,
            "booked_in_time": self.booked_in_time,
            "booked_in_time_share": self.booked_in_time_share,
            "held_in_week_one": self.held_in_week_one,
            "week_one_share": self.week_one_share,
            "shortfalls": self.shortfalls,
            "no_shows": self.no_shows,
            "no_show_rate": self.no_show_rate,
            "held": self.held,
            "not_held": self.not_held,
            "median_working_days": self.median_working_days,
            "slots": self.slots,
            "booked_slots": self.booked_slots,
            "utilisation": self.utilisation,
        }


@dataclass(frozen=True)
class WeekFigures:
    """The figures of one calendar week: claims registered in it, slots lying in it."""

    week: int
    first: dt.date
    last: dt.date
    figures: Figures


@dataclass(frozen=True)
class OfficeFigures:
    """The figures of one office: its claims and its slots in the arrival period."""

    office_code: str
    name: str
    coaches: int
    figures: Figures


@dataclass
class SimulationResult:
    """Everything a run produced: figures for the report, and the raw log for tests."""

    config: SimulationConfig
    start: dt.date
    last_arrival_day: dt.date
    end: dt.date
    offices: list[str]
    coaches: list[Coach]
    slots: list[Slot]
    claims: list[Claim]
    bookings: list[Booking]
    attempts: list[Attempt]
    unplanned_at_end: int
    flagged: int
    weeks: list[WeekFigures]
    total: Figures
    by_office: list[OfficeFigures]

    def as_dict(self) -> dict[str, Any]:
        """The parameters and figures as JSON-able data (no per-claim records)."""
        cfg = self.config
        return {
            "parameters": {
                "days": cfg.days,
                "inflow": cfg.inflow,
                "coaches": cfg.coaches,
                "seed": cfg.seed,
                "start": self.start.isoformat(),
                "no_show_rate": cfg.no_show_rate,
                "part_time_share": cfg.part_time_share,
                "offices": len(self.offices),
                "weighting": cfg.weighting,
                "arrivals": cfg.arrivals,
                "drain_days": cfg.drain_days,
                "deadline_working_days": cfg.deadline_working_days,
                "slot_minutes": cfg.slot_minutes,
                "buffer_minutes": cfg.buffer_minutes,
                "max_travel_minutes": cfg.max_travel_minutes,
                "no_show_rebook_working_days": cfg.no_show_rebook_working_days,
                "no_shows_before_attention": cfg.no_shows_before_attention,
                "slot_horizon_working_days": cfg.slot_horizon_working_days,
            },
            "period": {
                "start": self.start.isoformat(),
                "last_arrival_day": self.last_arrival_day.isoformat(),
                "end": self.end.isoformat(),
            },
            "coaches": {
                "total": len(self.coaches),
                "part_time": sum(1 for c in self.coaches if c.part_time),
            },
            "total": self.total.as_dict(),
            "weeks": [
                {"week": w.week, "first": w.first.isoformat(), "last": w.last.isoformat()}
                | w.figures.as_dict()
                for w in self.weeks
            ],
            "offices": [
                {"office_code": o.office_code, "name": o.name, "coaches": o.coaches}
                | o.figures.as_dict()
                for o in self.by_office
            ],
            "unplanned_at_end": self.unplanned_at_end,
            "flagged_after_no_shows": self.flagged,
        }


# Building the world ----------------------------------------------------------------------


def office_weights(
    offices: Sequence[str], directory: OfficeDirectory, how: Weighting
) -> list[float]:
    """Each office's share of the inflow: equal, or by the number of postcodes it serves."""
    if how == "uniform":
        return [1.0] * len(offices)
    weights = []
    for code in offices:
        office = directory.get(code)
        assert office is not None
        weights.append(float(sum(hi - lo + 1 for lo, hi in office.postcode_ranges)))
    return weights


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainder (ties: earlier first)."""
    mass = sum(weights)
    if total == 0 or mass <= 0:
        return [0] * len(weights)
    quotas = [total * w / mass for w in weights]
    counts = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def part_time_weekdays(ordinal: int) -> tuple[int, ...]:
    """Three days a week, the two free days rotating over the part-timers (never adjacent
    working days off for everyone at once): 0 -> Tue/Thu/Fri, 1 -> Mon/Wed/Fri, ..."""
    off = {ordinal % 5, (ordinal + 2) % 5}
    return tuple(d for d in FULL_TIME_WEEKDAYS if d not in off)


def make_coaches(
    offices: Sequence[str], counts: Sequence[int], part_time_share: float
) -> list[Coach]:
    """Coaches by office (office order), every k-th one part-time so the share is spread."""
    coaches: list[Coach] = []
    part_timers = 0
    for code, count in zip(offices, counts, strict=True):
        for _ in range(count):
            i = len(coaches)
            part = math.floor((i + 1) * part_time_share) > math.floor(i * part_time_share)
            weekdays = part_time_weekdays(part_timers) if part else FULL_TIME_WEEKDAYS
            part_timers += part
            coaches.append(Coach(i, code, part, weekdays))
    return coaches


def coach_blocks(coach: Coach) -> list[BlockSpec]:
    """The coach's weekly blocks (the agenda the service would store)."""
    return [
        BlockSpec(weekday, start, end, coach.office_code)
        for weekday in coach.weekdays
        for start, end in DAY_BLOCKS
    ]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count: exact for small means, the normal approximation for large ones."""
    if mean <= 0:
        return 0
    if mean < _POISSON_EXACT_BELOW:
        limit, k, p = math.exp(-mean), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _reach(code: str, directory: OfficeDirectory, max_minutes: int) -> dict[str, int]:
    """What `intake.appointments.service.search_offices` returns: home office (0 minutes),
    then its neighbours within reach."""
    reach = {code: 0}
    if directory.get(code) is not None:
        for n in directory.neighbours(code, max_minutes=max_minutes):
            reach.setdefault(n.office_code, n.travel_minutes)
    return reach


def _slot_id(no: int) -> uuid.UUID:
    # Deterministic ids whose string order is their number order (rank breaks ties on str).
    return uuid.UUID(int=no)


# The run ---------------------------------------------------------------------------------

_MORNING, _ARRIVAL, _OUTCOME = 0, 1, 2


class _Run:
    def __init__(self, config: SimulationConfig, directory: OfficeDirectory, today: dt.date):
        self.cfg = config
        self.directory = directory
        self.calendar = WorkingDays()
        self.rng = random.Random(config.seed)
        self._deadlines: dict[tuple[dt.date, int], dt.date] = {}
        self._between: dict[tuple[dt.date, dt.date], int] = {}

        codes = [o.code for o in directory.offices]
        self.offices = codes[: config.office_limit] if config.office_limit else codes
        simulated = set(self.offices)
        self.weights = office_weights(self.offices, directory, config.weighting)
        self.reach = {
            code: sorted(
                (
                    (minutes, office)
                    for office, minutes in _reach(
                        code, directory, config.max_travel_minutes
                    ).items()
                    if office in simulated
                ),
            )
            for code in self.offices
        }

        first = config.start or next_monday(today)
        self.start = first if self.calendar.is_working_day(first) else self.add(first, 1)
        self.arrival_days = [self.add(self.start, i) for i in range(config.days)]
        self.last_arrival_day = self.arrival_days[-1]
        self.end = self.add(self.last_arrival_day, config.drain_days)
        self.run_days = [self.add(self.start, i) for i in range(config.days + config.drain_days)]
        self.run_end = local_to_utc(self.end + dt.timedelta(days=1), dt.time(0))

        counts = apportion(config.coaches, self.weights)
        self.coaches = make_coaches(self.offices, counts, config.part_time_share)
        self.slots = self._cut(self.add(self.end, config.slot_horizon_working_days))
        self.free: dict[str, list[tuple[dt.datetime, int]]] = {c: [] for c in self.offices}
        for s in self.slots:
            self.free[s.office_code].append((s.starts_at, s.no))
        for lst in self.free.values():
            lst.sort()

        self.claims: list[Claim] = []
        self.bookings: list[Booking] = []
        self.attempts: list[Attempt] = []
        self.unplanned: list[_Unplanned] = []
        self.events: list[tuple[dt.datetime, int, int, int]] = []
        self.seq = 0

    # Calendar -------------------------------------------------------------------------

    def add(self, day: dt.date, n: int) -> dt.date:
        return self.calendar.add_working_days(day, n)

    def _deadline(self, start: dt.date, n: int) -> dt.date:
        key = (start, n)
        if key not in self._deadlines:
            self._deadlines[key] = self.add(start, n)
        return self._deadlines[key]

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        key = (a, b)
        if key not in self._between:
            self._between[key] = self.calendar.working_days_between(a, b)
        return self._between[key]

    def deadline(self, *, first_ww_day: dt.date, registered_on: dt.date) -> dt.date:
        """`intake_deadline`: n working days after the later of first WW day and registration."""
        return self._deadline(max(first_ww_day, registered_on), self.cfg.deadline_working_days)

    # Slots ----------------------------------------------------------------------------

    def _cut(self, last: dt.date) -> list[Slot]:
        """Every coach's slots from the start to `last`.

        Without office closures a slot's times depend only on the weekly blocks, so one cut
        per distinct weekly pattern serves the coaches of every office.
        """
        cuts: dict[tuple[int, ...], list[tuple[SlotSpec, dt.date]]] = {}
        slots: list[Slot] = []
        for coach in self.coaches:
            if coach.weekdays not in cuts:
                specs = cut_slots(
                    coach_blocks(coach),
                    (),
                    first=self.start,
                    last=last,
                    is_working_day=lambda day, _office: self.calendar.is_working_day(day),
                    slot_minutes=self.cfg.slot_minutes,
                    buffer_minutes=self.cfg.buffer_minutes,
                )
                cuts[coach.weekdays] = [(spec, local_day(spec.starts_at)) for spec in specs]
            for spec, day in cuts[coach.weekdays]:
                slots.append(
                    Slot(len(slots), coach.no, coach.office_code, spec.starts_at, spec.ends_at, day)
                )
        return slots

    # Events ---------------------------------------------------------------------------

    def push(self, at: dt.datetime, kind: int, ref: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, ref))

    def generate_arrivals(self) -> None:
        span = (
            dt.datetime.combine(dt.date.min, ARRIVALS_UNTIL)
            - dt.datetime.combine(dt.date.min, ARRIVALS_FROM)
        ).total_seconds()
        carry = 0.0
        for day in self.arrival_days:
            if self.cfg.arrivals == "fixed":
                # The fractional part carries over, so the mean is exactly the inflow.
                carry += self.cfg.inflow
                n = math.floor(carry + 1e-9)
                carry -= n
            else:
                n = poisson(self.rng, self.cfg.inflow)
            picks = self.rng.choices(self.offices, weights=self.weights, k=n) if n else []
            times = sorted(self.rng.random() * span for _ in range(n))
            base = dt.datetime.combine(day, ARRIVALS_FROM)
            deadline = self.deadline(first_ww_day=day, registered_on=day)
            for office, offset in zip(picks, times, strict=True):
                local = base + dt.timedelta(seconds=int(offset))
                at = local_to_utc(day, local.time())
                claim = Claim(len(self.claims), office, at, day, deadline)
                self.claims.append(claim)
                self.push(at, _ARRIVAL, claim.no)

    # Booking --------------------------------------------------------------------------

    def book(
        self,
        claim: Claim,
        *,
        purpose: Purpose,
        trigger: Trigger,
        now: dt.datetime,
        deadline: dt.date,
        search_until: dt.date | None = None,
    ) -> Slot | None:
        """`try_book`: the service's choice among the free slots starting after `now` up to
        `search_until` (default: the deadline), by `choose`; the booking records `deadline`.

        Per office only its earliest free slot in the window can win, so one candidate per
        office is enough for `choose` to give the same answer as over all free slots.
        """
        last_day = search_until or deadline
        before = local_to_utc(last_day + dt.timedelta(days=1), dt.time(0))
        candidates = []
        for minutes, office in self.reach[claim.office_code]:
            free = self.free[office]
            i = bisect.bisect_right(free, (now, sys.maxsize))
            if i < len(free) and free[i][0] < before:
                slot = self.slots[free[i][1]]
                candidates.append(
                    Candidate(
                        _slot_id(slot.no),
                        _slot_id(slot.coach_no),
                        slot.office_code,
                        slot.starts_at,
                        slot.ends_at,
                        minutes,
                    )
                )
        chosen = choose(candidates, now=now, deadline=last_day)
        self.seq += 1
        slot_no = None if chosen is None else chosen.slot_id.int
        overdue = search_until is not None
        self.attempts.append(
            Attempt(self.seq, claim.no, purpose, trigger, overdue, now, last_day, slot_no)
        )
        if slot_no is None:
            return None
        slot = self.slots[slot_no]
        free = self.free[slot.office_code]
        i = bisect.bisect_left(free, (slot.starts_at, slot.no))
        assert free[i] == (slot.starts_at, slot.no), "the free index lost a slot"
        assert slot.claim_no is None, "a slot is booked at most once"
        del free[i]
        slot.claim_no = claim.no
        self.bookings.append(Booking(slot.no, claim.no, purpose, now, deadline))
        if slot.ends_at < self.run_end:
            self.push(slot.ends_at, _OUTCOME, len(self.bookings) - 1)
        return slot

    def on_arrival(self, claim: Claim) -> None:
        """`book_on_registration`: earliest feasible slot before the deadline, else unplanned."""
        at = claim.registered_at
        if (
            self.book(
                claim, purpose="intake", trigger="registration", now=at, deadline=claim.deadline
            )
            is None
        ):
            claim.shortfall = True
            claim.shortfalls += 1
            heapq.heappush(self.unplanned, _Unplanned(claim.deadline, at, claim.no, "intake"))

    def on_outcome(self, booking: Booking) -> None:
        """The slot has ended: held, or a no-show (a summons within n working days, or a flag)."""
        slot = self.slots[booking.slot_no]
        claim = self.claims[booking.claim_no]
        if self.cfg.no_show_rate and self.rng.random() < self.cfg.no_show_rate:
            booking.outcome = "no_show"
            claim.no_shows += 1
            if claim.no_shows >= self.cfg.no_shows_before_attention:
                claim.flagged = True  # the coach follows up; no automatic summons
                return
            deadline = self._deadline(slot.day, self.cfg.no_show_rebook_working_days)
            now = slot.ends_at
            if (
                self.book(claim, purpose="summons", trigger="no_show", now=now, deadline=deadline)
                is None
            ):
                claim.shortfalls += 1
                heapq.heappush(self.unplanned, _Unplanned(deadline, now, claim.no, "summons"))
            return
        booking.outcome = "held"
        claim.held_on = slot.day

    def on_morning(self, day: dt.date) -> None:
        """The planning run: the unplanned list in deadline order (like `book_unplanned`).

        Before its deadline a claim is booked only on or before it; once the deadline has
        passed, at the earliest slot within one more deadline period (`late_until`), and it
        keeps its missed deadline.
        """
        now = local_to_utc(day, RETRY_AT)
        late_until = self._deadline(day, self.cfg.deadline_working_days)
        waiting = sorted(self.unplanned)
        self.unplanned = []
        for entry in waiting:
            claim = self.claims[entry.claim_no]
            overdue = entry.deadline < day
            booked = self.book(
                claim,
                purpose=entry.purpose,
                trigger="planning_run",
                now=now,
                deadline=entry.deadline,
                search_until=late_until if overdue else None,
            )
            if booked is None:
                self.unplanned.append(entry)
            elif overdue and entry.purpose == "intake":
                claim.booked_late = True
        heapq.heapify(self.unplanned)

    def run(self, on_day: Callable[[int, int], None] | None) -> None:
        self.generate_arrivals()
        for i, day in enumerate(self.run_days):
            self.push(local_to_utc(day, RETRY_AT), _MORNING, i)
        total = len(self.run_days)
        while self.events and self.events[0][0] < self.run_end:
            _, _, kind, ref = heapq.heappop(self.events)
            if kind == _MORNING:
                if on_day is not None:
                    on_day(ref, total)
                self.on_morning(self.run_days[ref])
            elif kind == _ARRIVAL:
                self.on_arrival(self.claims[ref])
            else:
                self.on_outcome(self.bookings[ref])
        if on_day is not None:
            on_day(total, total)

    # Figures --------------------------------------------------------------------------

    def figures(self, claims: Iterable[Claim], slots: Iterable[Slot]) -> Figures:
        claims = list(claims)
        waits = [
            self.working_days_between(c.registered_on, c.held_on)
            for c in claims
            if c.held_on is not None
        ]
        slots = list(slots)
        return Figures(
            registrations=len(claims),
            booked_in_time=sum(1 for c in claims if not c.shortfall),
            held_in_week_one=sum(
                1 for c in claims if c.held_on is not None and c.held_on <= c.deadline
            ),
            shortfalls=sum(c.shortfalls for c in claims),
            no_shows=sum(c.no_shows for c in claims),
            not_held=len(claims) - len(waits),
            median_working_days=float(statistics.median(waits)) if waits else None,
            slots=len(slots),
            booked_slots=sum(1 for s in slots if s.claim_no is not None),
        )

    def result(self) -> SimulationResult:
        in_period = [s for s in self.slots if self.start <= s.day <= self.last_arrival_day]
        weeks: list[WeekFigures] = []
        n_weeks = (self.last_arrival_day - self.start).days // 7 + 1
        for w in range(n_weeks):
            first = self.start + dt.timedelta(days=7 * w)
            last = min(first + dt.timedelta(days=6), self.last_arrival_day)
            weeks.append(
                WeekFigures(
                    w + 1,
                    first,
                    last,
                    self.figures(
                        (c for c in self.claims if first <= c.registered_on <= last),
                        (s for s in in_period if first <= s.day <= last),
                    ),
                )
            )
        coaches_at: dict[str, int] = {}
        for c in self.coaches:
            coaches_at[c.office_code] = coaches_at.get(c.office_code, 0) + 1
        by_office = []
        for code in self.offices:
            office = self.directory.get(code)
            assert office is not None
            by_office.append(
                OfficeFigures(
                    code,
                    office.name,
                    coaches_at.get(code, 0),
                    self.figures(
                        (c for c in self.claims if c.office_code == code),
                        (s for s in in_period if s.office_code == code),
                    ),
                )
            )
        by_office.sort(key=lambda o: (-o.figures.shortfalls, o.office_code))
        return SimulationResult(
            config=self.cfg,
            start=self.start,
            last_arrival_day=self.last_arrival_day,
            end=self.end,
            offices=list(self.offices),
            coaches=self.coaches,
            slots=self.slots,
            claims=self.claims,
            bookings=self.bookings,
            attempts=self.attempts,
            unplanned_at_end=len(self.unplanned),
            flagged=sum(1 for c in self.claims if c.flagged),
            weeks=weeks,
            total=self.figures(self.claims, in_period),
            by_office=by_office,
        )


def simulate(
    config: SimulationConfig,
    *,
    offices: OfficeDirectory | None = None,
    today: dt.date | None = None,
    on_day: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Run the simulation; `on_day(done, total)` reports progress per simulated working day."""
    run = _Run(config, offices or load_offices(), today or dt.date.today())
    run.run(on_day)
    return run.result()
