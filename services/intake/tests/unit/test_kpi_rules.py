"""Week-one KPI rules without a database: ISO weeks, the median, and the aggregation.

Dates in 2025: Monday 5 May is Liberation Day (a non-working day every year for time
limits), so Friday 2 May's deadline is Monday 12 May and Tuesday 6 May is the first
working day after Friday 2 May. Expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, MetaData, Table, create_engine, insert, select

from intake.agendas.rules import local_day
from intake.calendar.rules import WorkingDays
from intake.kpis.repository import local_date
from intake.kpis.rules import (
    NATIONAL,
    CohortGroup,
    InvalidWeekError,
    IsoWeek,
    OutcomeGroup,
    ShortfallGroup,
    compute,
    median,
    weeks_between,
)
from shared.db.types import UTCDateTime

D = dt.date
W18, W19 = IsoWeek(2025, 18), IsoWeek(2025, 19)
_WD = WorkingDays()


# ISO weeks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("2026-W48", IsoWeek(2026, 48)),
        ("2026-W53", IsoWeek(2026, 53)),
        ("2025-W01", IsoWeek(2025, 1)),
    ],
)
def test_parse_iso_week(text: str, week: IsoWeek) -> None:
    assert IsoWeek.parse(text) == week
    assert str(week) == text


@pytest.mark.parametrize(
    "text", ["2026-48", "2026W48", "2026-W4", "2026-W00", "2025-W53", "26-W01", "2026-w48", ""]
)
def test_bad_iso_weeks_are_refused(text: str) -> None:
    with pytest.raises(InvalidWeekError):
        IsoWeek.parse(text)


def test_week_bounds_and_ranges_cross_the_year() -> None:
    # 2025 has 52 ISO weeks; 2026-W01 starts on Monday 29 December 2025.
    assert IsoWeek(2026, 1).monday == D(2025, 12, 29)
    assert IsoWeek(2026, 1).sunday == D(2026, 1, 4)
    assert IsoWeek.of(D(2027, 1, 1)) == IsoWeek(2026, 53)
    assert [str(w) for w in weeks_between(IsoWeek(2025, 52), IsoWeek(2026, 2))] == [
        "2025-W52",
        "2026-W01",
        "2026-W02",
    ]
    assert weeks_between(IsoWeek(2026, 2), IsoWeek(2026, 1)) == []
    assert IsoWeek(2026, 53).shift(1) == IsoWeek(2027, 1)


# Median ------------------------------------------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=30), max_size=60))
def test_median_of_a_histogram_is_the_median_of_the_values(values: list[int]) -> None:
    histogram: dict[int, int] = {}
    for v in values:
        histogram[v] = histogram.get(v, 0) + 1
    expected = statistics.median(values) if values else None
    assert median(histogram) == expected


def test_median_examples() -> None:
    assert median({}) is None
    assert median({3: 1}) == 3
    assert median({1: 1, 2: 2, 3: 1, 6: 1}) == 2  # [1, 2, 2, 3, 6]
    assert median({1: 1, 2: 2, 3: 1, 4: 1, 6: 1}) == 2.5  # [1, 2, 2, 3, 4, 6]


# Aggregation ------------------------------------------------------------------------------------


def _deadline(office: str, start: dt.date) -> dt.date:
    return _WD.add_working_days(start, 5)


def _working_days(office: str, a: dt.date, b: dt.date) -> int:
    return _WD.working_days_between(a, b)


COHORTS = [
    # AMS, registered Mon 28 Apr: deadline Tue 6 May (29, 30, 1, 2, 6 May).
    CohortGroup("AMS", D(2025, 4, 28), None, D(2025, 4, 30), 2),  # 2 working days, in time
    CohortGroup("AMS", D(2025, 4, 28), None, D(2025, 5, 7), 1),  # 6 working days, late
    CohortGroup("AMS", D(2025, 4, 28), None, None, 1),  # not held, deadline past: due, missed
    # AMS, registered Fri 2 May: deadline Mon 12 May.
    CohortGroup("AMS", D(2025, 5, 2), None, D(2025, 5, 8), 1),  # 3 working days (6, 7, 8)
    CohortGroup("AMS", D(2025, 5, 2), None, None, 2),  # deadline 12 May >= today: pending
    # First WW day Fri 9 May is later: deadline Fri 16 May; held 9 May = 0 working days after
    # the day the deadline counts from (4 after registration).
    CohortGroup("AMS", D(2025, 5, 2), D(2025, 5, 9), D(2025, 5, 9), 1),
    # RTD, registered Sunday 4 May: held Tue 6 May = 1 working day (5 May is off).
    CohortGroup("RTD", D(2025, 5, 4), None, D(2025, 5, 6), 1),
    # RTD, registered Tue 6 May (W19): held the next day.
    CohortGroup("RTD", D(2025, 5, 6), None, D(2025, 5, 7), 1),
    # Outside the weeks asked for: ignored.
    CohortGroup("AMS", D(2025, 5, 12), None, None, 5),
]
OUTCOMES = [
    OutcomeGroup("AMS", D(2025, 4, 28), completed=3, no_shows=1),
    OutcomeGroup("AMS", D(2025, 5, 2), completed=2, no_shows=2),
    OutcomeGroup("RTD", D(2025, 5, 6), completed=1, no_shows=0),
]
SHORTFALLS = [
    ShortfallGroup("AMS", D(2025, 5, 1), 2),
    ShortfallGroup("AMS", D(2025, 5, 5), 1),
    ShortfallGroup("RTD", D(2025, 4, 27), 4),  # week 17: outside
    ShortfallGroup("DHG", D(2025, 5, 6), 1),  # an office not asked for still counts nationally
]


def test_office_figures_by_hand() -> None:
    table = compute(
        weeks=[W18, W19],
        office_codes=["AMS", "RTD", "UTR"],
        cohorts=COHORTS,
        outcomes=OUTCOMES,
        shortfalls=SHORTFALLS,
        today=D(2025, 5, 9),
        deadline=_deadline,
        working_days=_working_days,
    )
    ams = table["AMS"][W18]
    assert ams.registrations == 8
    assert ams.intakes_held == 5  # 2 + 1 + 1 + 1
    assert ams.held_within_deadline == 4  # 2 + 1 + 1 (the late one does not count)
    assert (ams.due, ams.pending) == (6, 2)  # held 5 + 1 missed; 2 pending
    assert ams.within_deadline_share == pytest.approx(4 / 6)
    assert ams.median_working_days_to_intake == 2  # [0, 2, 2, 3, 6]
    assert (ams.completed_appointments, ams.no_shows) == (5, 3)
    assert ams.no_show_rate == pytest.approx(3 / 8)
    assert ams.capacity_shortfalls == 2
    assert table["AMS"][W19].registrations == 0
    assert table["AMS"][W19].capacity_shortfalls == 1
    assert table["AMS"][W19].within_deadline_share is None
    assert table["AMS"][W19].median_working_days_to_intake is None
    assert table["AMS"][W19].no_show_rate is None

    rtd = table["RTD"][W18]
    assert (rtd.registrations, rtd.held_within_deadline, rtd.due) == (1, 1, 1)
    assert rtd.median_working_days_to_intake == 1
    assert table["RTD"][W19].no_show_rate == 0.0
    assert table["UTR"][W18].registrations == 0  # asked for, no data: zeros
    assert table["DHG"][W19].capacity_shortfalls == 1


def test_national_figures_pool_the_claims() -> None:
    table = compute(
        weeks=[W18, W19],
        office_codes=["AMS", "RTD"],
        cohorts=COHORTS,
        outcomes=OUTCOMES,
        shortfalls=SHORTFALLS,
        today=D(2025, 5, 9),
        deadline=_deadline,
        working_days=_working_days,
    )
    nl = table[NATIONAL][W18]
    assert nl.registrations == 9
    assert (nl.held_within_deadline, nl.due, nl.pending) == (5, 7, 2)
    assert nl.within_deadline_share == pytest.approx(5 / 7)
    # The median of all six held claims [0, 1, 2, 2, 3, 6], not a median of office medians.
    assert nl.median_working_days_to_intake == 2
    assert nl.no_show_rate == pytest.approx(3 / 8)
    assert nl.capacity_shortfalls == 2
    w19 = table[NATIONAL][W19]
    assert (w19.registrations, w19.capacity_shortfalls) == (1, 2)
    assert w19.no_show_rate == 0.0


def test_pending_claims_become_due_once_their_deadline_passes() -> None:
    table = compute(
        weeks=[W18],
        office_codes=["AMS"],
        cohorts=COHORTS,
        outcomes=[],
        shortfalls=[],
        today=D(2025, 5, 13),  # after Monday 12 May
        deadline=_deadline,
        working_days=_working_days,
    )
    ams = table["AMS"][W18]
    assert (ams.due, ams.pending) == (8, 0)
    assert ams.within_deadline_share == pytest.approx(4 / 8)
    # On the deadline day itself a claim is still pending.
    on_deadline = compute(
        weeks=[W18],
        office_codes=["AMS"],
        cohorts=COHORTS,
        outcomes=[],
        shortfalls=[],
        today=D(2025, 5, 12),
        deadline=_deadline,
        working_days=_working_days,
    )
    assert on_deadline["AMS"][W18].pending == 2


# The SQL local day on SQLite (embedded mode) --------------------------------------------------


@given(
    st.datetimes(
        min_value=dt.datetime(1996, 1, 1),
        max_value=dt.datetime(2099, 12, 31),
        timezones=st.just(dt.UTC),
    )
)
def test_sqlite_local_date_matches_the_time_zone_database(moment: dt.datetime) -> None:
    engine = _sqlite()
    with engine.connect() as conn:
        conn.execute(insert(_MOMENTS), [{"at": moment}])
        got = conn.execute(select(local_date(_MOMENTS.c.at))).scalar_one()
        conn.rollback()
    assert got == local_day(moment)


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (dt.datetime(2025, 3, 30, 0, 59, 59, tzinfo=dt.UTC), D(2025, 3, 30)),  # 01:59 CET
        (dt.datetime(2025, 10, 25, 22, 0, tzinfo=dt.UTC), D(2025, 10, 26)),  # 00:00 CEST
        (dt.datetime(2025, 10, 26, 22, 59, tzinfo=dt.UTC), D(2025, 10, 26)),  # 23:59 CET
        (dt.datetime(2025, 5, 4, 22, 30, tzinfo=dt.UTC), D(2025, 5, 5)),
    ],
)
def test_sqlite_local_date_around_the_clock_changes(moment: dt.datetime, day: dt.date) -> None:
    engine = _sqlite()
    with engine.connect() as conn:
        conn.execute(insert(_MOMENTS), [{"at": moment}])
        assert conn.execute(select(local_date(_MOMENTS.c.at))).scalar_one() == day


_META = MetaData()
_MOMENTS = Table("moments", _META, Column("at", UTCDateTime()))


def _sqlite() -> Engine:
    engine = create_engine("sqlite://")
    _META.create_all(engine)
    return engine


def test_a_later_first_ww_day_is_where_deadline_and_days_to_intake_count_from() -> None:
    """Registered Mon 28 Apr 2025, first WW day Mon 12 May: the deadline is Mon 19 May, and an
    intake held on Wed 14 May is 2 working days (not 11 after registration); one held before
    the first WW day counts 0."""
    cohorts = [
        CohortGroup("AMS", D(2025, 4, 28), D(2025, 5, 12), D(2025, 5, 14), 1),
        CohortGroup("AMS", D(2025, 4, 28), D(2025, 5, 12), D(2025, 5, 9), 1),
        CohortGroup("AMS", D(2025, 4, 28), D(2025, 5, 12), None, 1),
    ]
    table = compute(
        weeks=[W18],
        office_codes=["AMS"],
        cohorts=cohorts,
        outcomes=[],
        shortfalls=[],
        today=D(2025, 5, 19),
        deadline=_deadline,
        working_days=_working_days,
    )
    ams = table["AMS"][W18]
    assert (ams.intakes_held, ams.held_within_deadline) == (2, 2)
    assert (ams.due, ams.pending) == (2, 1)  # the unheld one is pending until 19 May has passed
    assert ams.median_working_days_to_intake == 1  # [0, 2]
