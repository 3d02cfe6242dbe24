"""Assignment and redistribution rules without I/O (issue 5, items 2 and 3).

Examples pin each rule; hypothesis properties check the guarantees of the issue (never
above a maximum, continuity and specialism whenever a coach qualifies, determinism, no
fit only without a qualifying coach) and that the indexed batch equals the reference
scan case by case; the balance test prints the maximum/mean relative load and the time
for 10,000 cases and 80 coaches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.assignment.rules import (
    DEFAULT_POLICY,
    AssignmentPolicy,
    BatchResult,
    CaseNeeds,
    CoachLoad,
    ContinuityNote,
    Decision,
    NoFitReason,
    Outcome,
    Rule,
    assign,
    assign_many,
    batch_order_key,
    digital_checkin,
    propose_redistribution,
    sector_specialism,
)
from coaching.coaches.schemas import Specialism
from shared.events.common import Segment
from shared.reference.working_days import WorkingDays

TODAY = dt.date(2026, 6, 1)
PERSONAL = Segment.PERSONAL


def cid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def coach(n: int, **overrides: object) -> CoachLoad:
    values: dict[str, object] = {
        "coach_id": cid(n),
        "office": "AMS",
        "specialisms": frozenset(),
        "contract_hours": 36.0,
        "active": True,
        "load": 0,
        "covering": 0,
    }
    values.update(overrides)
    return CoachLoad(**values)  # type: ignore[arg-type]


def case(n: int, **overrides: object) -> CaseNeeds:
    values: dict[str, object] = {"claim_id": cid(10_000 + n), "office": "AMS", "segment": PERSONAL}
    values.update(overrides)
    return CaseNeeds(**values)  # type: ignore[arg-type]


# Policy and value types ---------------------------------------------------------------------


def test_max_caseload_is_floor_of_hours_times_rate() -> None:
    policy = AssignmentPolicy(max_cases_per_contract_hour=4.0)
    assert policy.max_caseload(36) == 144
    assert policy.max_caseload(32.5) == 130
    assert policy.max_caseload(0) == 0
    # 100 * 0.29 is 28.999999999999996 in floating point: still 29 cases
    assert AssignmentPolicy(max_cases_per_contract_hour=0.29).max_caseload(100) == 29
    assert AssignmentPolicy(max_cases_per_contract_hour=2.5).max_caseload(15) == 37


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_cases_per_contract_hour": 0},
        {"digital_checkin_weeks": 0},
        {"specialism_priority": ("over_55", "sector", "starters")},
        {"specialism_priority": ("over_55", "under_27", "sector", "sector")},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        AssignmentPolicy(**kwargs)  # type: ignore[arg-type]


def test_needs_use_the_roster_specialism_codes() -> None:
    codes = {s.value for s in Specialism}
    needs = case(1, over_55=True, sector="care", starters=True).needs()
    assert needs == ("over_55", "sector_care", "starters")
    assert set(needs) <= codes
    assert set(case(2, under_27=True).needs()) <= codes
    assert sector_specialism(" Care ") == "sector_care"
    assert sector_specialism("sector_ict") == "sector_ict"
    assert sector_specialism("Health care") == "sector_health_care"
    assert sector_specialism("  ") is None
    assert sector_specialism(None) is None


def test_a_plain_string_segment_is_accepted() -> None:
    assert case(1, segment="digital").segment is Segment.DIGITAL
    with pytest.raises(ValueError, match="unknown"):
        case(1, segment="unknown")


def test_a_claimant_is_not_both_over_55_and_under_27() -> None:
    with pytest.raises(ValueError, match="both"):
        case(1, over_55=True, under_27=True)


# Digital service ----------------------------------------------------------------------------


def test_digital_case_gets_no_coach_and_a_checkin_at_week_13() -> None:
    first = dt.date(2026, 5, 18)
    d = assign(case(1, segment=Segment.DIGITAL, first_ww_day=first), [coach(1)], today=TODAY)
    assert d.outcome is Outcome.DIGITAL
    assert d.rule is Rule.DIGITAL
    assert d.coach_id is None
    assert d.checkin_on == first + dt.timedelta(weeks=13)


def test_digital_checkin_is_the_next_13_week_mark_after_today() -> None:
    first = dt.date(2026, 1, 12)
    week13 = first + dt.timedelta(weeks=13)  # Monday 13 April 2026
    week26 = first + dt.timedelta(weeks=26)
    assert digital_checkin(first, first - dt.timedelta(days=3)) == week13  # before WW starts
    assert digital_checkin(first, week13 - dt.timedelta(days=1)) == week13
    assert digital_checkin(first, week13) == week26  # strictly after today
    assert digital_checkin(first, week13 + dt.timedelta(days=5)) == week26
    assert digital_checkin(None, TODAY) == TODAY + dt.timedelta(weeks=13)
    policy = AssignmentPolicy(digital_checkin_weeks=8)
    assert digital_checkin(first, first, policy) == first + dt.timedelta(weeks=8)


@pytest.mark.parametrize(
    ("first_ww_day", "today", "expected"),
    [
        # Week 13 is Easter Monday 2026 (6 April): the Tuesday after.
        (dt.date(2026, 1, 5), dt.date(2026, 1, 5), dt.date(2026, 4, 7)),
        # Week 13 is King's Day 2027 (Tuesday 27 April): Wednesday.
        (dt.date(2027, 1, 26), dt.date(2027, 2, 1), dt.date(2027, 4, 28)),
        # 5 May counts every year (2026 is no lustrum year): Wednesday 6 May.
        (dt.date(2026, 2, 3), dt.date(2026, 2, 3), dt.date(2026, 5, 6)),
        # A first WW day on a Saturday: week 13 is a Saturday too, so the Monday after.
        (dt.date(2026, 6, 6), dt.date(2026, 6, 8), dt.date(2026, 9, 7)),
        # Christmas and Boxing Day 2025, then the weekend: Monday 29 December.
        (dt.date(2025, 9, 25), dt.date(2025, 9, 25), dt.date(2025, 12, 29)),
        # Without a first WW day: today + 13 weeks, moved likewise: Good Friday 2027, the
        # weekend and Easter Monday, so Tuesday 30 March.
        (None, dt.date(2026, 12, 25), dt.date(2027, 3, 30)),
    ],
)
def test_digital_checkin_falls_on_a_working_day(
    first_ww_day: dt.date | None, today: dt.date, expected: dt.date
) -> None:
    got = digital_checkin(first_ww_day, today)
    assert got == expected
    assert got > today
    assert WorkingDays().is_working_day(got)


@settings(max_examples=200, deadline=None)
@given(
    first=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
    offset=st.integers(-30, 400),
)
def test_digital_checkin_is_always_a_working_day_after_today(first: dt.date, offset: int) -> None:
    today = first + dt.timedelta(days=offset)
    got = digital_checkin(first, today)
    assert got > today
    assert WorkingDays().is_working_day(got)
    # Never more than a few days past the 13-week mark it replaces (a weekend plus Easter).
    mark = got - dt.timedelta(days=(got - first).days % 91)
    assert (got - mark).days <= 4


def test_digital_cases_in_a_batch_take_no_load() -> None:
    cases = [case(i, segment=Segment.DIGITAL) for i in range(5)]
    result = assign_many(cases, [coach(1)], today=TODAY)
    assert {d.outcome for d in result.decisions} == {Outcome.DIGITAL}
    assert result.loads == {cid(1): 0}


# Continuity ---------------------------------------------------------------------------------


def test_continuity_beats_specialism_and_load() -> None:
    intake = coach(1, load=100)
    specialist = coach(2, specialisms=frozenset({"over_55"}))
    d = assign(case(1, over_55=True, intake_coach_id=cid(1)), [specialist, intake], today=TODAY)
    assert d.coach_id == cid(1)
    assert d.rule is Rule.CONTINUITY
    assert d.continuity is None
    assert d.matched == ()


@pytest.mark.parametrize(
    ("intake", "note"),
    [
        (None, ContinuityNote.UNKNOWN),
        (coach(1, active=False), ContinuityNote.INACTIVE),
        (coach(1, office="RTM"), ContinuityNote.OTHER_OFFICE),
        (coach(1, contract_hours=2.0, load=10), ContinuityNote.AT_MAXIMUM),
        (coach(1, contract_hours=2.0, load=8, covering=2), ContinuityNote.AT_MAXIMUM),
    ],
)
def test_continuity_falls_through_when_the_intake_coach_does_not_qualify(
    intake: CoachLoad | None, note: ContinuityNote
) -> None:
    roster = [coach(2)] + ([intake] if intake else [])
    d = assign(case(1, intake_coach_id=cid(1)), roster, today=TODAY)
    assert d.coach_id == cid(2)
    assert d.rule is Rule.OFFICE_LOAD
    assert d.continuity is note


# Specialism ---------------------------------------------------------------------------------


def test_specialism_beats_load() -> None:
    busy_specialist = coach(1, specialisms=frozenset({"under_27"}), load=150)
    idle = coach(2)
    d = assign(case(1, under_27=True), [idle, busy_specialist], today=TODAY)
    assert (d.coach_id, d.rule, d.matched) == (cid(1), Rule.SPECIALISM, ("under_27",))


def test_specialisms_are_ranked_lexicographically_in_priority_order() -> None:
    age = coach(1, specialisms=frozenset({"over_55"}), load=50)
    sector_and_starters = coach(2, specialisms=frozenset({"sector_care", "starters"}))
    both = coach(3, specialisms=frozenset({"over_55", "starters"}), load=100)
    c = case(1, over_55=True, sector="care", starters=True)
    # the first-ranked need (over-55) beats holding both lower ones
    assert assign(c, [age, sector_and_starters], today=TODAY).coach_id == cid(1)
    # among over-55 coaches, holding starters too beats a lower load
    assert assign(c, [age, sector_and_starters, both], today=TODAY).coach_id == cid(3)
    # a different priority: starters first
    policy = AssignmentPolicy(specialism_priority=("starters", "sector", "over_55", "under_27"))
    d = assign(c, [age, sector_and_starters], policy, today=TODAY)
    assert d.coach_id == cid(2)
    assert d.matched == ("starters", "sector_care")


def test_specialisms_the_case_does_not_need_do_not_count() -> None:
    generalist = coach(1, load=10)
    other_specialist = coach(2, specialisms=frozenset({"starters", "sector_ict"}), load=20)
    d = assign(case(1, sector="care"), [other_specialist, generalist], today=TODAY)
    assert (d.coach_id, d.rule) == (cid(1), Rule.OFFICE_LOAD)


def test_a_full_specialist_is_passed_over() -> None:
    full = coach(1, specialisms=frozenset({"over_55"}), contract_hours=4.0, load=20)
    d = assign(case(1, over_55=True), [full, coach(2)], today=TODAY)
    assert (d.coach_id, d.rule) == (cid(2), Rule.OFFICE_LOAD)


# Load and tie-break -------------------------------------------------------------------------


def test_lowest_relative_load_after_taking_the_case() -> None:
    part_time = coach(1, contract_hours=16.0)
    full_time = coach(2, contract_hours=40.0)
    assert assign(case(1), [part_time, full_time], today=TODAY).coach_id == cid(2)
    # 16h with 4 cases: 5/16 = 0.3125; 40h with 12 cases: 13/40 = 0.325
    roster = [coach(1, contract_hours=16.0, load=4), coach(2, contract_hours=40.0, load=12)]
    assert assign(case(1), roster, today=TODAY).coach_id == cid(1)


def test_batch_uses_the_relative_load_after_taking_the_case_too() -> None:
    roster = [coach(1, contract_hours=16.0), coach(2, contract_hours=40.0)]
    result = assign_many([case(i) for i in range(7)], roster, today=TODAY)
    # by (load + 1) / hours: 40h, 40h, 16h, 40h, 40h, 16h (5/40 = 2/16: smaller id), 40h
    assert result.loads == {cid(1): 2, cid(2): 5}


def test_covered_cases_count_towards_the_load() -> None:
    covering = coach(1, contract_hours=20.0, load=10, covering=10)  # 21/20
    other = coach(2, contract_hours=20.0, load=15)  # 16/20
    assert assign(case(1), [covering, other], today=TODAY).coach_id == cid(2)


def test_ties_go_to_the_smallest_coach_id_whatever_the_roster_order() -> None:
    # after taking the case: 4/24 == 2/12 < 3/16
    roster = [
        coach(7, contract_hours=24.0, load=3),
        coach(3, contract_hours=16.0, load=2),
        coach(5, contract_hours=12.0, load=1),
    ]
    for order in (roster, roster[::-1], [roster[1], roster[2], roster[0]]):
        assert assign(case(1), order, today=TODAY).coach_id == cid(5)
    same = [coach(9), coach(4), coach(6)]
    assert assign(case(1), same, today=TODAY).coach_id == cid(4)


# Office and no fit --------------------------------------------------------------------------


def test_a_coach_of_another_office_is_never_chosen() -> None:
    elsewhere = coach(1, office="RTM", specialisms=frozenset({"over_55"}))
    d = assign(case(1, over_55=True), [elsewhere], today=TODAY)
    assert d.outcome is Outcome.UNASSIGNED
    assert d.rule is Rule.NO_FIT
    assert d.reason is NoFitReason.NO_ACTIVE_COACH
    assert d.coach_id is None


def test_no_fit_reasons() -> None:
    inactive = coach(1, active=False)
    assert assign(case(1), [inactive], today=TODAY).reason is NoFitReason.NO_ACTIVE_COACH
    assert assign(case(1), [], today=TODAY).reason is NoFitReason.NO_ACTIVE_COACH
    full = coach(2, contract_hours=1.0, load=5)
    d = assign(case(1, intake_coach_id=cid(2)), [inactive, full], today=TODAY)
    assert d.reason is NoFitReason.ALL_AT_MAXIMUM
    assert d.continuity is ContinuityNote.AT_MAXIMUM


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate coach"):
        assign(case(1), [coach(1), coach(1)], today=TODAY)
    with pytest.raises(ValueError, match="duplicate claim"):
        assign_many([case(1), case(1)], [coach(1)], today=TODAY)


# Batches ------------------------------------------------------------------------------------


def test_batch_keeps_input_order_and_raises_loads() -> None:
    roster = [coach(1, contract_hours=2.0), coach(2, contract_hours=2.0)]  # max 10 each
    cases = [case(i) for i in range(25)]
    result = assign_many(cases, roster, today=TODAY)
    assert [d.claim_id for d in result.decisions] == [c.claim_id for c in cases]
    assert result.loads == {cid(1): 10, cid(2): 10}
    assert len(result.unassigned) == 5
    assert {d.reason for d in result.unassigned} == {NoFitReason.ALL_AT_MAXIMUM}


def test_batch_serves_continuity_before_the_intake_coach_fills_up() -> None:
    roster = [coach(1, contract_hours=1.0)]  # room for 5
    others = [case(i) for i in range(5)]
    own = case(99, intake_coach_id=cid(1))
    result = assign_many([*others, own], roster, today=TODAY)
    assert result.decisions[-1].rule is Rule.CONTINUITY
    assert batch_order_key(own) < min(batch_order_key(c) for c in others)


def test_batch_places_the_most_constrained_cases_first() -> None:
    specialist = coach(1, specialisms=frozenset({"starters"}), contract_hours=1.0)  # room for 5
    generalist = coach(2, contract_hours=1.0)
    plain = [case(i) for i in range(5)]
    starters = [case(100 + i, starters=True) for i in range(5)]
    result = assign_many([*plain, *starters], [specialist, generalist], today=TODAY)
    by_claim = {d.claim_id: d for d in result.decisions}
    assert {by_claim[c.claim_id].coach_id for c in starters} == {cid(1)}
    assert {by_claim[c.claim_id].coach_id for c in plain} == {cid(2)}


# Redistribution -----------------------------------------------------------------------------


def test_redistribution_moves_only_the_leaving_coachs_cases() -> None:
    leaving = coach(1, load=4)
    a = coach(2, contract_hours=2.0, load=8, specialisms=frozenset({"over_55"}))  # max 10
    b = coach(3, contract_hours=2.0, load=9)
    elsewhere = coach(4, office="RTM")
    cases = [
        case(1, over_55=True),
        case(2, over_55=True, segment=Segment.DIGITAL),  # has a coach: keeps having one
        case(3, intake_coach_id=cid(3)),
        case(4),
    ]
    result = propose_redistribution(cases, [leaving, a, b, elsewhere], leaving_coach_id=cid(1))
    by_claim = {d.claim_id: d for d in result.decisions}
    assert by_claim[cases[0].claim_id].coach_id == cid(2)
    assert by_claim[cases[0].claim_id].rule is Rule.SPECIALISM
    assert by_claim[cases[1].claim_id].coach_id == cid(2)
    assert by_claim[cases[2].claim_id].rule is Rule.CONTINUITY
    assert by_claim[cases[3].claim_id].outcome is Outcome.UNASSIGNED
    assert by_claim[cases[3].claim_id].reason is NoFitReason.ALL_AT_MAXIMUM
    assert result.unassigned == (by_claim[cases[3].claim_id],)
    assert result.loads == {cid(2): 10, cid(3): 10, cid(4): 0}


def test_redistribution_when_the_intake_coach_is_the_one_leaving() -> None:
    result = propose_redistribution(
        [case(1, intake_coach_id=cid(1))], [coach(1), coach(2)], leaving_coach_id=cid(1)
    )
    (d,) = result.decisions
    assert (d.coach_id, d.continuity) == (cid(2), ContinuityNote.UNKNOWN)


# Properties ---------------------------------------------------------------------------------

OFFICES = ("AMS", "RTM")
KINDS = ("over_55", "under_27", "starters", "sector_care", "sector_ict")
SMALL = AssignmentPolicy(max_cases_per_contract_hour=0.5)  # small maxima: coaches fill up


@st.composite
def rosters(draw: st.DrawFn) -> list[CoachLoad]:
    n = draw(st.integers(0, 10))
    ids = draw(st.lists(st.integers(1, 60), min_size=n, max_size=n, unique=True))
    roster = []
    for i in ids:
        hours = draw(st.sampled_from([0.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0]))
        roster.append(
            coach(
                i,
                office=draw(st.sampled_from(OFFICES)),
                specialisms=frozenset(draw(st.sets(st.sampled_from(KINDS), max_size=3))),
                contract_hours=hours,
                active=draw(st.sampled_from([True, True, True, False])),
                load=draw(st.integers(0, SMALL.max_caseload(hours) + 1)),
                covering=draw(st.sampled_from([0, 0, 0, 1, 2])),
            )
        )
    return roster


@st.composite
def case_lists(draw: st.DrawFn, roster: Sequence[CoachLoad], max_size: int = 25) -> list[CaseNeeds]:
    n = draw(st.integers(0, max_size))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    intake_ids = [c.coach_id for c in roster] + [cid(999)]
    cases = []
    for i in ids:
        age = draw(st.sampled_from([None, "over_55", "under_27"]))
        cases.append(
            case(
                i,
                office=draw(st.sampled_from((*OFFICES, "UTR"))),
                segment=draw(st.sampled_from([PERSONAL, PERSONAL, PERSONAL, Segment.DIGITAL])),
                over_55=age == "over_55",
                under_27=age == "under_27",
                sector=draw(st.sampled_from([None, "care", "ict", "retail"])),
                starters=draw(st.booleans()),
                intake_coach_id=draw(st.none() | st.sampled_from(intake_ids)),
                first_ww_day=draw(st.none() | st.dates(dt.date(2025, 1, 1), dt.date(2026, 6, 1))),
            )
        )
    return cases


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[CoachLoad], list[CaseNeeds]]:
    roster = draw(rosters())
    return roster, draw(case_lists(roster))


@st.composite
def one_case(draw: st.DrawFn) -> tuple[list[CoachLoad], CaseNeeds]:
    roster = draw(rosters())
    cases = draw(case_lists(roster, max_size=1).filter(bool))
    return roster, dataclasses.replace(cases[0], segment=PERSONAL)


def qualifies(c: CoachLoad, office: str, policy: AssignmentPolicy = SMALL) -> bool:
    return (
        c.active and c.office == office and c.effective_load < policy.max_caseload(c.contract_hours)
    )


def mask(c: CoachLoad, needs: Sequence[str]) -> tuple[bool, ...]:
    return tuple(s in c.specialisms for s in needs)


def apply(roster: Sequence[CoachLoad], d: Decision) -> list[CoachLoad]:
    return [
        dataclasses.replace(c, load=c.load + 1) if c.coach_id == d.coach_id else c for c in roster
    ]


@settings(max_examples=200, deadline=None)
@given(one_case())
def test_property_single_case_rules(data: tuple[list[CoachLoad], CaseNeeds]) -> None:
    roster, c = data
    d = assign(c, roster, SMALL, today=TODAY)
    qualifying = [k for k in roster if qualifies(k, c.office)]
    needs = c.needs(SMALL)
    by_id = {k.coach_id: k for k in roster}
    # no fit exactly when no coach qualifies
    assert (d.outcome is Outcome.UNASSIGNED) == (not qualifying)
    if not qualifying:
        return
    chosen = by_id[d.coach_id] if d.coach_id else None
    assert chosen is not None
    # the chosen coach qualifies: same office, active, below the maximum
    assert qualifies(chosen, c.office)
    intake = by_id.get(c.intake_coach_id) if c.intake_coach_id else None
    if intake is not None and qualifies(intake, c.office):
        assert d.coach_id == intake.coach_id
        assert d.rule is Rule.CONTINUITY
        return
    # specialism: the best lexicographic match among qualifying coaches, and whenever some
    # qualifying coach holds the top-ranked need the chosen coach holds it
    best_mask = max(mask(k, needs) for k in qualifying)
    assert mask(chosen, needs) == best_mask
    if needs and any(needs[0] in k.specialisms for k in qualifying):
        assert needs[0] in chosen.specialisms
        assert d.rule is Rule.SPECIALISM
    # load: lowest (load + 1) / hours among the best matches, then the smallest id
    peers = [k for k in qualifying if mask(k, needs) == best_mask]
    ratio = (chosen.effective_load + 1) / chosen.contract_hours
    assert all((k.effective_load + 1) / k.contract_hours >= ratio for k in peers)
    assert chosen.coach_id == min(
        k.coach_id for k in peers if (k.effective_load + 1) / k.contract_hours == ratio
    )


@settings(max_examples=100, deadline=None)
@given(one_case(), st.randoms(use_true_random=False))
def test_property_single_case_independent_of_roster_order(
    data: tuple[list[CoachLoad], CaseNeeds], rnd: random.Random
) -> None:
    roster, c = data
    shuffled = list(roster)
    rnd.shuffle(shuffled)
    assert assign(c, roster, SMALL, today=TODAY) == assign(c, shuffled, SMALL, today=TODAY)


def sequential(cases: Sequence[CaseNeeds], roster: Sequence[CoachLoad]) -> BatchResult:
    """The oracle: the reference scan case by case in the batch order, loads raised."""
    current = list(roster)
    decisions: dict[uuid.UUID, Decision] = {}
    for c in sorted(cases, key=lambda c: batch_order_key(c, SMALL)):
        d = assign(c, current, SMALL, today=TODAY)
        decisions[c.claim_id] = d
        if d.outcome is Outcome.ASSIGNED:
            current = apply(current, d)
    return BatchResult(
        tuple(decisions[c.claim_id] for c in cases), {k.coach_id: k.load for k in current}
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_property_batch(data: tuple[list[CoachLoad], list[CaseNeeds]], rnd: random.Random) -> None:
    roster, cases = data
    result = assign_many(cases, roster, SMALL, today=TODAY)
    # the indexed batch equals the reference rules applied one case at a time
    assert result == sequential(cases, roster)
    # never above a maximum: a coach only gains cases while below it
    for k in roster:
        gained = result.loads[k.coach_id] - k.load
        if gained:
            assert k.effective_load + gained <= SMALL.max_caseload(k.contract_hours)
    # every assigned case stays in its office; digital cases get no coach
    by_id = {k.coach_id: k for k in roster}
    for c, d in zip(cases, result.decisions, strict=True):
        assert d.claim_id == c.claim_id
        if c.segment is Segment.DIGITAL:
            assert d.outcome is Outcome.DIGITAL
            assert d.checkin_on is not None
            assert d.checkin_on > TODAY
        elif d.coach_id is not None:
            assert by_id[d.coach_id].office == c.office
    # same input in another order: the same decisions and loads
    cases2, roster2 = list(cases), list(roster)
    rnd.shuffle(cases2)
    rnd.shuffle(roster2)
    again = assign_many(cases2, roster2, SMALL, today=TODAY)
    assert {d.claim_id: d for d in again.decisions} == {d.claim_id: d for d in result.decisions}
    assert again.loads == result.loads


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.data())
def test_property_redistribution(
    data: tuple[list[CoachLoad], list[CaseNeeds]], extra: st.DataObject
) -> None:
    roster, cases = data
    leaving = extra.draw(st.none() | st.sampled_from([k.coach_id for k in roster] or [cid(999)]))
    result = propose_redistribution(cases, roster, SMALL, leaving_coach_id=leaving)
    remaining = [k for k in roster if k.coach_id != leaving]
    personal = [dataclasses.replace(c, segment=PERSONAL) for c in cases]
    assert result == sequential(personal, remaining)
    assert all(d.coach_id != leaving or d.coach_id is None for d in result.decisions)
    assert all(d.outcome is not Outcome.DIGITAL for d in result.decisions)
    for k in remaining:
        gained = result.loads[k.coach_id] - k.load
        if gained:
            assert k.effective_load + gained <= SMALL.max_caseload(k.contract_hours)


# Balance and speed (acceptance) -------------------------------------------------------------

HOURS = (16.0, 20.0, 24.0, 28.0, 32.0, 36.0, 40.0)
BALANCE_OFFICES = ("AMS", "RTM", "UTR", "EHV", "GRO")
BALANCE_KINDS = ("over_55", "under_27", "starters", "sector_care", "sector_logistics", "sector_ict")


def balance_scenario(
    seed: int,
    continuity_share: float,
    specialist_demand: float = 0.6,
    n_cases: int = 10_000,
    n_coaches: int = 80,
) -> tuple[list[CoachLoad], list[CaseNeeds]]:
    """Coaches of 16-40 hours in five offices; 40% of them hold one specialism.

    Each office's cases are in proportion to its contract hours (staffing follows the
    inflow). A need is drawn with probability `specialist_demand` times the share of the
    office's hours held by coaches with that specialism: 0.6 means the specialists have
    headroom, 1.0 or more that they are too few. Other cases have a sector no coach
    specialises in, or none. A share of the cases has an intake coach of the office, drawn
    in proportion to contract hours (intake agendas follow hours).
    """
    rng = random.Random(seed)
    roster = [
        CoachLoad(
            coach_id=uuid.UUID(int=rng.getrandbits(128)),
            office=BALANCE_OFFICES[i % len(BALANCE_OFFICES)],
            specialisms=frozenset([rng.choice(BALANCE_KINDS)])
            if rng.random() < 0.4
            else frozenset(),
            contract_hours=rng.choice(HOURS),
        )
        for i in range(n_coaches)
    ]
    hours = {o: sum(k.contract_hours for k in roster if k.office == o) for o in BALANCE_OFFICES}
    total = sum(hours.values())
    counts = {o: int(n_cases * hours[o] / total) for o in BALANCE_OFFICES}
    for o in sorted(BALANCE_OFFICES, key=lambda o: -(n_cases * hours[o] / total) % 1)[
        : n_cases - sum(counts.values())
    ]:
        counts[o] += 1

    def share(o: str, kind: str) -> float:
        return (
            sum(k.contract_hours for k in roster if k.office == o and kind in k.specialisms)
            / hours[o]
        )

    cases = []
    for o in BALANCE_OFFICES:
        staff = [k for k in roster if k.office == o]
        for _ in range(counts[o]):
            r = rng.random()
            over_55 = r < specialist_demand * share(o, "over_55")
            under_27 = not over_55 and r > 1 - specialist_demand * share(o, "under_27")
            r, acc, sector = rng.random(), 0.0, None
            for s in ("care", "logistics", "ict"):
                acc += specialist_demand * share(o, "sector_" + s)
                if r < acc:
                    sector = s
                    break
            else:
                sector = rng.choice(["retail", "construction", None])
            intake = None
            if rng.random() < continuity_share:
                intake = rng.choices(staff, weights=[k.contract_hours for k in staff])[0].coach_id
            cases.append(
                CaseNeeds(
                    claim_id=uuid.UUID(int=rng.getrandbits(128)),
                    office=o,
                    segment=PERSONAL,
                    over_55=over_55,
                    under_27=under_27,
                    sector=sector,
                    starters=rng.random() < specialist_demand * share(o, "starters"),
                    intake_coach_id=intake,
                )
            )
    rng.shuffle(cases)
    return roster, cases


def ratios(roster: Sequence[CoachLoad], loads: dict[uuid.UUID, int]) -> tuple[float, float]:
    """Maximum/mean relative load (cases per contract hour): overall, worst office."""
    rel = {k.coach_id: loads[k.coach_id] / k.contract_hours for k in roster}
    overall = max(rel.values()) / (sum(rel.values()) / len(rel))
    per_office = []
    for o in {k.office for k in roster}:
        r = [rel[k.coach_id] for k in roster if k.office == o]
        per_office.append(max(r) / (sum(r) / len(r)))
    return overall, max(per_office)


# A maximum that does not bind (mean load is ~4.5 cases per hour): the ratio is the rules'.
ROOMY = AssignmentPolicy(max_cases_per_contract_hour=10.0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("continuity_share", [0.0, 0.4])
def test_balance_10000_cases_80_coaches(seed: int, continuity_share: float) -> None:
    """Acceptance: max/mean relative load <= 1.10 for 10,000 cases and 80 coaches."""
    roster, cases = balance_scenario(seed, continuity_share)
    started = time.perf_counter()
    result = assign_many(cases, roster, ROOMY, today=TODAY)
    elapsed = time.perf_counter() - started
    overall, office = ratios(roster, result.loads)
    rules = Counter(d.rule.value for d in result.decisions)
    print(
        f"\nbalance seed={seed} continuity={continuity_share:.0%}: max/mean relative load "
        f"{overall:.3f} (worst office {office:.3f}); {len(cases)} cases to {len(roster)} "
        f"coaches in {elapsed * 1000:.0f} ms ({len(cases) / elapsed:,.0f} cases/s); {dict(rules)}"
    )
    assert not result.unassigned
    assert sum(result.loads.values()) == len(cases)
    assert overall <= 1.10
    # The time is printed, not asserted: CI must not fail on machine noise (make bench
    # measures assignment throughput).
    # the default maximum (5 per contract hour) does not bind here: the same outcome
    assert assign_many(cases, roster, DEFAULT_POLICY, today=TODAY) == result


@pytest.mark.parametrize(
    ("continuity_share", "specialist_demand", "policy"),
    [
        (1.0, 0.6, ROOMY),
        (0.0, 1.5, ROOMY),
        (1.0, 0.6, DEFAULT_POLICY),
        (0.0, 1.5, DEFAULT_POLICY),
    ],
)
def test_balance_when_continuity_or_scarce_specialists_decide(
    continuity_share: float, specialist_demand: float, policy: AssignmentPolicy
) -> None:
    """Continuity and specialism beat load: then only the maximum caseload bounds balance.

    Printed for the record (intakes spread in proportion to hours, or 1.5 times more
    specialist demand than specialist hours); only the maximum is guaranteed.
    """
    roster, cases = balance_scenario(1, continuity_share, specialist_demand)
    result = assign_many(cases, roster, policy, today=TODAY)
    overall, office = ratios(roster, result.loads)
    cap = max(policy.max_caseload(k.contract_hours) / k.contract_hours for k in roster)
    mean = sum(result.loads[k.coach_id] / k.contract_hours for k in roster) / len(roster)
    print(
        f"\nbalance continuity={continuity_share:.0%} specialist demand={specialist_demand}x "
        f"max/hour={policy.max_cases_per_contract_hour}: max/mean relative load {overall:.3f} "
        f"(worst office {office:.3f}); the maximum allows {cap / mean:.3f}; "
        f"{len(result.unassigned)} unassigned"
    )
    assert all(result.loads[k.coach_id] <= policy.max_caseload(k.contract_hours) for k in roster)
    assert overall <= cap / mean + 1e-9
