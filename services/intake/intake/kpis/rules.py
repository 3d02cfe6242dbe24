"""Week-one KPIs: ISO weeks and the aggregation rules, the pure part (no I/O).

Definitions (docs/kpis.md has the long form). A claim belongs to the ISO week and office of
its registration: the Europe/Amsterdam calendar day of `claims.registered_at` and
`claims.office_code` (the claimant's office, also when the intake is held at a neighbour).
National figures pool every claim; they are not averages of office figures.

- **registrations**: claims registered in the week.
- **deadline** of a claim: the n-th working day (`intake_deadline_working_days`) after the
  later of its first WW day and its registration day, on the office's calendar as it is now
  (the rule booking uses).
- **held**: the claim has a completed intake; the first one counts, on the local day of its
  `held_at`.
- **held within deadline**: held on or before the deadline. The completion row's own
  `within_deadline` is not used: it compares with the appointment's deadline, and a
  summons after a no-show carries a later deadline of its own.
- **due**: held, or not held with the deadline already past (deadline < today). Claims whose
  deadline is today or later and that are not held yet are **pending** and left out.
- **within-deadline share** = held within deadline / due; null when nothing is due.
- **median working days to intake**: over the held claims, the working days after the
  later of first WW day and registration day (the day the deadline counts from) up to and
  including the held day (same day = 0, next working day = 1; held before it = 0), each on
  its own office's calendar; the median of an even count is the mean of the middle two;
  null when none is held.
- **no-show rate** = no-show appointments / (no-show + completed appointments) of the
  week's claims (a claim that misses twice counts twice); null when there are none.
- **capacity shortfalls**: rows of `capacity_shortfalls` (one per failed booking, at
  registration, after a cancellation by the service or for a summons) detected in the week,
  on the local day of `detected_at`, by the claim's office. This is the one event-time
  figure: a shortfall is a moment the agendas had no room, and stays in the week it happened.

The figures of recent weeks still move as intakes take place; `pending` shows how much.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from shared.isoweek import InvalidWeekError, IsoWeek, weeks_between, weeks_in_year

__all__ = ["InvalidWeekError", "IsoWeek", "weeks_between", "weeks_in_year"]

NATIONAL: str | None = None
"""The key of the national figures in a KPI table (offices are keyed by their code)."""


# Input rows (grouped by the database) ---------------------------------------------------------


@dataclass(frozen=True)
class CohortGroup:
    """Claims of one office and registration day with the same later first WW day and held day."""

    office_code: str
    registered_on: dt.date
    # The first WW day when it is later than the registration day, else None.
    later_first_ww_day: dt.date | None
    # The local day of the claim's first held intake; None when not held (yet).
    held_on: dt.date | None
    claims: int


@dataclass(frozen=True)
class OutcomeGroup:
    """Appointment outcomes of the claims of one office and registration day."""

    office_code: str
    registered_on: dt.date
    completed: int
    no_shows: int


@dataclass(frozen=True)
class ShortfallGroup:
    """Capacity shortfalls of one office detected on one local day."""

    office_code: str
    detected_on: dt.date
    shortfalls: int


# Figures ---------------------------------------------------------------------------------------


@dataclass
class WeekKpis:
    """The week-one figures of one office (or the nation) in one ISO week."""

    week: IsoWeek
    registrations: int = 0
    intakes_held: int = 0
    held_within_deadline: int = 0
    due: int = 0
    pending: int = 0
    completed_appointments: int = 0
    no_shows: int = 0
    capacity_shortfalls: int = 0
    # Working days to the held intake -> number of claims.
    working_days_to_intake: Counter[int] = field(default_factory=Counter)

    @property
    def within_deadline_share(self) -> float | None:
        """Held within the deadline / due; None when nothing is due."""
        return self.held_within_deadline / self.due if self.due else None

    @property
    def median_working_days_to_intake(self) -> float | None:
        """The median over held claims; None when none is held."""
        return median(self.working_days_to_intake)

    @property
    def no_show_rate(self) -> float | None:
        """No-shows / (no-shows + completed appointments); None when there are none."""
        seen = self.no_shows + self.completed_appointments
        return self.no_shows / seen if seen else None

    def add(self, other: WeekKpis) -> None:
        """Pool another office's figures of the same week into these."""
        self.registrations += other.registrations
        self.intakes_held += other.intakes_held
        self.held_within_deadline += other.held_within_deadline
        self.due += other.due
        self.pending += other.pending
        self.completed_appointments += other.completed_appointments
        self.no_shows += other.no_shows
        self.capacity_shortfalls += other.capacity_shortfalls
        self.working_days_to_intake.update(other.working_days_to_intake)


def median(histogram: Mapping[int, int]) -> float | None:
    """The median of a value -> count histogram (mean of the middle two for an even count)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    # 0-based positions of the middle value(s) in the sorted expansion.
    lo_pos, hi_pos = (total - 1) // 2, total // 2
    lo = hi = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lo is None and seen > lo_pos:
            lo = value
        if seen > hi_pos:
            hi = value
            break
    assert lo is not None
    assert hi is not None
    return (lo + hi) / 2


def _count_cohort(
    k: WeekKpis,
    g: CohortGroup,
    *,
    today: dt.date,
    deadline: Callable[[str, dt.date], dt.date],
    working_days: Callable[[str, dt.date, dt.date], int],
) -> None:
    """Add a group of claims registered in `k`'s week: held (in time or not), due, pending."""
    k.registrations += g.claims
    start = max(g.registered_on, g.later_first_ww_day or g.registered_on)
    due_by = deadline(g.office_code, start)
    if g.held_on is not None:
        k.intakes_held += g.claims
        k.due += g.claims
        if g.held_on <= due_by:
            k.held_within_deadline += g.claims
        # Counted from the same day as the deadline: a claim booked only when its first WW
        # day is near (item 9a) is not a slow intake; one held before that day counts 0.
        k.working_days_to_intake[max(0, working_days(g.office_code, start, g.held_on))] += g.claims
    elif due_by < today:
        k.due += g.claims
    else:
        k.pending += g.claims


KpiTable = dict[str | None, dict[IsoWeek, WeekKpis]]
"""Office code (None = national) -> week -> figures."""


def compute(
    *,
    weeks: Sequence[IsoWeek],
    office_codes: Iterable[str],
    cohorts: Iterable[CohortGroup],
    outcomes: Iterable[OutcomeGroup],
    shortfalls: Iterable[ShortfallGroup],
    today: dt.date,
    deadline: Callable[[str, dt.date], dt.date],
    working_days: Callable[[str, dt.date, dt.date], int],
) -> KpiTable:
    """The week-one figures per office and nationally for every week (zeros where no data).

    `deadline(office, start)` is the intake deadline counted from `start` (the later of first
    WW day and registration day); `working_days(office, a, b)` counts working days after `a`
    up to and including `b`. Rows outside the weeks are ignored; offices not listed in
    `office_codes` still count nationally and get their own entry.
    """
    wanted = set(weeks)
    table: KpiTable = {}

    def cell(office: str | None, week: IsoWeek) -> WeekKpis:
        by_week = table.setdefault(office, {w: WeekKpis(w) for w in weeks})
        return by_week[week]

    for code in office_codes:
        table.setdefault(code, {w: WeekKpis(w) for w in weeks})
    table.setdefault(NATIONAL, {w: WeekKpis(w) for w in weeks})

    for g in cohorts:
        week = IsoWeek.of(g.registered_on)
        if week not in wanted or g.claims <= 0:
            continue
        _count_cohort(
            cell(g.office_code, week), g, today=today, deadline=deadline, working_days=working_days
        )

    for o in outcomes:
        week = IsoWeek.of(o.registered_on)
        if week in wanted:
            k = cell(o.office_code, week)
            k.completed_appointments += o.completed
            k.no_shows += o.no_shows

    for s in shortfalls:
        week = IsoWeek.of(s.detected_on)
        if week in wanted:
            cell(s.office_code, week).capacity_shortfalls += s.shortfalls

    national = table[NATIONAL]
    for office, by_week in table.items():
        if office is NATIONAL:
            continue
        for week, k in by_week.items():
            national[week].add(k)
    return table
