"""The revival window (herleving) at its boundaries for entitlements of 12, 18 and 24 months.

The window is max(18 months, the entitlement) counted from the day self-employment
started; `revival_deadline` is the last day on which revival is allowed (inclusive).
"""

from __future__ import annotations

import datetime as dt

import pytest

from starters.rules import (
    DEFAULT_PARAMETERS,
    ParameterValue,
    months_period_end,
    revival_allowed,
    revival_deadline,
    revival_window_length,
    weeks_period_end,
)

D = dt.date
P = DEFAULT_PARAMETERS

# (self-employment start, entitlement months, last allowed day)
BOUNDARIES = [
    # 12 months of entitlement: the 18-month window applies
    (D(2026, 3, 1), 12, D(2027, 8, 31)),
    (D(2026, 4, 20), 12, D(2027, 10, 19)),
    (D(2026, 8, 31), 12, D(2028, 2, 29)),  # no 31 Feb 2028: the last day of February (leap)
    (D(2027, 8, 31), 12, D(2029, 2, 28)),  # no 31 Feb 2029: 28 February
    # 18 months: equal, still 18
    (D(2026, 3, 1), 18, D(2027, 8, 31)),
    (D(2026, 1, 31), 18, D(2027, 7, 30)),  # 31 July exists: the day before it
    (D(2026, 8, 31), 18, D(2028, 2, 29)),
    (D(2026, 8, 30), 18, D(2028, 2, 29)),  # no 30 Feb either
    (D(2026, 8, 29), 18, D(2028, 2, 28)),  # 29 Feb 2028 exists: the day before it
    # 24 months: the entitlement is longer, so 24
    (D(2026, 3, 1), 24, D(2028, 2, 29)),
    (D(2026, 8, 31), 24, D(2028, 8, 30)),
    (D(2026, 12, 31), 24, D(2028, 12, 30)),
    (D(2026, 1, 15), 24, D(2028, 1, 14)),
    # worked example 4 of docs/starters-rules.md
    (D(2026, 4, 6), 18, D(2027, 10, 5)),
]


@pytest.mark.parametrize(("start", "months", "last"), BOUNDARIES)
def test_revival_window_boundaries(start: dt.date, months: int, last: dt.date) -> None:
    assert revival_deadline(start, months, P) == last
    assert revival_allowed(last, start, months, P) is True
    assert revival_allowed(last + dt.timedelta(days=1), start, months, P) is False
    assert revival_allowed(start, start, months, P) is True
    assert revival_allowed(start - dt.timedelta(days=1), start, months, P) is False


@pytest.mark.parametrize(("months", "window"), [(3, 18), (12, 18), (18, 18), (19, 19), (24, 24)])
def test_window_length_is_the_longer_of_18_months_and_the_entitlement(
    months: int, window: int
) -> None:
    assert revival_window_length(D(2026, 3, 1), months, P) == window


def test_the_window_parameter_valid_on_the_start_of_self_employment_applies() -> None:
    longer = P.with_values([ParameterValue("revival_window_months", 20, D(2026, 6, 1), "what-if")])
    assert revival_deadline(D(2026, 5, 31), 12, longer) == D(2027, 11, 30)  # 18 months
    assert revival_deadline(D(2026, 6, 1), 12, longer) == D(2028, 1, 31)  # 20 months
    assert revival_deadline(D(2026, 6, 1), 24, longer) == D(2028, 5, 31)


def test_negative_entitlement_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        revival_deadline(D(2026, 3, 1), -1, P)


@pytest.mark.parametrize(
    ("start", "months", "last"),
    [
        (D(2026, 3, 1), 6, D(2026, 8, 31)),
        (D(2026, 1, 15), 2, D(2026, 3, 14)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2027, 8, 29), 6, D(2028, 2, 28)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 1, 1), 12, D(2026, 12, 31)),
    ],
)
def test_months_period_end(start: dt.date, months: int, last: dt.date) -> None:
    assert months_period_end(start, months) == last


def test_weeks_period_end_and_bad_lengths() -> None:
    assert weeks_period_end(D(2026, 3, 2), 26) == D(2026, 8, 30)
    assert weeks_period_end(D(2026, 3, 2), 6) == D(2026, 4, 12)
    with pytest.raises(ValueError, match="at least 1"):
        months_period_end(D(2026, 3, 2), 0)
    with pytest.raises(ValueError, match="at least 1"):
        weeks_period_end(D(2026, 3, 2), 0)
