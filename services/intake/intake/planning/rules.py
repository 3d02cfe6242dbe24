"""Intake capacity planning, the pure part (no I/O): deadlines, EDF, need and shortfall.

The model. Every registration of day d is one intake of one slot, to be held on a working
day after d and at the latest on its deadline, the n-th working day after d (the later of
first WW day and registration day is assumed to be the registration day). Same-day intakes
are not counted on: registrations arrive during the day. So each registration is a unit job
with a window of exactly n working days: (d, deadline(d)].

Earliest deadline first (EDF): walk the days in order; on each day hold as many waiting
registrations as there are slots, earliest deadline first. The windows are intervals of
days, so this greedy holds the largest possible number of registrations in time (Glover's
rule for convex bipartite matching). Three consequences are used below:

- **Enough** capacity is exactly: EDF misses nothing.
- **Need** (`needed`): the smallest number k of slots per working day with which EDF
  misses nothing, found by bisection; the plan holds intakes as early as possible under
  that daily cap. Its days add up to the registrations (one slot each, none idle), so one
  slot less on any day misses a deadline, and with k - 1 slots a day some deadline is
  missed: the peak is minimal too.
- **Shortfall**: EDF on the slots the current agendas leave free; the registrations it
  misses are counted on their deadline day (the last day a slot still helps). Their number
  is the minimum extra capacity (each extra slot holds at most one more registration), and
  one extra slot on each of those days is enough.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from intake.agendas.rules import BlockSpec, DayRange, cut_slots, local_day
from intake.kpis.rules import IsoWeek

IsWorkingDay = Callable[[dt.date], bool]


@dataclass(frozen=True, order=True)
class JobGroup:
    """`count` registrations of one day: held from `release` to `deadline` (inclusive)."""

    release: dt.date
    deadline: dt.date
    registered_on: dt.date
    count: int


def nth_working_day_after(day: dt.date, n: int, is_working_day: IsWorkingDay) -> dt.date:
    """The n-th working day strictly after `day`."""
    if n < 1:
        raise ValueError("n must be >= 1")
    left = n
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def job_groups(
    registrations: Mapping[dt.date, int],
    *,
    is_working_day: IsWorkingDay,
    deadline_working_days: int,
) -> list[JobGroup]:
    """One group per registration day with registrations, ordered by release."""
    return sorted(
        JobGroup(
            release=nth_working_day_after(day, 1, is_working_day),
            deadline=nth_working_day_after(day, deadline_working_days, is_working_day),
            registered_on=day,
            count=count,
        )
        for day, count in registrations.items()
        if count > 0
    )


@dataclass(frozen=True)
class EdfResult:
    """Slots used per day, and registrations that miss their deadline (by deadline day)."""

    used: dict[dt.date, int]
    missed: dict[dt.date, int]

    @property
    def total_missed(self) -> int:
        """Registrations not held by their deadline."""
        return sum(self.missed.values())


def edf(
    jobs: Iterable[JobGroup], capacity: Mapping[dt.date, int], days: Sequence[dt.date]
) -> EdfResult:
    """Hold waiting registrations earliest deadline first, day by day over `days` (ascending).

    Registrations not released within `days` (or still waiting after the last day) miss.
    """
    queue = sorted(jobs)
    waiting: list[tuple[dt.date, int]] = []  # heap of (deadline, index into queue)
    left = [j.count for j in queue]
    used: dict[dt.date, int] = {}
    missed: Counter[dt.date] = Counter()
    i = 0
    for day in days:
        while i < len(queue) and queue[i].release <= day:
            heapq.heappush(waiting, (queue[i].deadline, i))
            i += 1
        while waiting and waiting[0][0] < day:
            deadline, k = heapq.heappop(waiting)
            missed[deadline] += left[k]
        slots = max(capacity.get(day, 0), 0)
        held = 0
        while slots and waiting:
            k = waiting[0][1]
            take = min(slots, left[k])
            left[k] -= take
            slots -= take
            held += take
            if left[k] == 0:
                heapq.heappop(waiting)
        used[day] = held
    for deadline, k in waiting:
        missed[deadline] += left[k]
    for j in queue[i:]:
        missed[j.deadline] += j.count
    return EdfResult(used=used, missed={d: n for d, n in sorted(missed.items()) if n})


def min_daily_slots(jobs: Sequence[JobGroup], working_days: Sequence[dt.date]) -> int:
    """The smallest k such that k slots on every working day hold every registration in time."""
    total = sum(j.count for j in jobs)
    if total == 0:
        return 0
    days = sorted(working_days)

    def enough(k: int) -> bool:
        return edf(jobs, dict.fromkeys(days, k), days).total_missed == 0

    lo, hi = 1, total  # `total` a day always suffices: every window has a working day
    while lo < hi:
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class DayPlan:
    """One day of an office's plan (slots; coach-hours follow from the slot length)."""

    day: dt.date
    is_working_day: bool
    registrations: int
    needed: int
    available: int
    shortfall: int


@dataclass(frozen=True)
class OfficePlan:
    """An office's plan from the first registration day to the last deadline."""

    days: list[DayPlan]
    peak_needed: int
    registrations: int

    @property
    def shortfall(self) -> int:
        """Registrations the current agendas cannot hold in time (minimum extra slots)."""
        return sum(d.shortfall for d in self.days)


def plan_office(
    registrations: Mapping[dt.date, int],
    available: Mapping[dt.date, int],
    *,
    is_working_day: IsWorkingDay,
    deadline_working_days: int,
) -> OfficePlan:
    """Need, current free capacity and shortfall per day (see the module docstring)."""
    if not registrations:
        return OfficePlan(days=[], peak_needed=0, registrations=0)
    jobs = job_groups(
        registrations, is_working_day=is_working_day, deadline_working_days=deadline_working_days
    )
    first = min(registrations)
    last = max([j.deadline for j in jobs] or [max(registrations)])
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    working = [d for d in days if is_working_day(d)]
    working_set = set(working)
    peak = min_daily_slots(jobs, working)
    needed = edf(jobs, dict.fromkeys(working, peak), days).used
    free = {d: available.get(d, 0) if d in working_set else 0 for d in days}
    shortfall = edf(jobs, free, days).missed
    return OfficePlan(
        days=[
            DayPlan(
                day=d,
                is_working_day=d in working_set,
                registrations=registrations.get(d, 0),
                needed=needed.get(d, 0),
                available=free[d],
                shortfall=shortfall.get(d, 0),
            )
            for d in days
        ],
        peak_needed=peak,
        registrations=sum(j.count for j in jobs),
    )


# Free capacity of the current agendas ---------------------------------------------------------


@dataclass(frozen=True)
class CoachAgenda:
    """What one coach's agenda offers: weekly blocks, exceptions and booked intakes (UTC)."""

    blocks: Sequence[BlockSpec]
    exceptions: Sequence[DayRange]
    booked: Sequence[tuple[dt.datetime, dt.datetime]]


def free_agenda_slots(
    agendas: Iterable[CoachAgenda],
    *,
    office_codes: Iterable[str],
    first: dt.date,
    last: dt.date,
    is_working_day: Callable[[dt.date, str], bool],
    slot_minutes: int,
    buffer_minutes: int,
    now: dt.datetime,
) -> dict[str, dict[dt.date, int]]:
    """Free slots per office and local day that the agendas yield from `first` to `last`.

    The same slots slot generation makes (`cut_slots`), minus those that have started and
    those overlapping a booked intake of the coach: what `GET /v1/offices/{code}/capacity`
    counts where slots have been generated, and what they will be beyond that horizon.
    """
    wanted = set(office_codes)
    out: dict[str, dict[dt.date, int]] = {code: {} for code in wanted}
    for agenda in agendas:
        booked = sorted(agenda.booked)
        starts = [b[0] for b in booked]
        # The latest end among the intakes starting at or before each one: a slot overlaps
        # a booked intake iff one starting before the slot's end ends after its start.
        latest_end = list(itertools.accumulate((b[1] for b in booked), max))
        for spec in cut_slots(
            agenda.blocks,
            agenda.exceptions,
            first=first,
            last=last,
            is_working_day=is_working_day,
            slot_minutes=slot_minutes,
            buffer_minutes=buffer_minutes,
        ):
            if spec.office_code not in wanted or spec.starts_at <= now:
                continue
            i = bisect.bisect_left(starts, spec.ends_at)
            if i and latest_end[i - 1] > spec.starts_at:
                continue
            per_day = out[spec.office_code]
            day = local_day(spec.starts_at)
            per_day[day] = per_day.get(day, 0) + 1
    return out


# Weekly totals --------------------------------------------------------------------------------


@dataclass
class WeekTotals:
    """The days of one ISO week added up (slots)."""

    week: IsoWeek
    registrations: int = 0
    needed: int = 0
    available: int = 0
    shortfall: int = 0

    def add(self, day: DayPlan) -> None:
        """Count one day in."""
        self.registrations += day.registrations
        self.needed += day.needed
        self.available += day.available
        self.shortfall += day.shortfall


def week_totals(days: Iterable[DayPlan]) -> list[WeekTotals]:
    """Per ISO week, in order, the registrations, need, free capacity and shortfall."""
    weeks: dict[IsoWeek, WeekTotals] = {}
    for d in days:
        week = IsoWeek.of(d.day)
        weeks.setdefault(week, WeekTotals(week)).add(d)
    return [weeks[w] for w in sorted(weeks)]
