"""Capacity planning rules without I/O: EDF, the need, the shortfall, and agenda capacity.

The property tests check EDF against an independent oracle: a maximum bipartite matching
(augmenting paths) of individual registrations to individual slots on the days of their
window. Dates: Monday 1 June 2026 starts a plain working fortnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.agendas.rules import BlockSpec, DayRange, local_to_utc
from intake.calendar.rules import WorkingDays
from intake.planning.rules import (
    CoachAgenda,
    JobGroup,
    edf,
    free_agenda_slots,
    job_groups,
    min_daily_slots,
    nth_working_day_after,
    plan_office,
    week_totals,
)

D = dt.date
T = dt.time
MON = D(2026, 6, 1)
_WD = WorkingDays()


def _weekdays(day: dt.date) -> bool:
    return _WD.is_working_day(day)


# The oracle ---------------------------------------------------------------------------------


def max_held(jobs: list[JobGroup], capacity: Mapping[dt.date, int]) -> int:
    """Most registrations holdable in time: augmenting-path matching of units to slots."""
    units = [(j.release, j.deadline) for j in jobs for _ in range(j.count)]
    slots = [day for day, n in sorted(capacity.items()) for _ in range(max(n, 0))]
    owner: list[int | None] = [None] * len(slots)

    def augment(u: int, seen: set[int]) -> bool:
        release, deadline = units[u]
        for s, day in enumerate(slots):
            if release <= day <= deadline and s not in seen:
                seen.add(s)
                holder = owner[s]
                if holder is None or augment(holder, seen):
                    owner[s] = u
                    return True
        return False

    return sum(1 for u in range(len(units)) if augment(u, set()))


# Strategies ---------------------------------------------------------------------------------

SPAN = 24  # days covered by registrations, windows and capacities


@st.composite
def instances(
    draw: st.DrawFn,
) -> tuple[dict[dt.date, int], Callable[[dt.date], bool], int, dict[dt.date, int]]:
    """Registrations, a working-day predicate (random closures), n, and free capacity."""
    start = MON + dt.timedelta(days=draw(st.integers(0, 6)))
    closed = draw(st.sets(st.integers(0, SPAN - 1), max_size=4))
    closed_days = {start + dt.timedelta(days=i) for i in closed}

    def is_working_day(day: dt.date) -> bool:
        return _WD.is_working_day(day) and day not in closed_days

    n = draw(st.integers(1, 4))
    reg_days = draw(st.integers(1, 6))
    registrations = {start + dt.timedelta(days=i): draw(st.integers(0, 3)) for i in range(reg_days)}
    capacity = {
        start + dt.timedelta(days=i): draw(st.integers(0, 3))
        for i in range(SPAN)
        if is_working_day(start + dt.timedelta(days=i))
    }
    return registrations, is_working_day, n, capacity


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _minus_one(capacity: Mapping[dt.date, int], day: dt.date) -> dict[dt.date, int]:
    return {**capacity, day: capacity[day] - 1}


# Properties ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(instances())
def test_edf_holds_as_many_as_any_schedule(inst: tuple) -> None:  # type: ignore[type-arg]
    registrations, is_working_day, n, capacity = inst
    jobs = job_groups(registrations, is_working_day=is_working_day, deadline_working_days=n)
    total = sum(j.count for j in jobs)
    days = _days(min(registrations), max([j.deadline for j in jobs] or [min(registrations)]))
    result = edf(jobs, capacity, days)
    assert total - result.total_missed == max_held(jobs, {d: capacity.get(d, 0) for d in days})
    for day, used in result.used.items():
        assert used <= capacity.get(day, 0)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_need_is_sufficient_and_minimal(inst: tuple) -> None:  # type: ignore[type-arg]
    registrations, is_working_day, n, _ = inst
    plan = plan_office(registrations, {}, is_working_day=is_working_day, deadline_working_days=n)
    jobs = job_groups(registrations, is_working_day=is_working_day, deadline_working_days=n)
    total = sum(j.count for j in jobs)
    need = {d.day: d.needed for d in plan.days}
    days = [d.day for d in plan.days]
    # Sufficient: with exactly this capacity every registration is held by its deadline.
    assert edf(jobs, need, days).total_missed == 0
    assert max_held(jobs, need) == total
    # Minimal: one slot less on any day misses a deadline ...
    for day, slots in need.items():
        if slots:
            assert edf(jobs, _minus_one(need, day), days).total_missed == 1
    # ... no slot is planned on a non-working day or beyond the daily peak ...
    assert all(d.needed == 0 for d in plan.days if not d.is_working_day)
    assert max(need.values(), default=0) <= plan.peak_needed
    # ... and the peak is the lowest possible: one slot a day less misses a deadline.
    working = [d.day for d in plan.days if d.is_working_day]
    if total:
        lower = dict.fromkeys(working, plan.peak_needed - 1)
        assert max_held(jobs, lower) < total
    else:
        assert plan.peak_needed == 0


@settings(max_examples=200, deadline=None)
@given(instances())
def test_shortfall_is_the_minimum_extra_capacity(inst: tuple) -> None:  # type: ignore[type-arg]
    registrations, is_working_day, n, capacity = inst
    plan = plan_office(
        registrations, capacity, is_working_day=is_working_day, deadline_working_days=n
    )
    jobs = job_groups(registrations, is_working_day=is_working_day, deadline_working_days=n)
    total = sum(j.count for j in jobs)
    available = {d.day: d.available for d in plan.days}
    extra = {d.day: d.shortfall for d in plan.days}
    topped_up = {day: available[day] + extra[day] for day in available}
    days = [d.day for d in plan.days]
    # The current agendas hold all but the shortfall (nothing better exists) ...
    assert plan.shortfall == total - max_held(jobs, available)
    # ... the extra slots, on the days reported, are enough ...
    assert edf(jobs, topped_up, days).total_missed == 0
    # ... and none of them can be left out.
    for day, slots in extra.items():
        if slots:
            assert edf(jobs, _minus_one(topped_up, day), days).total_missed == 1
    # A shortfall is reported on a working day: the deadline of the registrations missed.
    assert all(d.is_working_day for d in plan.days if d.shortfall)


@settings(max_examples=100, deadline=None)
@given(instances())
def test_min_daily_slots_is_the_least_sufficient_level(inst: tuple) -> None:  # type: ignore[type-arg]
    registrations, is_working_day, n, _ = inst
    jobs = job_groups(registrations, is_working_day=is_working_day, deadline_working_days=n)
    if not jobs:
        return
    days = _days(min(j.release for j in jobs), max(j.deadline for j in jobs))
    working = [d for d in days if is_working_day(d)]
    k = min_daily_slots(jobs, working)
    total = sum(j.count for j in jobs)
    assert max_held(jobs, dict.fromkeys(working, k)) == total
    assert k == 0 or max_held(jobs, dict.fromkeys(working, k - 1)) < total


# Examples worked out by hand ---------------------------------------------------------------


def test_deadlines_count_working_days_after_registration() -> None:
    # Friday 2 May 2025: Monday 5 May (Liberation Day) is skipped.
    assert nth_working_day_after(D(2025, 5, 2), 1, _weekdays) == D(2025, 5, 6)
    assert nth_working_day_after(D(2025, 5, 2), 5, _weekdays) == D(2025, 5, 12)
    # Registrations on a Saturday are released on Monday.
    (job,) = job_groups({D(2026, 6, 6): 2}, is_working_day=_weekdays, deadline_working_days=5)
    assert (job.release, job.deadline, job.count) == (D(2026, 6, 8), D(2026, 6, 12), 2)
    with pytest.raises(ValueError, match="n must be"):
        nth_working_day_after(MON, 0, _weekdays)


def test_a_fortnight_by_hand() -> None:
    """Mondays 3 free slots and Wednesdays 2; 4, 3 and 2 registrations on Mon, Wed, Fri.

    Windows (5 working days after registration): Monday's Tue 2 - Mon 8, Wednesday's
    Thu 4 - Wed 10, Friday's Mon 8 - Fri 12. The agendas give 10 slots, but Monday 1's
    are before anything is released: 7 usable for 9 registrations. EDF holds Monday's on
    Wed 3 (2) and Mon 8 (2), Wednesday's on Mon 8 (1) and Wed 10 (2), and nothing is left
    for Friday's: 2 short on their deadline, Fri 12. One slot every working day is enough
    on its own (4 + 3 + 2 over Tue 2 - Fri 12).
    """
    regs = {D(2026, 6, 1): 4, D(2026, 6, 3): 3, D(2026, 6, 5): 2}
    free = {D(2026, 6, 1): 3, D(2026, 6, 3): 2, D(2026, 6, 8): 3, D(2026, 6, 10): 2}
    plan = plan_office(regs, free, is_working_day=_weekdays, deadline_working_days=5)
    rows = [(d.day.day, d.registrations, d.needed, d.available, d.shortfall) for d in plan.days]
    assert rows == [
        (1, 4, 0, 3, 0),
        (2, 0, 1, 0, 0),
        (3, 3, 1, 2, 0),
        (4, 0, 1, 0, 0),
        (5, 2, 1, 0, 0),
        (6, 0, 0, 0, 0),
        (7, 0, 0, 0, 0),
        (8, 0, 1, 3, 0),
        (9, 0, 1, 0, 0),
        (10, 0, 1, 2, 0),
        (11, 0, 1, 0, 0),
        (12, 0, 1, 0, 2),
    ]
    assert (plan.registrations, plan.peak_needed, plan.shortfall) == (9, 1, 2)
    weeks = [
        (str(w.week), w.registrations, w.needed, w.available, w.shortfall)
        for w in week_totals(plan.days)
    ]
    assert weeks == [("2026-W23", 9, 4, 5, 0), ("2026-W24", 0, 5, 5, 2)]


def test_a_peak_day_is_spread_over_its_window() -> None:
    # 12 registrations on Monday 1 June, 5 working days to hold them: 3 a day at least
    # (12 / 5 rounds up), held as early as possible: 3, 3, 3, 3, 0.
    plan = plan_office({MON: 12}, {}, is_working_day=_weekdays, deadline_working_days=5)
    assert plan.peak_needed == 3
    assert [d.needed for d in plan.days if d.is_working_day] == [0, 3, 3, 3, 3, 0]
    # Nothing free: every registration misses, on its deadline (Monday 8 June).
    assert [(d.day, d.shortfall) for d in plan.days if d.shortfall] == [(D(2026, 6, 8), 12)]


def test_no_registrations_need_nothing() -> None:
    plan = plan_office({MON: 0}, {MON: 4}, is_working_day=_weekdays, deadline_working_days=5)
    assert (plan.registrations, plan.peak_needed, plan.shortfall) == (0, 0, 0)
    assert plan_office({}, {}, is_working_day=_weekdays, deadline_working_days=5).days == []


# Free slots of the current agendas ----------------------------------------------------------


def _free(agendas: list[CoachAgenda], now: dt.datetime, last: dt.date = D(2026, 6, 12)) -> dict:  # type: ignore[type-arg]
    return free_agenda_slots(
        agendas,
        office_codes=["AMS"],
        first=MON,
        last=last,
        is_working_day=lambda day, office: _WD.is_working_day(day),
        slot_minutes=45,
        buffer_minutes=15,
        now=now,
    )["AMS"]


EARLY = local_to_utc(D(2026, 5, 1), T(0))


def test_agenda_blocks_give_slots_per_local_day() -> None:
    # Monday 9:00-12:00 gives 9:00, 10:00, 11:00; Wednesday 9:00-11:30 gives 9:00 and 10:00.
    agenda = CoachAgenda(
        blocks=[BlockSpec(0, T(9), T(12), "AMS"), BlockSpec(2, T(9), T(11, 30), "AMS")],
        exceptions=[],
        booked=[],
    )
    assert _free([agenda], EARLY) == {
        D(2026, 6, 1): 3,
        D(2026, 6, 3): 2,
        D(2026, 6, 8): 3,
        D(2026, 6, 10): 2,
    }
    # Two coaches add up; a block at another office does not count for AMS.
    other = CoachAgenda(
        [BlockSpec(0, T(9), T(10), "AMS"), BlockSpec(1, T(9), T(17), "RTD")], [], []
    )
    assert _free([agenda, other], EARLY)[D(2026, 6, 1)] == 4
    assert D(2026, 6, 2) not in _free([agenda, other], EARLY)


def test_exceptions_bookings_and_the_past_take_slots_away() -> None:
    booked_930 = (local_to_utc(D(2026, 6, 1), T(9, 30)), local_to_utc(D(2026, 6, 1), T(10, 15)))
    agenda = CoachAgenda(
        blocks=[BlockSpec(0, T(9), T(12), "AMS")],
        # Leave on the second Monday.
        exceptions=[DayRange(D(2026, 6, 8), D(2026, 6, 8))],
        # An intake kept from an older agenda at 9:30 overlaps the 9:00 and 10:00 slots.
        booked=[booked_930],
    )
    assert _free([agenda], EARLY) == {D(2026, 6, 1): 1}
    # Slots that have started are gone: at 11:00 on 1 June nothing is left that day.
    later = CoachAgenda([BlockSpec(0, T(9), T(12), "AMS")], [], [])
    assert _free([later], local_to_utc(D(2026, 6, 1), T(11))) == {D(2026, 6, 8): 3}


def test_office_holidays_have_no_slots() -> None:
    # Whit Monday 25 May 2026 has no slots; Monday 1 June has.
    agenda = CoachAgenda([BlockSpec(0, T(9), T(10), "AMS")], [], [])
    free = free_agenda_slots(
        [agenda],
        office_codes=["AMS"],
        first=D(2026, 5, 25),
        last=D(2026, 6, 1),
        is_working_day=lambda day, office: _WD.is_working_day(day),
        slot_minutes=45,
        buffer_minutes=15,
        now=EARLY,
    )
    assert free == {"AMS": {D(2026, 6, 1): 1}}
