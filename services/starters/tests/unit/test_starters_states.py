"""The starters state machine (issue 6, item 2): exhaustive over (state, action), and guards."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from starters.rules import (
    DEFAULT_PARAMETERS,
    JOB_SEARCH_EXEMPT_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    GuardContext,
    GuardRefused,
    InvalidTransition,
    ParameterSet,
    ParameterValue,
    State,
    allowed_actions,
    apply,
    check_guard,
    decide,
    is_terminal,
)

D = dt.date
S, A = State, Action

# Written out by hand: the expected effect of every allowed (state, action) pair.
EXPECTED: dict[tuple[State, Action], State] = {
    (S.APPLIED, A.START_RESEARCH): S.RESEARCH_PERIOD,
    (S.APPLIED, A.GRANT_START_PERIOD): S.START_PERIOD,
    (S.APPLIED, A.REFUSE): S.REFUSED,
    (S.APPLIED, A.WITHDRAW): S.WITHDRAWN,
    (S.RESEARCH_PERIOD, A.GRANT_START_PERIOD): S.START_PERIOD,
    (S.RESEARCH_PERIOD, A.REFUSE): S.REFUSED,
    (S.RESEARCH_PERIOD, A.WITHDRAW): S.WITHDRAWN,
    (S.START_PERIOD, A.CONTINUE_BUSINESS): S.CONTINUED,
    (S.START_PERIOD, A.STOP_BUSINESS): S.STOPPED,
    (S.START_PERIOD, A.REVIVE): S.REVIVED,
    (S.CONTINUED, A.STOP_BUSINESS): S.STOPPED,
    (S.STOPPED, A.REVIVE): S.REVIVED,
}

EXPECTED_ALLOWED: dict[State, tuple[Action, ...]] = {
    S.APPLIED: (A.START_RESEARCH, A.GRANT_START_PERIOD, A.REFUSE, A.WITHDRAW),
    S.RESEARCH_PERIOD: (A.GRANT_START_PERIOD, A.REFUSE, A.WITHDRAW),
    S.START_PERIOD: (A.CONTINUE_BUSINESS, A.STOP_BUSINESS, A.REVIVE),
    S.CONTINUED: (A.STOP_BUSINESS,),
    S.STOPPED: (A.REVIVE,),
    S.REFUSED: (),
    S.WITHDRAWN: (),
    S.REVIVED: (),
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(State, Action)))
def test_every_state_action_pair(state: State, action: Action) -> None:
    if (state, action) in EXPECTED:
        assert apply(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(InvalidTransition) as info:
            apply(state, action)
        assert info.value.state == state
        assert info.value.action == action
        assert info.value.allowed == EXPECTED_ALLOWED[state]
        for allowed in info.value.allowed:
            assert allowed.value in str(info.value)


def test_the_table_is_exactly_the_expected_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED
    assert len(list(itertools.product(State, Action))) == 8 * 7


@pytest.mark.parametrize("state", list(State))
def test_allowed_actions_are_stable_and_match(state: State) -> None:
    assert allowed_actions(state) == EXPECTED_ALLOWED[state]
    assert allowed_actions(state) == allowed_actions(state)


def test_terminal_states_have_no_actions_and_others_do() -> None:
    assert {S.REFUSED, S.WITHDRAWN, S.REVIVED} == TERMINAL_STATES
    for state in State:
        assert is_terminal(state) == (not EXPECTED_ALLOWED[state])
    assert {S.RESEARCH_PERIOD, S.START_PERIOD} == JOB_SEARCH_EXEMPT_STATES


def test_invalid_transition_message_for_a_terminal_state() -> None:
    with pytest.raises(InvalidTransition, match=r"cannot revive in state refused; allowed: none"):
        apply(S.REFUSED, A.REVIVE)


def test_the_issue_flow_end_to_end() -> None:
    state = S.APPLIED
    for action in (A.START_RESEARCH, A.GRANT_START_PERIOD, A.STOP_BUSINESS, A.REVIVE):
        state = apply(state, action)
    assert state == S.REVIVED


# --- guards --------------------------------------------------------------------------

P = DEFAULT_PARAMETERS
FIRST, LAST = D(2026, 3, 2), D(2027, 3, 1)


def ctx(on: dt.date, **changes: object) -> GuardContext:
    """A guard context with the WW facts of these tests (first WW day 2 Mar 2026)."""
    base = GuardContext(on=on, first_ww_day=FIRST, entitlement_end=LAST)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def codes(
    state: State, action: Action, context: GuardContext, params: ParameterSet = P
) -> list[str]:
    return [v.code for v in check_guard(state, action, context, params)]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (ctx(D(2026, 3, 5), research_start=D(2026, 3, 9), research_end=D(2026, 4, 19)), []),
        (ctx(D(2026, 3, 5), research_start=D(2026, 3, 9), research_end=D(2026, 4, 20)), ["research_period_too_long"]),
        (ctx(D(2026, 3, 5), research_start=D(2026, 3, 1), research_end=D(2026, 3, 20)), ["before_first_ww_day"]),
        (ctx(D(2026, 3, 5), research_start=D(2026, 3, 9), research_end=D(2026, 3, 8), first_ww_day=None), ["research_end_before_start"]),
        (GuardContext(on=D(2026, 3, 5)), ["missing_research_start", "missing_research_end"]),
    ],
)  # fmt: skip
def test_start_research_guard(context: GuardContext, expected: list[str]) -> None:
    assert codes(S.APPLIED, A.START_RESEARCH, context) == expected


GRANT_OK = ctx(D(2026, 4, 15), start_period_start=D(2026, 4, 20), training_completed=True)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"training_completed": False}, ["training_missing"]),
        ({"on": D(2026, 4, 21)}, ["not_in_advance"]),
        ({"on": D(2026, 4, 20)}, []),
        ({"start_period_start": D(2026, 2, 27), "on": D(2026, 2, 1)}, ["before_first_ww_day"]),
        ({"start_period_start": D(2027, 3, 2)}, ["after_entitlement_end"]),
        ({"research_end": D(2026, 4, 20)}, ["overlaps_research_period"]),
        ({"research_end": D(2026, 4, 19)}, []),
        ({"start_period_start": None}, ["missing_start_period_start"]),
    ],
)
def test_grant_guard(changes: dict[str, object], expected: list[str]) -> None:
    context = dataclasses.replace(GRANT_OK, **changes)  # type: ignore[arg-type]
    assert codes(S.APPLIED, A.GRANT_START_PERIOD, context) == expected
    assert codes(S.RESEARCH_PERIOD, A.GRANT_START_PERIOD, context) == expected


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [((), ["reasons_required"]), (("  ",), ["reasons_required"]), (("no viable plan",), [])],
)
def test_refuse_needs_reasons(reasons: tuple[str, ...], expected: list[str]) -> None:
    context = GuardContext(on=D(2026, 4, 1), reasons=reasons)
    assert codes(S.APPLIED, A.REFUSE, context) == expected
    assert codes(S.RESEARCH_PERIOD, A.REFUSE, context) == expected


@pytest.mark.parametrize(
    ("on", "expected"),
    [(D(2026, 10, 17), ["start_period_running"]), (D(2026, 10, 18), []), (D(2026, 11, 1), [])],
)
def test_continue_only_from_the_last_day_of_the_start_period(
    on: dt.date, expected: list[str]
) -> None:
    context = GuardContext(on=on, start_period_end=D(2026, 10, 18))
    assert codes(S.START_PERIOD, A.CONTINUE_BUSINESS, context) == expected
    assert codes(S.START_PERIOD, A.CONTINUE_BUSINESS, GuardContext(on=on)) == [
        "missing_start_period_end"
    ]


def test_stop_and_withdraw_have_no_guard() -> None:
    context = GuardContext(on=D(2026, 5, 1))
    assert codes(S.START_PERIOD, A.STOP_BUSINESS, context) == []
    assert codes(S.CONTINUED, A.STOP_BUSINESS, context) == []
    assert codes(S.APPLIED, A.WITHDRAW, context) == []


def revive(on: dt.date) -> GuardContext:
    """Self-employment from 20 Apr 2026, 12 months of entitlement."""
    return GuardContext(on=on, self_employment_start=D(2026, 4, 20), entitlement_months=12)


@pytest.mark.parametrize(
    ("state", "on", "expected"),
    [
        (S.STOPPED, D(2027, 10, 19), []),  # the last day of 18 months from 20 April 2026
        (S.STOPPED, D(2027, 10, 20), ["revival_window_closed"]),
        (S.START_PERIOD, D(2026, 6, 1), ["revival_during_start_period_not_allowed"]),
    ],
)
def test_revive_guard(state: State, on: dt.date, expected: list[str]) -> None:
    assert codes(state, A.REVIVE, revive(on)) == expected


def test_revival_during_the_start_period_when_the_parameter_allows_it() -> None:
    allowed = P.with_values(
        [ParameterValue("revival_during_start_period_allowed", True, D(2026, 5, 1), "what-if")]
    )
    context = revive(D(2026, 6, 1))
    assert codes(S.START_PERIOD, A.REVIVE, context, allowed) == []
    assert decide(S.START_PERIOD, A.REVIVE, context, allowed) == S.REVIVED
    # the value in force on the day of the revival counts
    early = revive(D(2026, 4, 30))
    assert codes(S.START_PERIOD, A.REVIVE, early, allowed) == [
        "revival_during_start_period_not_allowed"
    ]


def test_revive_needs_its_facts() -> None:
    assert codes(S.STOPPED, A.REVIVE, GuardContext(on=D(2026, 6, 1))) == [
        "missing_self_employment_start",
        "missing_entitlement_months",
    ]


def test_decide_applies_guard_and_structure() -> None:
    assert decide(S.APPLIED, A.GRANT_START_PERIOD, GRANT_OK, P) == S.START_PERIOD
    with pytest.raises(GuardRefused, match="no proof of the online training") as info:
        decide(S.APPLIED, A.GRANT_START_PERIOD, GuardContext(on=D(2026, 4, 1)), P)
    assert [v.code for v in info.value.violations] == [
        "training_missing",
        "missing_start_period_start",
    ]
    with pytest.raises(InvalidTransition):
        decide(S.REFUSED, A.GRANT_START_PERIOD, GRANT_OK, P)
    with pytest.raises(InvalidTransition):
        check_guard(S.CONTINUED, A.REVIVE, GuardContext(on=D(2026, 4, 1)), P)
