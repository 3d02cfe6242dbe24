"""The working-day rules without I/O: every non-working day of 2025-2027, and properties.

The expected holidays are written out by hand from a table of Easter dates (2025-04-20,
2026-04-05, 2027-03-28): Good Friday = Easter - 2, Easter Monday = Easter + 1, Ascension
Day = Easter + 39, Whit Monday = Easter + 50.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.calendar import rules
from intake.calendar.rules import (
    ALGEMENE_TERMIJNENWET,
    HolidaySourceError,
    RuleSet,
    UnsupportedDateError,
    WorkingDays,
)

D = dt.date

HOLIDAYS: dict[int, dict[dt.date, str]] = {
    2025: {
        D(2025, 1, 1): "New Year's Day",  # Wednesday
        D(2025, 4, 18): "Good Friday",
        D(2025, 4, 21): "Easter Monday",
        D(2025, 4, 26): "King's Day",  # Saturday: the 27th was a Sunday
        D(2025, 5, 5): "Liberation Day",  # Monday (a lustrum year)
        D(2025, 5, 29): "Ascension Day",
        D(2025, 6, 9): "Whit Monday",
        D(2025, 12, 25): "Christmas Day",  # Thursday
        D(2025, 12, 26): "Boxing Day",  # Friday
    },
    2026: {
        D(2026, 1, 1): "New Year's Day",  # Thursday
        D(2026, 4, 3): "Good Friday",
        D(2026, 4, 6): "Easter Monday",
        D(2026, 4, 27): "King's Day",  # Monday
        D(2026, 5, 5): "Liberation Day",  # Tuesday (not a lustrum year: still a holiday here)
        D(2026, 5, 14): "Ascension Day",
        D(2026, 5, 25): "Whit Monday",
        D(2026, 12, 25): "Christmas Day",  # Friday
        D(2026, 12, 26): "Boxing Day",  # Saturday
    },
    2027: {
        D(2027, 1, 1): "New Year's Day",  # Friday
        D(2027, 3, 26): "Good Friday",
        D(2027, 3, 29): "Easter Monday",
        D(2027, 4, 27): "King's Day",  # Tuesday
        D(2027, 5, 5): "Liberation Day",  # Wednesday
        D(2027, 5, 6): "Ascension Day",
        D(2027, 5, 17): "Whit Monday",
        D(2027, 12, 25): "Christmas Day",  # Saturday
        D(2027, 12, 26): "Boxing Day",  # Sunday
    },
}
# Hand count: 104 weekend days in each of these years, plus the holidays on weekdays
# (2025: all but King's Day; 2026: all but Boxing Day; 2027: all but the Christmas days).
NON_WORKING_DAYS = {2025: 104 + 8, 2026: 104 + 8, 2027: 104 + 7}


def _days(year: int) -> Iterator[dt.date]:
    day = D(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("year", sorted(HOLIDAYS))
def test_every_non_working_day_of_the_year(year: int) -> None:
    wd = WorkingDays()
    assert dict(rules.holidays_of(year)) == HOLIDAYS[year]
    non_working = 0
    for day in _days(year):
        expected = HOLIDAYS[year].get(day)
        if expected is None and day.weekday() == 5:
            expected = "Saturday"
        if expected is None and day.weekday() == 6:
            expected = "Sunday"
        assert wd.reason(day) == expected, day
        assert wd.is_working_day(day) is (expected is None), day
        non_working += expected is not None
    assert non_working == NON_WORKING_DAYS[year]


def test_kings_day_moves_to_the_26th_when_the_27th_is_a_sunday() -> None:
    wd = WorkingDays()
    assert D(2025, 4, 27).weekday() == 6
    assert wd.reason(D(2025, 4, 26)) == "King's Day"
    assert wd.reason(D(2025, 4, 27)) == "Sunday"
    assert wd.reason(D(2014, 4, 26)) == "King's Day"  # the other case the handbook names


def test_liberation_day_every_year_although_the_library_lists_it_only_in_lustrum_years() -> None:
    library_2026 = holidays.country_holidays("NL", years=2026, language="en_US")
    # Documents why the rule adds 5 May itself; update the comment in rules.py if this changes.
    assert D(2026, 5, 5) not in library_2026
    wd = WorkingDays()
    for year in range(2000, 2100):
        day = D(year, 5, 5)
        assert not wd.is_working_day(day), year


def test_good_friday_is_derived_when_the_library_omits_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = holidays.country_holidays

    def without_good_friday(*args: object, **kwargs: object) -> holidays.HolidayBase:
        base = real(*args, **kwargs)  # type: ignore[arg-type]
        for day in [d for d in base if "Good Friday" in base.get_list(d)]:
            base.pop_named("Good Friday")
            assert day not in base
        return base

    monkeypatch.setattr(rules.holidays, "country_holidays", without_good_friday)
    rules.holidays_of.cache_clear()
    try:
        assert rules.holidays_of(2026)[D(2026, 4, 3)] == "Good Friday"
        assert dict(rules.holidays_of(2027)) == HOLIDAYS[2027]
    finally:
        rules.holidays_of.cache_clear()


def test_a_day_the_library_drops_is_an_error_not_a_working_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = holidays.country_holidays

    def without_kings_day(*args: object, **kwargs: object) -> holidays.HolidayBase:
        base = real(*args, **kwargs)  # type: ignore[arg-type]
        base.pop_named("King's Day")
        return base

    monkeypatch.setattr(rules.holidays, "country_holidays", without_kings_day)
    rules.holidays_of.cache_clear()
    try:
        with pytest.raises(HolidaySourceError, match="King's Day"):
            WorkingDays().is_working_day(D(2026, 4, 27))
    finally:
        rules.holidays_of.cache_clear()


def test_rule_set_is_data_with_names() -> None:
    assert ALGEMENE_TERMIJNENWET.names == (
        "Saturday",
        "Sunday",
        "New Year's Day",
        "Good Friday",
        "Easter Monday",
        "King's Day",
        "Liberation Day",
        "Ascension Day",
        "Whit Monday",
        "Christmas Day",
        "Boxing Day",
    )


def test_two_rules_on_one_day_report_the_earlier_rule() -> None:
    # 2016: Ascension Day fell on 5 May.
    assert WorkingDays().reason(D(2016, 5, 5)) == "Liberation Day"


def test_years_outside_the_library_range_are_refused() -> None:
    with pytest.raises(UnsupportedDateError):
        WorkingDays().is_working_day(D(1989, 12, 29))
    with pytest.raises(UnsupportedDateError):
        WorkingDays().is_working_day(D(2101, 1, 3))


def test_closures_add_non_working_days_and_rules_take_precedence() -> None:
    closures = {
        D(2026, 6, 3): "office move",
        D(2026, 4, 27): "closed anyway",  # King's Day
    }
    wd = WorkingDays(closures)
    info = wd.describe(D(2026, 6, 3))
    assert (info.is_working_day, info.reason, info.source) == (False, "office move", "closure")
    assert wd.describe(D(2026, 4, 27)).reason == "King's Day"
    assert wd.describe(D(2026, 4, 27)).source == "rule"
    # Wednesday 2026-06-03 closed: 5 working days after Monday 1 June end on Tuesday 9 June.
    assert wd.add_working_days(D(2026, 6, 1), 5) == D(2026, 6, 9)
    assert WorkingDays().add_working_days(D(2026, 6, 1), 5) == D(2026, 6, 8)


def test_intake_deadline_examples_around_holidays() -> None:
    wd = WorkingDays()
    # Thursday 23 April 2026: Fri 24, Tue 28 (Mon 27 King's Day), Wed 29, Thu 30, Fri 1 May.
    assert wd.add_working_days(D(2026, 4, 23), 5) == D(2026, 5, 1)
    # Tuesday 22 December 2026: Wed 23, Thu 24, Mon 28, Tue 29, Wed 30.
    assert wd.add_working_days(D(2026, 12, 22), 5) == D(2026, 12, 30)
    # Start on a non-working day: counting begins the day after.
    assert wd.add_working_days(D(2025, 4, 26), 1) == D(2025, 4, 28)
    assert wd.add_working_days(D(2026, 5, 5), 0) == D(2026, 5, 5)
    assert wd.working_days_between(D(2026, 4, 23), D(2026, 5, 1)) == 5
    assert wd.working_days_between(D(2026, 5, 1), D(2026, 4, 23)) == -5
    assert wd.working_days_between(D(2026, 5, 1), D(2026, 5, 1)) == 0
    with pytest.raises(ValueError, match="n must be"):
        wd.add_working_days(D(2026, 5, 1), -1)


WEEKENDS_ONLY = RuleSet(from_library=(), added=())


def test_weekend_only_rule_set() -> None:
    wd = WorkingDays(rules=WEEKENDS_ONLY)
    assert WEEKENDS_ONLY.names == ("Saturday", "Sunday")
    assert wd.is_working_day(D(2026, 4, 27))  # King's Day counts as a working day here
    assert wd.is_working_day(D(2025, 12, 25))
    assert wd.reason(D(2026, 4, 25)) == "Saturday"
    assert wd.reason(D(2026, 4, 26)) == "Sunday"
    assert wd.add_working_days(D(2026, 4, 24), 1) == D(2026, 4, 27)  # Friday -> Monday
    assert wd.add_working_days(D(2026, 4, 20), 5) == D(2026, 4, 27)
    assert wd.add_working_days(D(2026, 4, 25), 5) == D(2026, 5, 1)  # from a Saturday
    assert (
        wd.working_days_between(D(2026, 1, 4), D(2026, 12, 31)) == 261 - 2
    )  # minus Thu 1 and Fri 2 Jan
    assert sum(wd.is_working_day(d) for d in _days(2026)) == 261


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2098, 12, 31))
closure_sets = st.dictionaries(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)),
    st.just("ad-hoc closure"),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(start=dates, n=st.integers(min_value=1, max_value=260), closures=closure_sets)
def test_add_working_days_lands_on_a_working_day_n_working_days_later(
    start: dt.date, n: int, closures: dict[dt.date, str]
) -> None:
    wd = WorkingDays(closures)
    end = wd.add_working_days(start, n)
    assert end > start
    assert wd.is_working_day(end)
    assert wd.working_days_between(start, end) == n
    # The day before the result is at n - 1 (the result is the first such day).
    assert wd.working_days_between(start, end - dt.timedelta(days=1)) == n - 1


@settings(max_examples=200, deadline=None)
@given(start=dates, n=st.integers(min_value=1, max_value=60))
def test_weekend_only_property(start: dt.date, n: int) -> None:
    wd = WorkingDays(rules=WEEKENDS_ONLY)
    end = wd.add_working_days(start, n)
    assert end.weekday() < 5
    assert wd.working_days_between(start, end) == n
    # Never more than two weekend days between consecutive working days.
    assert (end - start).days <= n + 2 * ((n + 4) // 5) + 2
