"""Job-search obligation rules without I/O (issue 5, item 7).

Dates: the regime starts on Monday 5 January 2026, so period 0 runs from 5 January up to
and including Sunday 1 February, period 1 from 2 February to 1 March, period 2 from
2 March to 29 March.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.obligations.rules import (
    DEFAULT_POLICY,
    Activity,
    ActivityKind,
    Exemption,
    ExemptionReason,
    ObligationPolicy,
    Period,
    PeriodStatus,
    Regime,
    counting_activities,
    evaluate,
    evaluate_due,
    exempt_days,
    period_at,
    period_containing,
    periods_due,
)
from shared.events.common import ObligationRegime

D = dt.date
START = D(2026, 1, 5)
P0 = Period(0, D(2026, 1, 5), D(2026, 2, 1))
P1 = Period(1, D(2026, 2, 2), D(2026, 3, 1))
P2 = Period(2, D(2026, 3, 2), D(2026, 3, 29))
LATER = D(2026, 12, 1)  # every period of interest has closed

REGULAR = Regime(ObligationRegime.REGULAR, START)
NONE = Regime(ObligationRegime.NONE, START)
APP = ActivityKind.APPLICATION
AGENCY = ActivityKind.TEMP_AGENCY_REGISTRATION


def days(n: int, first: dt.date = START) -> dt.date:
    return first + dt.timedelta(days=n)


def apps(*on: dt.date, employer: str = "Acme") -> list[Activity]:
    return [Activity(APP, d, f"{employer} {i}") for i, d in enumerate(on)]


def result(
    regime: Regime,
    activities: list[Activity],
    period: Period = P0,
    exemptions: tuple[Exemption, ...] = (),
    today: dt.date = LATER,
    policy: ObligationPolicy = DEFAULT_POLICY,
) -> tuple[PeriodStatus, int, int]:
    r = evaluate(regime, activities, list(exemptions), period, today=today, policy=policy)
    return r.status, r.counted, r.required


# Periods ------------------------------------------------------------------------------------


def test_periods_are_28_days_counted_from_the_regime_start_both_ends_inclusive() -> None:
    assert period_at(START, 0) == P0
    assert period_at(START, 1) == P1
    assert period_at(START, 2) == P2
    assert period_containing(START, START) == P0
    assert period_containing(START, P0.end) == P0
    assert period_containing(START, P0.end + dt.timedelta(days=1)) == P1
    assert (P0.end - P0.start).days + 1 == 28
    with pytest.raises(ValueError, match="before"):
        period_containing(START, START - dt.timedelta(days=1))
    with pytest.raises(ValueError, match="index"):
        period_at(START, -1)
    assert period_at(START, 1, ObligationPolicy(period_days=14)) == Period(
        1, D(2026, 1, 19), D(2026, 2, 1)
    )


def test_a_period_is_due_the_day_after_its_last_day() -> None:
    assert periods_due(START, START) == []
    assert periods_due(START, P0.end) == []  # the claimant may still report on the last day
    assert periods_due(START, P0.end + dt.timedelta(days=1)) == [P0]
    assert periods_due(START, P1.end) == [P0]
    assert periods_due(START, P2.end + dt.timedelta(days=1)) == [P0, P1, P2]
    assert periods_due(START, START - dt.timedelta(days=10)) == []


def test_a_period_cut_short_by_the_regime_end_is_never_due() -> None:
    assert periods_due(START, LATER, end=P1.end) == [P0, P1]
    assert periods_due(START, LATER, end=P1.end - dt.timedelta(days=1)) == [P0]
    assert periods_due(START, LATER, end=START) == []
    regime = Regime(ObligationRegime.REGULAR, START, end=D(2026, 2, 20))
    results = evaluate_due(regime, apps(*(days(i) for i in range(4))), [], today=LATER)
    assert [(r.period, r.status) for r in results] == [(P0, PeriodStatus.COMPLIANT)]


def test_a_period_of_another_grid_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of this regime's periods"):
        evaluate(REGULAR, [], [], Period(0, START, days(29)), today=LATER)
    with pytest.raises(ValueError, match="not one of this regime's periods"):
        evaluate(REGULAR, [], [], period_at(days(1), 0), today=LATER)


# Regimes ------------------------------------------------------------------------------------


def test_regular_regime_needs_four_activities() -> None:
    four = apps(days(0), days(3), days(10), days(20))
    assert result(REGULAR, four) == (PeriodStatus.COMPLIANT, 4, 4)
    assert result(REGULAR, four[:3]) == (PeriodStatus.NOT_COMPLIANT, 3, 4)
    assert result(REGULAR, []) == (PeriodStatus.NOT_COMPLIANT, 0, 4)
    assert result(REGULAR, four + apps(days(21), days(22))) == (PeriodStatus.COMPLIANT, 6, 4)
    policy = ObligationPolicy(regular_required=2)
    assert result(REGULAR, four[:2], policy=policy) == (PeriodStatus.COMPLIANT, 2, 2)


def test_no_obligation_regime() -> None:
    assert result(NONE, []) == (PeriodStatus.NO_OBLIGATION, 0, 0)
    assert result(NONE, [], today=START) == (PeriodStatus.NO_OBLIGATION, 0, 0)
    (r,) = evaluate_due(NONE, [], [], today=P0.end + dt.timedelta(days=1))
    assert not r.missed


def test_individual_agreement_uses_its_own_count() -> None:
    two = Regime(ObligationRegime.INDIVIDUAL, START, required=2)
    assert result(two, apps(days(1), days(2))) == (PeriodStatus.COMPLIANT, 2, 2)
    assert result(two, apps(days(1))) == (PeriodStatus.NOT_COMPLIANT, 1, 2)
    eight = Regime(ObligationRegime.INDIVIDUAL, START, required=8)
    assert result(eight, apps(*(days(i) for i in range(6)))) == (PeriodStatus.NOT_COMPLIANT, 6, 8)
    zero = Regime(ObligationRegime.INDIVIDUAL, START, required=0)
    assert result(zero, []) == (PeriodStatus.COMPLIANT, 0, 0)


@pytest.mark.parametrize(
    ("kind", "required"),
    [
        (ObligationRegime.INDIVIDUAL, None),
        (ObligationRegime.INDIVIDUAL, -1),
        (ObligationRegime.REGULAR, 4),
        (ObligationRegime.NONE, 0),
    ],
)
def test_invalid_regimes_are_refused(kind: ObligationRegime, required: int | None) -> None:
    with pytest.raises(ValueError, match="required count"):
        Regime(kind, START, required=required)


def test_plain_strings_are_accepted_for_kinds() -> None:
    regime = Regime("regular", START)  # type: ignore[arg-type]
    assert regime == REGULAR
    assert Activity("application", START).kind is APP  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="posting"):
        Activity("posting", START)  # type: ignore[arg-type]


def test_a_regime_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="end before"):
        Regime(ObligationRegime.REGULAR, START, end=START - dt.timedelta(days=1))
    with pytest.raises(ValueError, match="end before"):
        Exemption(START, START - dt.timedelta(days=1))


# Period boundaries --------------------------------------------------------------------------


def test_activities_on_the_first_and_last_day_count_the_day_after_does_not() -> None:
    on_edges = apps(P0.start, P0.start, P0.end, P0.end)  # four different employers
    assert result(REGULAR, on_edges) == (PeriodStatus.COMPLIANT, 4, 4)
    before = apps(P0.start - dt.timedelta(days=1))
    after = apps(P0.end + dt.timedelta(days=1))
    assert result(REGULAR, on_edges[:3] + after) == (PeriodStatus.NOT_COMPLIANT, 3, 4)
    assert result(REGULAR, on_edges[:3] + after, period=P1) == (PeriodStatus.NOT_COMPLIANT, 1, 4)
    assert result(REGULAR, on_edges[:3] + before)[1] == 3


def test_an_open_period_is_not_evaluated() -> None:
    two = apps(days(0), days(1))
    assert result(REGULAR, two, today=P0.end) == (PeriodStatus.OPEN, 2, 4)
    assert result(REGULAR, [], today=P0.start) == (PeriodStatus.OPEN, 0, 4)
    assert result(REGULAR, two, today=P0.end + dt.timedelta(days=1))[0] is (
        PeriodStatus.NOT_COMPLIANT
    )
    r = evaluate(REGULAR, [], [], P0, today=P0.end)
    assert not r.missed


# What counts --------------------------------------------------------------------------------


def test_every_kind_of_the_handbook_counts() -> None:
    every = [Activity(kind, days(i), "Acme") for i, kind in enumerate(ActivityKind)]
    assert {a.kind for a in every} == {
        ActivityKind.APPLICATION,
        ActivityKind.INTERVIEW,
        ActivityKind.ASSESSMENT,
        ActivityKind.TEMP_AGENCY_REGISTRATION,
        ActivityKind.UWV_WORKSHOP,
        ActivityKind.CV_POSTING,
    }
    assert result(REGULAR, every)[1] == len(every)


def test_cv_posting_counts_unless_the_policy_says_otherwise() -> None:
    cvs = [Activity(ActivityKind.CV_POSTING, days(i), "werk.nl") for i in range(4)]
    assert result(REGULAR, cvs)[0] is PeriodStatus.COMPLIANT
    no_cv = ObligationPolicy(cv_posting_counts=False)
    assert result(REGULAR, cvs, policy=no_cv) == (PeriodStatus.NOT_COMPLIANT, 0, 4)


def test_a_new_temp_agency_registration_counts() -> None:
    three = apps(days(1), days(2), days(3))
    registration = Activity(AGENCY, days(4), "Randstad")
    assert result(REGULAR, [*three, registration]) == (PeriodStatus.COMPLIANT, 4, 4)


def test_a_repeated_registration_with_the_same_agency_does_not_count() -> None:
    first = Activity(AGENCY, days(2), "Randstad")
    again = Activity(AGENCY, days(40), "  randstad ")  # period 1, same agency
    other = Activity(AGENCY, days(41), "Tempo-Team")
    assert result(REGULAR, [first, again, other], period=P1)[1] == 1
    # an earlier registration in another period makes this one not new
    assert result(REGULAR, [again])[1] == 0
    assert result(REGULAR, [again], period=P1)[1] == 1
    assert result(REGULAR, [first, again], period=P1)[1] == 0
    # two registrations with one agency in one period: the first counts
    same_period = [Activity(AGENCY, days(5), "Randstad"), Activity(AGENCY, days(9), "RANDSTAD")]
    counted = counting_activities(same_period, P0)
    assert counted == (same_period[0],)


def test_duplicate_reports_count_once() -> None:
    a = Activity(APP, days(3), "Acme BV")
    duplicates = [a, a, Activity(APP, days(3), " acme  bv"), Activity(APP, days(3), "ACME BV")]
    assert result(REGULAR, duplicates)[1] == 1
    distinct = [
        a,
        Activity(APP, days(4), "Acme BV"),  # another day
        Activity(APP, days(3), "Other BV"),  # another employer
        Activity(ActivityKind.INTERVIEW, days(3), "Acme BV"),  # another kind
    ]
    assert result(REGULAR, distinct) == (PeriodStatus.COMPLIANT, 4, 4)
    no_employer = [
        Activity(ActivityKind.UWV_WORKSHOP, days(3)),
        Activity(ActivityKind.UWV_WORKSHOP, days(3), " "),
    ]
    assert result(REGULAR, no_employer)[1] == 1


def test_counted_activities_are_listed_by_date() -> None:
    acts = [Activity(APP, days(9), "B"), Activity(APP, days(2), "A"), Activity(APP, days(2), "A")]
    r = evaluate(REGULAR, acts, [], P0, today=LATER)
    assert r.counted_activities == (acts[1], acts[0])


# Starters exemptions ------------------------------------------------------------------------


def research(first: dt.date, weeks: int = 6) -> Exemption:
    return Exemption(
        first, first + dt.timedelta(weeks=weeks, days=-1), ExemptionReason.STARTERS_RESEARCH_PERIOD
    )


def start_period(first: dt.date, weeks: int = 26) -> Exemption:
    return Exemption(
        first, first + dt.timedelta(weeks=weeks, days=-1), ExemptionReason.STARTERS_START_PERIOD
    )


def test_a_period_fully_inside_an_exemption_is_exempt() -> None:
    ex = (start_period(START),)
    assert result(REGULAR, [], exemptions=ex) == (PeriodStatus.EXEMPT, 0, 0)
    assert result(REGULAR, [], period=P2, exemptions=ex) == (PeriodStatus.EXEMPT, 0, 0)
    r = evaluate(REGULAR, [], list(ex), P1, today=LATER)
    assert (r.exempt_days, r.missed) == (28, False)


def test_a_research_period_starting_mid_period_is_pro_rata() -> None:
    ex = (research(days(14)),)  # 14 exempt days in P0, all of P1
    assert result(REGULAR, apps(days(1), days(2)), exemptions=ex) == (PeriodStatus.COMPLIANT, 2, 2)
    assert result(REGULAR, apps(days(1)), exemptions=ex) == (PeriodStatus.NOT_COMPLIANT, 1, 2)
    assert result(REGULAR, [], period=P1, exemptions=ex) == (PeriodStatus.EXEMPT, 0, 0)
    assert result(REGULAR, [], period=P2, exemptions=ex) == (PeriodStatus.NOT_COMPLIANT, 0, 4)


def test_partial_overlap_requires_one_activity_per_full_obligated_week() -> None:
    for exempt, required in [(0, 4), (1, 3), (7, 3), (8, 2), (14, 2), (15, 1), (21, 1), (22, 0)]:
        ex = (Exemption(P0.end - dt.timedelta(days=exempt - 1), P0.end),) if exempt else ()
        r = evaluate(REGULAR, [], list(ex), P0, today=LATER)
        assert (r.exempt_days, r.required) == (exempt, required)
        assert r.status is (PeriodStatus.EXEMPT if required == 0 else PeriodStatus.NOT_COMPLIANT)
    individual = Regime(ObligationRegime.INDIVIDUAL, START, required=6)
    ex10 = [Exemption(P0.start, days(9))]  # 18 obligated days: floor(6 * 18 / 28) = 3
    assert evaluate(individual, [], ex10, P0, today=LATER).required == 3


def test_a_start_period_ending_mid_period_brings_the_obligation_back_pro_rata() -> None:
    ex = (start_period(START, weeks=9),)  # days 0-62: P0 and P1 fully, P2's first 7 days
    assert evaluate(REGULAR, [], list(ex), P2, today=LATER).exempt_days == 7
    assert result(REGULAR, apps(days(60), days(70), days(80)), period=P2, exemptions=ex) == (
        PeriodStatus.COMPLIANT,
        3,
        3,
    )


def test_research_then_start_period_overlapping_exemptions_are_merged() -> None:
    ex = (research(days(20), weeks=2), start_period(days(27), weeks=26))  # overlap on day 27..33
    r = evaluate(REGULAR, [], list(ex), P0, today=LATER)
    assert r.exempt_days == 8  # days 20..27
    assert r.required == 2
    assert exempt_days(ex, P1.start, P1.end) == 28


def test_activities_on_exempt_days_still_count() -> None:
    ex = (research(days(14)),)
    assert result(REGULAR, apps(days(15), days(16)), exemptions=ex) == (
        PeriodStatus.COMPLIANT,
        2,
        2,
    )


def test_an_open_period_during_an_exemption_shows_the_pro_rata_requirement() -> None:
    ex = (research(days(14)),)
    assert result(REGULAR, [], exemptions=ex, today=days(20)) == (PeriodStatus.OPEN, 0, 2)


def test_exemptions_do_not_apply_to_the_no_obligation_regime() -> None:
    r = evaluate(NONE, [], [start_period(START)], P0, today=LATER)
    assert (r.status, r.exempt_days) == (PeriodStatus.NO_OBLIGATION, 28)


def test_evaluate_due_lists_closed_periods_oldest_first() -> None:
    acts = apps(*(days(i) for i in range(4))) + apps(days(30), employer="X")
    results = evaluate_due(REGULAR, acts, [research(days(56))], today=P2.end + dt.timedelta(days=1))
    assert [(r.period.index, r.status, r.counted, r.required) for r in results] == [
        (0, PeriodStatus.COMPLIANT, 4, 4),
        (1, PeriodStatus.NOT_COMPLIANT, 1, 4),
        (2, PeriodStatus.EXEMPT, 0, 0),
    ]
    assert [r.missed for r in results] == [False, True, False]


# Properties ---------------------------------------------------------------------------------

employers = st.sampled_from(["Acme", "acme ", "Randstad", "Tempo-Team", None, "Other"])
activities = st.builds(
    Activity, st.sampled_from(list(ActivityKind)), st.integers(-30, 100).map(days), employers
)
exemptions = st.builds(
    lambda first, length: Exemption(days(first), days(first + length)),
    st.integers(-30, 100),
    st.integers(0, 60),
)
regimes = st.one_of(
    st.just(REGULAR),
    st.just(NONE),
    st.integers(0, 8).map(lambda n: Regime(ObligationRegime.INDIVIDUAL, START, required=n)),
)
periods = st.integers(0, 2).map(lambda k: period_at(START, k))
policies = st.builds(ObligationPolicy, st.integers(0, 6), st.just(28), st.booleans())


@settings(max_examples=300, deadline=None)
@given(
    regimes,
    st.lists(activities, max_size=12),
    st.lists(exemptions, max_size=3),
    periods,
    activities,
    policies,
)
def test_property_adding_an_activity_in_or_after_the_period_never_hurts(
    regime: Regime,
    acts: list[Activity],
    exs: list[Exemption],
    period: Period,
    extra: Activity,
    policy: ObligationPolicy,
) -> None:
    if extra.on < period.start:
        extra = dataclasses.replace(extra, on=period.start + dt.timedelta(days=extra.on.day % 28))
    before = evaluate(regime, acts, exs, period, today=LATER, policy=policy)
    after = evaluate(regime, [*acts, extra], exs, period, today=LATER, policy=policy)
    assert after.counted >= before.counted
    assert after.required == before.required
    if before.status is PeriodStatus.COMPLIANT:
        assert after.status is PeriodStatus.COMPLIANT


@settings(max_examples=300, deadline=None)
@given(
    regimes,
    st.lists(activities, max_size=12),
    st.lists(exemptions, max_size=3),
    periods,
    exemptions,
)
def test_property_more_exemption_never_hurts(
    regime: Regime, acts: list[Activity], exs: list[Exemption], period: Period, extra: Exemption
) -> None:
    before = evaluate(regime, acts, exs, period, today=LATER)
    after = evaluate(regime, acts, [*exs, extra], period, today=LATER)
    assert after.required <= before.required
    assert after.counted == before.counted
    if before.status in (PeriodStatus.COMPLIANT, PeriodStatus.EXEMPT):
        assert after.status in (PeriodStatus.COMPLIANT, PeriodStatus.EXEMPT)


@settings(max_examples=300, deadline=None)
@given(
    regimes,
    st.lists(activities, max_size=12),
    st.lists(exemptions, max_size=3),
    periods,
    st.randoms(use_true_random=False),
)
def test_property_order_and_duplicates_do_not_matter(
    regime: Regime,
    acts: list[Activity],
    exs: list[Exemption],
    period: Period,
    rnd: random.Random,
) -> None:
    base = evaluate(regime, acts, exs, period, today=LATER)
    shuffled = acts + acts[: len(acts) // 2]
    rnd.shuffle(shuffled)
    exs2 = list(exs) * 2
    rnd.shuffle(exs2)
    again = evaluate(regime, shuffled, exs2, period, today=LATER)
    assert again == base
    in_period = {
        (a.kind, a.on, " ".join((a.employer or "").split()).casefold())
        for a in acts
        if period.start <= a.on <= period.end
    }
    assert base.counted <= len(in_period)
    assert all(period.start <= a.on <= period.end for a in base.counted_activities)


@settings(max_examples=300, deadline=None)
@given(st.lists(exemptions, max_size=4), st.integers(-40, 120), st.integers(0, 40))
def test_property_exempt_days_equal_the_days_covered(
    exs: list[Exemption], first: int, length: int
) -> None:
    lo, hi = days(first), days(first + length)
    covered = {
        d
        for e in exs
        for d in (e.start + dt.timedelta(days=i) for i in range((e.end - e.start).days + 1))
        if lo <= d <= hi
    }
    assert exempt_days(exs, lo, hi) == len(covered)


@settings(max_examples=300, deadline=None)
@given(st.integers(-10, 400), st.none() | st.integers(0, 400))
def test_property_periods_due_are_the_closed_periods_in_order(
    today_n: int, end_n: int | None
) -> None:
    today = days(today_n)
    end = None if end_n is None else days(end_n)
    due = periods_due(START, today, end=end)
    assert [p.index for p in due] == list(range(len(due)))
    for p in due:
        assert p.end < today
        assert end is None or p.end <= end
        assert p == period_containing(START, p.start) == period_containing(START, p.end)
    following = period_at(START, len(due))
    assert following.end >= today or (end is not None and following.end > end)


@settings(max_examples=200, deadline=None)
@given(
    regimes,
    st.lists(activities, max_size=12),
    st.lists(exemptions, max_size=3),
    periods,
    st.integers(-10, 120),
)
def test_property_status_is_open_exactly_until_the_period_has_ended(
    regime: Regime, acts: list[Activity], exs: list[Exemption], period: Period, today_n: int
) -> None:
    today = days(today_n)
    r = evaluate(regime, acts, exs, period, today=today)
    if regime.kind is ObligationRegime.NONE:
        assert r.status is PeriodStatus.NO_OBLIGATION
    else:
        assert (r.status is PeriodStatus.OPEN) == (period.end >= today)
    assert r.missed == (r.status is PeriodStatus.NOT_COMPLIANT)
    if r.status is PeriodStatus.EXEMPT:
        assert r.exempt_days > 0
        assert r.required == 0
    if r.status is PeriodStatus.NOT_COMPLIANT:
        assert r.counted < r.required
