"""Starters parameters as dated data (issue 6, item 4)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from starters.rules import (
    DEFAULT_PARAMETERS,
    PARAMETER_SPECS,
    InvalidParameter,
    NoParameterValue,
    ParameterSet,
    ParameterValue,
    UnknownParameter,
    validate_parameter,
)
from starters.rules.parameters import PARAMETERS_FILE

D = dt.date

SHIPPED = [
    ("research_period_max_weeks", D(2026, 1, 1), 6),
    ("start_period_weeks", D(2026, 1, 1), 26),
    ("start_period_months", D(2026, 1, 1), 6),
    ("start_period_in_months", D(2026, 1, 1), False),
    ("start_period_reduction_percent", D(2026, 1, 1), Decimal(29)),
    ("after_start_deduction_percent", D(2026, 1, 1), Decimal(70)),
    ("fictitious_income_uses_capped_dagloon", D(2026, 1, 1), True),
    ("revival_window_months", D(2026, 1, 1), 18),
    ("revival_during_start_period_allowed", D(2026, 1, 1), False),
    ("ww_percent_first_months", D(2026, 1, 1), Decimal(75)),
    ("ww_first_months", D(2026, 1, 1), 2),
    ("ww_percent_after", D(2026, 1, 1), Decimal(70)),
    ("days_per_month", D(2026, 1, 1), Decimal("21.75")),
    ("max_dagloon", D(2025, 1, 1), Decimal("290.67")),
    ("max_dagloon", D(2025, 12, 31), Decimal("290.67")),
    ("max_dagloon", D(2026, 1, 1), Decimal("304.25")),
    ("max_dagloon", D(2030, 6, 30), Decimal("304.25")),
    ("group_start_enabled", D(2026, 1, 1), False),
    ("group_start_max_members", D(2026, 1, 1), 5),
    ("gradual_start_enabled", D(2026, 1, 1), False),
]


@pytest.mark.parametrize(("name", "day", "expected"), SHIPPED)
def test_shipped_values(name: str, day: dt.date, expected: object) -> None:
    value = DEFAULT_PARAMETERS.at(name, day).value
    assert value == expected
    assert type(value) is type(expected)


def test_every_spec_has_a_shipped_value_and_a_source() -> None:
    assert set(DEFAULT_PARAMETERS.names()) == set(PARAMETER_SPECS)
    assert all(pv.source for pv in DEFAULT_PARAMETERS.values())
    not_current_law = [n for n, s in PARAMETER_SPECS.items() if s.not_current_law]
    assert sorted(not_current_law) == [
        "gradual_start_enabled",
        "group_start_enabled",
        "group_start_max_members",
    ]
    for name in not_current_law:
        assert all("NOT CURRENT LAW" in pv.source for pv in DEFAULT_PARAMETERS.history(name))


def test_version_and_latest_valid_from_wins() -> None:
    pv = DEFAULT_PARAMETERS.at("max_dagloon", D(2026, 3, 1))
    assert pv.version == "max_dagloon@2026-01-01"
    assert DEFAULT_PARAMETERS.at("max_dagloon", D(2025, 12, 31)).version == "max_dagloon@2025-01-01"


def test_no_value_before_the_first_and_unknown_names() -> None:
    with pytest.raises(NoParameterValue, match=r"no value valid on 2024-12-31.*2025-01-01"):
        DEFAULT_PARAMETERS.at("max_dagloon", D(2024, 12, 31))
    with pytest.raises(UnknownParameter, match="unknown starters parameter 'bogus'"):
        DEFAULT_PARAMETERS.at("bogus", D(2026, 1, 1))
    assert issubclass(NoParameterValue, KeyError)
    assert issubclass(UnknownParameter, KeyError)


def test_with_values_adds_and_replaces_without_touching_the_original() -> None:
    mid_year = ParameterValue("max_dagloon", Decimal("295.00"), D(2025, 7, 1), "what-if")
    replaced = ParameterValue("max_dagloon", Decimal("310.00"), D(2026, 1, 1), "what-if")
    changed = DEFAULT_PARAMETERS.with_values([mid_year, replaced])
    assert changed.at("max_dagloon", D(2025, 7, 1)).value == Decimal("295.00")
    assert changed.at("max_dagloon", D(2026, 2, 1)).value == Decimal("310.00")
    assert [pv.version for pv in changed.history("max_dagloon")] == [
        "max_dagloon@2025-01-01",
        "max_dagloon@2025-07-01",
        "max_dagloon@2026-01-01",
    ]
    assert DEFAULT_PARAMETERS.at("max_dagloon", D(2026, 2, 1)).value == Decimal("304.25")
    assert len(changed) == len(DEFAULT_PARAMETERS) + 1


def test_a_set_rejects_duplicates_and_invalid_values() -> None:
    a = ParameterValue("start_period_weeks", 26, D(2026, 1, 1), "x")
    with pytest.raises(ValueError, match="two values for start_period_weeks"):
        ParameterSet([a, a])
    with pytest.raises(InvalidParameter):
        ParameterSet([ParameterValue("start_period_weeks", 0, D(2026, 1, 1), "x")])
    with pytest.raises(UnknownParameter):
        ParameterSet([ParameterValue("nope", 1, D(2026, 1, 1), "x")])


def test_values_are_normalised_to_their_kind() -> None:
    s = ParameterSet([ParameterValue("start_period_reduction_percent", 29, D(2026, 1, 1), "x")])
    value = s.at("start_period_reduction_percent", D(2026, 1, 1)).value
    assert value == Decimal(29)
    assert isinstance(value, Decimal)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("start_period_weeks", 26, 26),
        ("start_period_weeks", Decimal("13"), 13),
        ("start_period_reduction_percent", "29", Decimal("29")),
        ("start_period_reduction_percent", 29.5, Decimal("29.5")),
        ("max_dagloon", "304.25", Decimal("304.25")),
        ("max_dagloon", 0, Decimal(0)),
        ("days_per_month", "21.75", Decimal("21.75")),
        ("revival_during_start_period_allowed", True, True),
        ("group_start_max_members", 2, 2),
    ],
)
def test_validate_parameter_accepts(name: str, value: object, expected: object) -> None:
    result = validate_parameter(name, value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("start_period_weeks", 0, "at least 1"),
        ("start_period_weeks", 105, "at most 104"),
        ("start_period_weeks", 26.5, "whole number"),
        ("start_period_weeks", True, "not a boolean"),
        ("start_period_reduction_percent", 101, "at most 100"),
        ("start_period_reduction_percent", -1, "at least 0"),
        ("start_period_reduction_percent", "abc", "must be a number"),
        ("start_period_reduction_percent", "NaN", "finite"),
        ("start_period_reduction_percent", None, "must be a number"),
        ("max_dagloon", -0.01, "at least 0"),
        ("revival_during_start_period_allowed", 1, "true or false"),
        ("revival_during_start_period_allowed", "true", "true or false"),
        ("group_start_max_members", 1, "at least 2"),
    ],
)
def test_validate_parameter_rejects(name: str, value: object, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        validate_parameter(name, value)


def test_validate_parameter_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownParameter, match="known: after_start_deduction_percent"):
        validate_parameter("max_daglon", 300)


def test_json_round_trip_and_the_shipped_file() -> None:
    raw = json.loads(PARAMETERS_FILE.read_text(encoding="utf-8"))
    assert ParameterSet.from_json(raw) == DEFAULT_PARAMETERS
    assert ParameterSet.from_json(DEFAULT_PARAMETERS.to_json()) == DEFAULT_PARAMETERS
    # decimals are strings in the file, so 290.67 stays exact
    caps = [item["value"] for item in raw if item["name"] == "max_dagloon"]
    assert caps == ["290.67", "304.25"]


def test_typed_accessors_check_the_kind() -> None:
    day = D(2026, 1, 1)
    assert DEFAULT_PARAMETERS.integer("start_period_weeks", day) == 26
    assert DEFAULT_PARAMETERS.decimal("days_per_month", day) == Decimal("21.75")
    assert DEFAULT_PARAMETERS.flag("start_period_in_months", day) is False
    with pytest.raises(TypeError):
        DEFAULT_PARAMETERS.integer("start_period_in_months", day)
    with pytest.raises(TypeError):
        DEFAULT_PARAMETERS.decimal("start_period_weeks", day)
    with pytest.raises(TypeError):
        DEFAULT_PARAMETERS.flag("start_period_weeks", day)


def test_change_dates_and_names_are_sorted() -> None:
    assert list(DEFAULT_PARAMETERS.names()) == sorted(DEFAULT_PARAMETERS.names())
    assert DEFAULT_PARAMETERS.change_dates() == (
        D(2015, 1, 1),
        D(2019, 4, 1),
        D(2025, 1, 1),
        D(2026, 1, 1),
    )
