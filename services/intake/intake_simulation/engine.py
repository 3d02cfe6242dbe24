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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from intake.agendas.rules import SlotSpec, cut_slots, local_day, local_to_utc
from intake.appointments.rules import Candidate, choose
from intake.calendar.rules import WorkingDays
from intake_simulation.config import (
    ARRIVALS_FROM,
    ARRIVALS_UNTIL,
    RETRY_AT,
    Purpose,
    SimulationConfig,
    Trigger,
    next_monday,
)
from intake_simulation.results import Figures, OfficeFigures, SimulationResult, WeekFigures
from intake_simulation.world import (
    Attempt,
    Booking,
    Claim,
    Slot,
    apportion,
    coach_blocks,
    make_coaches,
    office_weights,
    poisson,
)
from shared.reference import OfficeDirectory, load_offices


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


@dataclass(order=True, slots=True)
class _Unplanned:
    # The service's unplanned order: deadline, since, claim.
    deadline: dt.date
    since: dt.datetime
    claim_no: int
    purpose: Purpose = field(compare=False)


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
