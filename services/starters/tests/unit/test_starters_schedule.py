"""The monthly benefit schedule (issue 6, item 3): the worked examples of docs/starters-rules.md.

Every example here is written out month by month in docs/starters-rules.md, section
"Worked examples", with the same numbers. Columns of a row: month, phases, WW days,
capped dagloon(s), percentage(s), gross, start-period reduction, fictitious income,
after-start deduction, suspended days, withheld, net, income statement required, hours
report required.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starters.rules import (
    DEFAULT_PARAMETERS,
    MonthLine,
    ParameterSet,
    ParameterValue,
    Phase,
    PlanError,
    StartersPlan,
    Variant,
    VariantNotEnabled,
    WwFacts,
    entitlement_end,
    group_schedules,
    month_dict,
    monthly_schedule,
    months_period_end,
    research_period_latest_end,
    start_period_end,
    straight_line_monthly,
    variant_fields,
)

D = dt.date
P = DEFAULT_PARAMETERS
Row = tuple[str, str, str, str, str, str, str, str, str, int, str, str, bool, bool]

_SHORT = {
    "n": Phase.NORMAL,
    "r": Phase.RESEARCH,
    "s": Phase.START,
    "u": Phase.UNDECIDED,
    "c": Phase.CONTINUED,
    "x": Phase.STOPPED,
}


def row(line: MonthLine) -> Row:
    short = {v: k for k, v in _SHORT.items()}
    return (
        line.month,
        "".join(short[p] for p in line.phases),
        str(line.ww_days),
        "/".join(str(c) for c in line.capped_dagloons),
        "/".join(str(p) for p in line.percentages),
        str(line.gross),
        str(line.start_period_reduction),
        str(line.fictitious_income),
        str(line.after_start_deduction),
        line.suspended_days,
        str(line.withheld),
        str(line.net),
        line.income_statement_required,
        line.hours_report_required,
    )


# --- Example 1: dagloon above the maximum, research period, 75% -> 70%, continued ----------
# Dagloon EUR 320.00 (above the maximum), first WW day Mon 17 Nov 2025, 12 months of
# entitlement (last WW day 16 Nov 2026), usual 8 hours a day. Research period 1 Dec 2025
# .. 11 Jan 2026 (6 weeks, the maximum); start period from 12 Jan 2026, 26 weeks, to
# 12 Jul 2026; the business continues with 40 hours a month. 75% up to and including
# 16 Jan 2026 (2 months from 17 Nov), 70% from 17 Jan. The maximum dagloon is 290.67 in
# 2025 and 304.25 from 1 Jan 2026.
EX1_FACTS = WwFacts(Decimal("320.00"), D(2025, 11, 17), D(2026, 11, 16), Decimal(8))
EX1_PLAN = StartersPlan(
    research_start=D(2025, 12, 1),
    research_end=D(2026, 1, 11),
    start_period_start=D(2026, 1, 12),
    outcome="continued",
    outcome_on=D(2026, 7, 12),
    business_hours_per_month=Decimal(40),
)
EX1: list[Row] = [
    ("2025-11", "n", "10.15", "290.67", "75", "2212.73", "0.00", "0.00", "0.00", 0, "0.00", "2212.73", False, False),
    ("2025-12", "r", "21.75", "290.67", "75", "4741.55", "0.00", "0.00", "0.00", 0, "0.00", "4741.55", False, False),
    ("2026-01", "rs", "21.75", "304.25", "75/70", "4802.98", "882.14", "0.00", "0.00", 0, "0.00", "3920.84", True, False),
    ("2026-02", "s", "21.75", "304.25", "70", "4632.21", "1343.34", "0.00", "0.00", 0, "0.00", "3288.87", True, False),
    ("2026-03", "s", "21.75", "304.25", "70", "4632.21", "1343.34", "0.00", "0.00", 0, "0.00", "3288.87", True, False),
    ("2026-04", "s", "21.75", "304.25", "70", "4632.21", "1343.34", "0.00", "0.00", 0, "0.00", "3288.87", True, False),
    ("2026-05", "s", "21.75", "304.25", "70", "4632.21", "1343.34", "0.00", "0.00", 0, "0.00", "3288.87", True, False),
    ("2026-06", "s", "21.75", "304.25", "70", "4632.21", "1343.34", "0.00", "0.00", 0, "0.00", "3288.87", True, False),
    ("2026-07", "sc", "21.75", "304.25", "70", "4632.20", "520.00", "932.38", "652.67", 0, "0.00", "3459.53", True, True),
    ("2026-08", "c", "21.75", "304.25", "70", "4632.21", "0.00", "1521.25", "1064.88", 0, "0.00", "3567.33", False, True),
    ("2026-09", "c", "21.75", "304.25", "70", "4632.21", "0.00", "1521.25", "1064.88", 0, "0.00", "3567.33", False, True),
    ("2026-10", "c", "21.75", "304.25", "70", "4632.21", "0.00", "1521.25", "1064.88", 0, "0.00", "3567.33", False, True),
    ("2026-11", "c", "11.60", "304.25", "70", "2470.51", "0.00", "811.33", "567.93", 0, "0.00", "1902.58", False, True),
]  # fmt: skip

# --- Example 2: start period cut short by the end of entitlement -------------------------
# Dagloon EUR 150.00, first WW day Mon 2 Feb 2026, 3 months of entitlement (last WW day
# 1 May 2026). No research period; start period from 2 Mar 2026: 26 weeks would run to
# 30 Aug 2026, the entitlement ends it on 1 May. 75% up to and including 1 Apr.
EX2_FACTS = WwFacts(Decimal("150.00"), D(2026, 2, 2), D(2026, 5, 1), Decimal(8))
EX2_PLAN = StartersPlan(start_period_start=D(2026, 3, 2))
EX2: list[Row] = [
    ("2026-02", "n", "20.97", "150.00", "75", "2359.49", "0.00", "0.00", "0.00", 0, "0.00", "2359.49", False, False),
    ("2026-03", "ns", "21.75", "150.00", "75", "2446.87", "686.70", "0.00", "0.00", 0, "0.00", "1760.17", True, False),
    ("2026-04", "s", "21.75", "150.00", "75/70", "2289.19", "663.86", "0.00", "0.00", 0, "0.00", "1625.33", True, False),
    ("2026-05", "s", "0.70", "150.00", "70", "73.67", "21.36", "0.00", "0.00", 0, "0.00", "52.31", True, False),
]  # fmt: skip

# --- Example 3: former-employer rule (suspension) and a continued business ---------------
# Dagloon EUR 200.00, first WW day Mon 5 Jan 2026, 24 months (to 4 Jan 2028). Start period
# 2 Feb .. 2 Aug 2026. An assignment for the former employer on 20 May 2026: no benefit
# from 20 May until the start period ends (2 Aug). The business continues with 60 hours a
# month: fictitious income 200 / 8 x 60 = 1,500.00 a month, 70% = 1,050.00 deducted.
EX3_FACTS = WwFacts(Decimal("200.00"), D(2026, 1, 5), D(2028, 1, 4), Decimal(8))
EX3_PLAN = StartersPlan(
    start_period_start=D(2026, 2, 2),
    outcome="continued",
    outcome_on=D(2026, 8, 2),
    business_hours_per_month=Decimal(60),
    suspended=((D(2026, 5, 20), D(2026, 8, 2)),),
)
EX3: list[Row] = [
    ("2026-01", "n", "18.94", "200.00", "75", "2841.53", "0.00", "0.00", "0.00", 0, "0.00", "2841.53", False, False),
    ("2026-02", "ns", "21.75", "200.00", "75", "3262.50", "912.33", "0.00", "0.00", 0, "0.00", "2350.17", True, False),
    ("2026-03", "s", "21.75", "200.00", "75/70", "3073.07", "891.19", "0.00", "0.00", 0, "0.00", "2181.88", True, False),
    ("2026-04", "s", "21.75", "200.00", "70", "3045.00", "883.05", "0.00", "0.00", 0, "0.00", "2161.95", True, False),
    ("2026-05", "s", "21.75", "200.00", "70", "3045.00", "883.05", "0.00", "0.00", 12, "836.88", "1325.07", True, False),
    ("2026-06", "s", "21.75", "200.00", "70", "3045.00", "883.05", "0.00", "0.00", 30, "2161.95", "0.00", True, False),
    ("2026-07", "s", "21.75", "200.00", "70", "3045.00", "883.05", "0.00", "0.00", 31, "2161.95", "0.00", True, False),
    ("2026-08", "sc", "21.75", "200.00", "70", "3045.00", "56.97", "1403.23", "982.26", 2, "139.48", "1866.29", True, True),
    ("2026-09", "c", "21.75", "200.00", "70", "3045.00", "0.00", "1500.00", "1050.00", 0, "0.00", "1995.00", False, True),
]  # fmt: skip

# --- Example 4: research period, start period, business stopped ---------------------------
# Dagloon EUR 250.00, first WW day Mon 2 Mar 2026, 18 months (to 1 Sep 2027). Research
# 9 Mar .. 5 Apr (4 weeks); start period from 6 Apr (26 weeks would end 4 Oct); the
# business stops on 15 Jun: the start period ends on 14 Jun and normal WW resumes.
EX4_FACTS = WwFacts(Decimal("250.00"), D(2026, 3, 2), D(2027, 9, 1), Decimal(8))
EX4_PLAN = StartersPlan(
    research_start=D(2026, 3, 9),
    research_end=D(2026, 4, 5),
    start_period_start=D(2026, 4, 6),
    outcome="stopped",
    outcome_on=D(2026, 6, 15),
)
EX4: list[Row] = [
    ("2026-03", "nr", "21.05", "250.00", "75", "3946.58", "0.00", "0.00", "0.00", 0, "0.00", "3946.58", False, False),
    ("2026-04", "rs", "21.75", "250.00", "75", "4078.13", "985.55", "0.00", "0.00", 0, "0.00", "3092.58", True, False),
    ("2026-05", "s", "21.75", "250.00", "75/70", "3815.02", "1106.36", "0.00", "0.00", 0, "0.00", "2708.66", True, False),
    ("2026-06", "sx", "21.75", "250.00", "70", "3806.25", "515.11", "0.00", "0.00", 0, "0.00", "3291.14", True, False),
    ("2026-07", "x", "21.75", "250.00", "70", "3806.25", "0.00", "0.00", "0.00", 0, "0.00", "3806.25", False, False),
]  # fmt: skip

EXAMPLES = {
    "ex1-cap-research-continued": (EX1_FACTS, EX1_PLAN, EX1),
    "ex2-cut-short-by-entitlement": (EX2_FACTS, EX2_PLAN, EX2),
    "ex3-former-employer-suspension": (EX3_FACTS, EX3_PLAN, EX3),
    "ex4-stopped": (EX4_FACTS, EX4_PLAN, EX4),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_worked_example(name: str) -> None:
    facts, plan, expected = EXAMPLES[name]
    first = expected[0][0]
    lines = monthly_schedule(facts, plan, P, first_month=first, months=len(expected))
    assert [row(line) for line in lines] == expected


def test_example1_covers_the_whole_entitlement_by_default() -> None:
    lines = monthly_schedule(EX1_FACTS, EX1_PLAN, P)
    assert [row(line) for line in lines] == EX1


def test_example1_january_segments() -> None:
    jan = monthly_schedule(EX1_FACTS, EX1_PLAN, P, first_month="2026-01", months=1)[0]
    got = [
        (s.start, s.end, s.phase, s.percentage, str(s.gross), str(s.start_period_reduction))
        for s in jan.segments
    ]
    assert got == [
        (D(2026, 1, 1), D(2026, 1, 11), Phase.RESEARCH, Decimal(75), "1761.09", "0.00"),
        (D(2026, 1, 12), D(2026, 1, 16), Phase.START, Decimal(75), "800.50", "232.14"),
        (D(2026, 1, 17), D(2026, 1, 31), Phase.START, Decimal(70), "2241.39", "650.00"),
    ]
    assert "max_dagloon@2026-01-01" in jan.parameter_versions
    assert "start_period_weeks@2015-01-01" in jan.parameter_versions
    assert "research_period_max_weeks@2015-01-01" in jan.parameter_versions
    dec = monthly_schedule(EX1_FACTS, EX1_PLAN, P, first_month="2025-12", months=1)[0]
    assert "max_dagloon@2025-01-01" in dec.parameter_versions


def test_the_maximum_dagloon_changing_mid_month() -> None:
    """What-if data: a maximum of 300.00 from 15 Jan 2026; each day gets its own cap."""
    params = P.with_values(
        [ParameterValue("max_dagloon", Decimal("300.00"), D(2026, 1, 15), "what-if")]
    )
    facts = WwFacts(Decimal("320.00"), D(2025, 12, 1), D(2026, 6, 30), Decimal(8))
    (jan,) = monthly_schedule(facts, StartersPlan(), params, first_month="2026-01", months=1)
    assert jan.capped_dagloons == (Decimal("304.25"), Decimal("300.00"))
    assert [(s.days, str(s.gross)) for s in jan.segments] == [(14, "2241.39"), (17, "2683.67")]
    assert jan.gross == Decimal("4925.06")
    assert {"max_dagloon@2026-01-01", "max_dagloon@2026-01-15"} <= set(jan.parameter_versions)


def test_a_dagloon_below_the_maximum_is_not_capped_but_records_the_cap_version() -> None:
    (line,) = monthly_schedule(EX2_FACTS, EX2_PLAN, P, first_month="2026-03", months=1)
    assert line.capped_dagloon == Decimal("150.00")
    assert "max_dagloon@2026-01-01" in line.parameter_versions


def test_months_without_ww_days() -> None:
    lines = monthly_schedule(EX2_FACTS, EX2_PLAN, P, first_month="2026-01", months=6)
    assert [line.month for line in lines] == [f"2026-0{m}" for m in range(1, 7)]
    for line in (lines[0], lines[5]):
        assert line.phases == ()
        assert line.net == Decimal("0.00")
        assert line.parameter_versions == ()
        assert line.capped_dagloon is None
        assert line.percentage is None


def test_fictitious_income_with_the_uncapped_dagloon_when_configured() -> None:
    params = P.with_values(
        [ParameterValue("fictitious_income_uses_capped_dagloon", False, D(2015, 1, 1), "what-if")]
    )
    (aug,) = monthly_schedule(EX1_FACTS, EX1_PLAN, params, first_month="2026-08", months=1)
    # 320.00 / 8 x 40 = 1,600.00; 70% = 1,120.00
    assert (aug.fictitious_income, aug.after_start_deduction) == (
        Decimal("1600.00"),
        Decimal("1120.00"),
    )
    assert aug.net == Decimal("3512.21")


def test_undecided_outcome_is_computed_like_continued() -> None:
    plan = dataclasses.replace(EX1_PLAN, outcome=None, outcome_on=None)
    (aug,) = monthly_schedule(EX1_FACTS, plan, P, first_month="2026-08", months=1)
    assert aug.phases == (Phase.UNDECIDED,)
    assert aug.net == Decimal("3567.33")
    assert aug.hours_report_required


def test_deduction_never_takes_the_benefit_below_zero() -> None:
    plan = dataclasses.replace(EX3_PLAN, business_hours_per_month=Decimal(400), suspended=())
    (sep,) = monthly_schedule(EX3_FACTS, plan, P, first_month="2026-09", months=1)
    # fictitious 200 / 8 x 400 = 10,000; 70% = 7,000 > 3,045: deduction capped
    assert (sep.after_start_deduction, sep.net) == (Decimal("3045.00"), Decimal("0.00"))
    assert sep.segments[0].obligation_share == Decimal(0)


def test_obligation_shares() -> None:
    lines = monthly_schedule(EX3_FACTS, dataclasses.replace(EX3_PLAN, suspended=()), P)
    by_month = {line.month: line for line in lines}
    assert by_month["2026-01"].segments[0].obligation_share == 1
    assert by_month["2026-04"].segments[0].obligation_share == 0
    # 60 of 8 x 21.75 = 174 hours in the business: 1 - 60/174
    assert by_month["2026-09"].segments[0].obligation_share == Decimal("0.6552")


# --- start period end ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "entitlement_end", "in_months", "expected"),
    [
        (D(2026, 3, 2), D(2027, 3, 1), False, D(2026, 8, 30)),  # 26 weeks
        (D(2026, 3, 2), D(2026, 5, 1), False, D(2026, 5, 1)),  # cut short by entitlement
        (D(2026, 3, 2), D(2026, 8, 30), False, D(2026, 8, 30)),  # ends together
        (D(2026, 3, 2), D(2027, 3, 1), True, D(2026, 9, 1)),  # 6 months
        (D(2026, 8, 31), D(2028, 1, 1), True, D(2027, 2, 28)),  # 6 months from 31 Aug
        (D(2026, 8, 31), D(2028, 1, 1), False, D(2027, 2, 28)),  # 26 weeks from 31 Aug
        (D(2026, 3, 2), D(2026, 3, 2), False, D(2026, 3, 2)),  # one day of WW left
    ],
)
def test_start_period_end(
    start: dt.date, entitlement_end: dt.date, in_months: bool, expected: dt.date
) -> None:
    params = P.with_values(
        [ParameterValue("start_period_in_months", in_months, D(2015, 1, 1), "test")]
    )
    assert start_period_end(start, entitlement_end, params) == expected


def test_start_period_after_entitlement_is_an_error() -> None:
    with pytest.raises(PlanError):
        start_period_end(D(2026, 5, 2), D(2026, 5, 1), P)


def test_research_period_latest_end() -> None:
    assert research_period_latest_end(D(2025, 12, 1), P) == D(2026, 1, 11)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (StartersPlan(research_start=D(2026, 3, 9)), "go together"),
        (StartersPlan(research_start=D(2026, 3, 9), research_end=D(2026, 4, 20)), "at most 6 weeks"),
        (StartersPlan(research_start=D(2026, 3, 1), research_end=D(2026, 3, 20)), "before the first WW day"),
        (StartersPlan(research_start=D(2026, 3, 9), research_end=D(2026, 3, 8)), "before research_start"),
        (StartersPlan(start_period_start=D(2026, 3, 1)), "on or after the first WW day"),
        (StartersPlan(research_start=D(2026, 3, 9), research_end=D(2026, 4, 5), start_period_start=D(2026, 4, 5)), "after the research period"),
        (StartersPlan(outcome="continued"), "need start_period_start"),
        (StartersPlan(start_period_start=D(2026, 4, 6), outcome="stopped"), "needs outcome_on"),
        (StartersPlan(start_period_start=D(2026, 4, 6), outcome="stopped", outcome_on=D(2026, 4, 5)), "before the start period"),
        (StartersPlan(start_period_start=D(2026, 4, 6), start_period_end=D(2026, 4, 5)), "before start_period_start"),
        (StartersPlan(start_period_start=D(2026, 4, 6), business_hours_per_month=Decimal(-1)), "negative"),
        (StartersPlan(suspended=((D(2026, 5, 2), D(2026, 5, 1)),)), "before it starts"),
        (StartersPlan(start_period_start=D(2027, 9, 2)), "after the WW entitlement ends"),
        (StartersPlan(gradual_business_share=Decimal("0.5")), "gradual_start variant"),
    ],
)  # fmt: skip
def test_inconsistent_plans_are_refused(plan: StartersPlan, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        monthly_schedule(EX4_FACTS, plan, P)


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (WwFacts(Decimal(-1), D(2026, 3, 2), D(2027, 3, 1)), "negative"),
        (WwFacts(Decimal(100), D(2026, 3, 2), D(2026, 3, 1)), "before first_ww_day"),
        (WwFacts(Decimal(100), D(2026, 3, 2), D(2027, 3, 1), Decimal(0)), "positive"),
    ],
)
def test_inconsistent_facts_are_refused(facts: WwFacts, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        monthly_schedule(facts, StartersPlan(), P)


def test_bad_month_arguments() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        monthly_schedule(EX2_FACTS, EX2_PLAN, P, first_month="2026-3")
    with pytest.raises(ValueError, match="negative"):
        monthly_schedule(EX2_FACTS, EX2_PLAN, P, months=-1)


# --- NOT CURRENT LAW variants ----------------------------------------------------------------

ENABLED = P.with_values(
    [
        ParameterValue("gradual_start_enabled", True, D(2026, 1, 1), "what-if"),
        ParameterValue("group_start_enabled", True, D(2026, 1, 1), "what-if"),
    ]
)
GRADUAL = StartersPlan(
    start_period_start=D(2026, 4, 1),
    variant=Variant.GRADUAL_START,
    gradual_business_share=Decimal("0.5"),
)


def test_gradual_start_reduces_only_the_business_share() -> None:
    (apr,) = monthly_schedule(EX3_FACTS, GRADUAL, ENABLED, first_month="2026-04", months=1)
    # 3,045.00 x 0.5 x 29% = 441.525 -> 441.53
    assert (apr.gross, apr.start_period_reduction, apr.net) == (
        Decimal("3045.00"),
        Decimal("441.53"),
        Decimal("2603.47"),
    )
    assert apr.segments[0].obligation_share == Decimal("0.5")
    assert "gradual_start_enabled@2026-01-01" in apr.parameter_versions


@pytest.mark.parametrize("share", [Decimal(0), Decimal(1), Decimal("1.5"), None])
def test_gradual_start_share_must_be_a_fraction(share: Decimal | None) -> None:
    plan = dataclasses.replace(GRADUAL, gradual_business_share=share)
    with pytest.raises(PlanError, match="strictly between 0 and 1"):
        monthly_schedule(EX3_FACTS, plan, ENABLED)


def test_variants_are_off_by_default() -> None:
    with pytest.raises(VariantNotEnabled, match="NOT CURRENT LAW"):
        monthly_schedule(EX3_FACTS, GRADUAL, P)
    members = [("a", EX3_FACTS), ("b", EX2_FACTS)]
    with pytest.raises(VariantNotEnabled, match="group_start_enabled"):
        group_schedules(members, StartersPlan(start_period_start=D(2026, 3, 2)), P)


def test_group_start_gives_each_member_their_own_schedule() -> None:
    plan = StartersPlan(start_period_start=D(2026, 3, 2))
    members = [("m1", EX3_FACTS), ("m2", EX2_FACTS)]
    schedules = group_schedules(members, plan, ENABLED, first_month="2026-03", months=3)
    assert set(schedules) == {"m1", "m2"}
    m1 = [(line.month, str(line.net)) for line in schedules["m1"]]
    m2 = [(line.month, str(line.net)) for line in schedules["m2"]]
    assert m1 == [("2026-03", "2212.40"), ("2026-04", "2161.95"), ("2026-05", "2161.95")]
    # m2's entitlement ends on 1 May: their start period is cut short, m1's is not
    assert m2 == [("2026-03", "1760.17"), ("2026-04", "1625.33"), ("2026-05", "52.31")]
    assert "group_start_enabled@2026-01-01" in schedules["m1"][0].parameter_versions


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("a", EX3_FACTS)], "2 to 5 members"),
        ([(str(i), EX3_FACTS) for i in range(6)], "2 to 5 members"),
        ([("a", EX3_FACTS), ("a", EX2_FACTS)], "distinct ids"),
    ],
)
def test_group_start_membership(members: list[tuple[str, WwFacts]], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        group_schedules(members, StartersPlan(start_period_start=D(2026, 3, 2)), ENABLED)


def test_group_start_needs_dates() -> None:
    with pytest.raises(PlanError, match="group's research or start period"):
        group_schedules([("a", EX3_FACTS), ("b", EX2_FACTS)], StartersPlan(), ENABLED)


# --- straight line baseline ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_straight_line_agrees_within_two_cents_per_segment(name: str) -> None:
    facts, plan, _ = EXAMPLES[name]
    for line in monthly_schedule(facts, plan, P):
        baseline = straight_line_monthly(facts, plan, P, line.month)
        assert abs(baseline - line.net) <= Decimal("0.02") * max(1, len(line.segments))


def test_straight_line_full_month_examples() -> None:
    assert straight_line_monthly(EX1_FACTS, EX1_PLAN, P, "2026-03") == Decimal("3288.87")
    assert straight_line_monthly(EX1_FACTS, EX1_PLAN, P, "2026-09") == Decimal("3567.33")
    assert straight_line_monthly(EX3_FACTS, EX3_PLAN, P, "2026-06") == Decimal("0.00")
    assert straight_line_monthly(EX4_FACTS, EX4_PLAN, P, "2026-07") == Decimal("3806.25")


# --- properties --------------------------------------------------------------------------------

BASE = D(2025, 1, 1)
days = st.integers(min_value=0, max_value=900)
money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("600.00"), places=2)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[WwFacts, StartersPlan, ParameterSet]:
    first = BASE + dt.timedelta(days=draw(days))
    months = draw(st.integers(min_value=3, max_value=24))
    end = months_period_end(first, months)
    facts = WwFacts(
        draw(money), first, end, draw(st.sampled_from([Decimal(4), Decimal(8), Decimal("7.6")]))
    )
    length = (end - first).days
    research = draw(st.booleans())
    rs = re_ = None
    cursor = first + dt.timedelta(days=draw(st.integers(0, min(60, length))))
    if research and cursor + dt.timedelta(days=2) < end:
        rs = cursor
        # Inside the entitlement (ADR 0019: a research period ends by its end).
        re_ = min(rs + dt.timedelta(days=draw(st.integers(0, 41))), end)
        cursor = re_ + dt.timedelta(days=1)
    sp = cursor if draw(st.booleans()) and cursor <= end else None
    outcome = draw(st.sampled_from([None, "continued", "stopped"])) if sp else None
    outcome_on = None
    if sp is not None and outcome is not None:
        outcome_on = sp + dt.timedelta(days=draw(st.integers(0, 400)))
    suspended: tuple[tuple[dt.date, dt.date], ...] = ()
    if draw(st.booleans()):
        a = first + dt.timedelta(days=draw(st.integers(0, length)))
        suspended = ((a, a + dt.timedelta(days=draw(st.integers(0, 90)))),)
    plan = StartersPlan(
        research_start=rs,
        research_end=re_,
        start_period_start=sp,
        outcome=outcome,  # type: ignore[arg-type]
        outcome_on=outcome_on,
        business_hours_per_month=draw(st.one_of(st.none(), st.decimals(0, 250, places=1))),
        suspended=suspended,
    )
    params = P
    if draw(st.booleans()):
        mid = BASE + dt.timedelta(days=draw(st.integers(0, 1200)))
        params = P.with_values([ParameterValue("max_dagloon", draw(money), mid, "what-if")])
    return facts, plan, params


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_schedule_properties(scenario: tuple[WwFacts, StartersPlan, ParameterSet]) -> None:
    facts, plan, params = scenario
    lines = monthly_schedule(facts, plan, params)
    assert (
        sum(line.ww_calendar_days for line in lines)
        == (facts.entitlement_end - facts.first_ww_day).days + 1
    )
    for line in lines:
        normal_uncapped = facts.dagloon * Decimal("0.75") * Decimal("21.75")
        assert Decimal(0) <= line.net <= line.gross
        assert line.net <= normal_uncapped.quantize(Decimal("0.01")) + Decimal("0.02")
        assert line.net == (
            line.gross - line.start_period_reduction - line.after_start_deduction - line.withheld
        )
        for segment in line.segments:
            assert segment.net >= 0
            cap = params.at("max_dagloon", segment.start)
            assert cap.version in segment.parameter_versions
            assert segment.capped_dagloon == min(facts.dagloon, cap.value)  # type: ignore[type-var]
            if segment.suspended:
                assert segment.net == 0
            assert 0 <= segment.start_period_reduction <= segment.gross
            if segment.phase != Phase.START:
                assert segment.start_period_reduction == 0
        if line.segments:
            assert any(v.startswith("max_dagloon@") for v in line.parameter_versions)
            assert any(v.startswith("days_per_month@") for v in line.parameter_versions)
        baseline = straight_line_monthly(facts, plan, params, line.month)
        assert abs(baseline - line.net) <= Decimal("0.02") * max(1, len(line.segments))


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_a_schedule_is_the_same_however_it_is_paged(
    scenario: tuple[WwFacts, StartersPlan, ParameterSet],
) -> None:
    facts, plan, params = scenario
    whole = monthly_schedule(facts, plan, params)
    pieces: list[MonthLine] = []
    for i in range(0, len(whole), 5):
        pieces += monthly_schedule(
            facts, plan, params, first_month=whole[i].month, months=min(5, len(whole) - i)
        )
    assert pieces == whole


# --- helpers for the service -------------------------------------------------------------------


def test_entitlement_end_is_a_period_of_months() -> None:
    assert entitlement_end(D(2025, 11, 17), 12) == D(2026, 11, 16)
    assert entitlement_end(D(2026, 2, 2), 3) == D(2026, 5, 1)
    assert entitlement_end(D(2026, 3, 2), 18) == D(2027, 9, 1)


@pytest.mark.parametrize(
    ("stored", "share", "expected"),
    [
        (None, None, (Variant.STANDARD, None)),
        ("group", None, (Variant.GROUP_START, None)),
        ("gradual", Decimal("0.4"), (Variant.GRADUAL_START, Decimal("0.4"))),
        ("gradual_start", Decimal("0.4"), (Variant.GRADUAL_START, Decimal("0.4"))),
        ("group", Decimal("0.4"), (Variant.GROUP_START, None)),
    ],
)
def test_variant_fields(
    stored: str | None, share: Decimal | None, expected: tuple[Variant, Decimal | None]
) -> None:
    fields = variant_fields(stored, share)
    assert (fields["variant"], fields["gradual_business_share"]) == expected
    StartersPlan(**fields)
    with pytest.raises(PlanError, match="unknown variant"):
        variant_fields("solo")


def test_month_dict() -> None:
    jul = monthly_schedule(EX1_FACTS, EX1_PLAN, P, first_month="2026-07", months=1)[0]
    d = month_dict(jul)
    assert d["phase"] == "start_period+continued"
    assert (d["gross_ww"], d["start_period_reduction"], d["fictitious_income_deduction"]) == (
        Decimal("4632.20"),
        Decimal("520.00"),
        Decimal("652.67"),
    )
    assert (d["suspended"], d["net"]) == (Decimal("0.00"), Decimal("3459.53"))
    assert d["income_statement_required"] is True
    assert d["parameter_versions"] == list(jul.parameter_versions)
    (empty,) = monthly_schedule(EX2_FACTS, EX2_PLAN, P, first_month="2026-06", months=1)
    assert month_dict(empty)["phase"] == "none"


# --- the docs show the same numbers --------------------------------------------------------------

DOC = Path(__file__).resolve().parents[4] / "docs" / "starters-rules.md"
_DOC_PHASES = {
    "normal": "n",
    "research": "r",
    "start": "s",
    "continued": "c",
    "stopped": "x",
    "undecided": "u",
}


def _doc_rows() -> list[Row]:
    rows: list[Row] = []
    for text in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("*") for c in text.strip().strip("|").split("|")]
        if len(cells) != 12 or not cells[0][:4].isdigit():
            continue
        phases = "".join(_DOC_PHASES[p.strip()] for p in cells[1].split(","))
        rows.append(
            (
                cells[0],
                phases,
                cells[2],
                cells[3].replace(" ", ""),
                cells[4].replace(" ", ""),
                *cells[5:9],
                int(cells[9]),
                cells[10],
                cells[11],
                "s" in phases,
                "c" in phases or "u" in phases,
            )  # type: ignore[arg-type]
        )
    return rows


def test_the_docs_show_the_tested_examples() -> None:
    assert _doc_rows() == EX1 + EX2 + EX3 + EX4
