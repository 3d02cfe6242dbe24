"""The state machine of a starters-scheme file (issue 6, item 2). Pure: no database.

```
applied --start_research--> research_period --grant_start_period--> start_period
applied --grant_start_period--> start_period      (the research period is optional)
applied | research_period --refuse--> refused     (with reasons)
applied | research_period --withdraw--> withdrawn (the claimant gives up before a start)
start_period --continue_business--> continued     (on or after the last day of the start period)
start_period | continued --stop_business--> stopped
stopped --revive--> revived                       (within the revival window)
start_period --revive--> revived                  (only if revival_during_start_period_allowed)
```

`refused`, `withdrawn` and `revived` are terminal: a new attempt is a new application.
`continued` and `stopped` are not: a continued business can still stop, and a stopped
one can be revived until the window closes (after that nothing more happens to the file,
but the state stays `stopped` because the window is a date rule, not a transition).

`apply(state, action)` checks the structure only. `check_guard(state, action, context,
params)` checks the rules that need dates and facts (the guards) and returns the
violations; `decide(...)` does both and raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from starters.rules.dates import weeks_period_end
from starters.rules.parameters import ParameterSet
from starters.rules.periods import revival_allowed, revival_deadline


class State(StrEnum):
    """Where a starters file is."""

    APPLIED = "applied"
    RESEARCH_PERIOD = "research_period"
    START_PERIOD = "start_period"
    REFUSED = "refused"
    CONTINUED = "continued"
    STOPPED = "stopped"
    REVIVED = "revived"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    """What a benefits officer or the claimant does to a starters file."""

    START_RESEARCH = "start_research"
    GRANT_START_PERIOD = "grant_start_period"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"
    CONTINUE_BUSINESS = "continue_business"
    STOP_BUSINESS = "stop_business"
    REVIVE = "revive"


S, A = State, Action

TRANSITIONS: Mapping[tuple[State, Action], State] = MappingProxyType(
    {
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
)

TERMINAL_STATES: frozenset[State] = frozenset({S.REFUSED, S.WITHDRAWN, S.REVIVED})

# No job-search obligation while these run (handbook 3): coaching gets an exemption.
JOB_SEARCH_EXEMPT_STATES: frozenset[State] = frozenset({S.RESEARCH_PERIOD, S.START_PERIOD})

# The scheme has ended with an outcome (starters.scheme_ended).
OUTCOME_STATES: frozenset[State] = frozenset({S.CONTINUED, S.STOPPED})

_ACTION_ORDER = {a: i for i, a in enumerate(Action)}


class InvalidTransition(Exception):
    """The action is not possible in the state; `allowed` names the ones that are."""

    def __init__(self, state: State, action: Action, allowed: tuple[Action, ...]) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed
        names = ", ".join(str(a) for a in allowed) or "none (terminal state)"
        super().__init__(f"cannot {action!s} in state {state!s}; allowed: {names}")


@dataclass(frozen=True)
class GuardViolation:
    """One reason why a structurally valid transition is refused."""

    code: str
    message: str


class GuardRefused(Exception):
    """The transition exists, but its guard refuses it; `violations` says why."""

    def __init__(
        self, state: State, action: Action, violations: tuple[GuardViolation, ...]
    ) -> None:
        self.state = state
        self.action = action
        self.violations = violations
        super().__init__(
            f"cannot {action.value} in state {state.value}: "
            + "; ".join(v.message for v in violations)
        )


def allowed_actions(state: State) -> tuple[Action, ...]:
    """The actions possible in `state`, in the declaration order of `Action` (stable)."""
    return tuple(sorted((a for (s, a) in TRANSITIONS if s == state), key=_ACTION_ORDER.__getitem__))


def is_terminal(state: State) -> bool:
    """True when nothing more can happen to the file."""
    return state in TERMINAL_STATES


def apply(state: State, action: Action) -> State:
    """The state after `action`; `InvalidTransition` when the pair is not in TRANSITIONS."""
    try:
        return TRANSITIONS[(State(state), Action(action))]
    except (KeyError, ValueError):
        raise InvalidTransition(state, action, allowed_actions(state)) from None


@dataclass(frozen=True)
class GuardContext:
    """The facts a guard looks at. Only the fields the action needs must be set.

    - `on`: the day of the decision (or of the claimant's action).
    - start_research: `research_start`, `research_end` (inclusive); `first_ww_day` and
      `entitlement_end` if known.
    - grant_start_period: `start_period_start`, `training_completed`, `first_ww_day`,
      `entitlement_end`; `start_period_end` once computed; `research_end` when there was
      a research period.
    - refuse: `reasons` (at least one).
    - continue_business: `start_period_end` (inclusive, as computed by
      `schedule.start_period_end`).
    - revive: `self_employment_start` (the first day of the start period),
      `entitlement_months`.
    """

    on: dt.date
    first_ww_day: dt.date | None = None
    entitlement_end: dt.date | None = None
    research_start: dt.date | None = None
    research_end: dt.date | None = None
    start_period_start: dt.date | None = None
    start_period_end: dt.date | None = None
    training_completed: bool = False
    reasons: tuple[str, ...] = ()
    self_employment_start: dt.date | None = None
    entitlement_months: int | None = None


def _missing(field: str) -> GuardViolation:
    return GuardViolation(f"missing_{field}", f"{field} is required")


def _guard_start_research(c: GuardContext, params: ParameterSet) -> list[GuardViolation]:
    if c.research_start is None or c.research_end is None:
        return [_missing(f) for f in ("research_start", "research_end") if getattr(c, f) is None]
    out: list[GuardViolation] = []
    if c.first_ww_day is not None and c.research_start < c.first_ww_day:
        out.append(
            GuardViolation("before_first_ww_day", "the research period starts before WW starts")
        )
    if c.research_end < c.research_start:
        out.append(GuardViolation("research_end_before_start", "research_end is before start"))
    else:
        weeks = params.integer("research_period_max_weeks", c.research_start)
        if c.research_end > weeks_period_end(c.research_start, weeks):
            out.append(
                GuardViolation(
                    "research_period_too_long",
                    f"the research period may last at most {weeks} weeks "
                    f"(up to and including {weeks_period_end(c.research_start, weeks)})",
                )
            )
        if c.entitlement_end is not None and c.research_end > c.entitlement_end:
            out.append(
                GuardViolation(
                    "research_period_after_entitlement_end",
                    f"the research period must end by the end of the WW entitlement "
                    f"({c.entitlement_end})",
                )
            )
    return out


def _guard_grant(c: GuardContext) -> list[GuardViolation]:
    out: list[GuardViolation] = []
    if not c.training_completed:
        out.append(
            GuardViolation(
                "training_missing",
                "no proof of the online training 'Zelfstandig ondernemen met een WW-uitkering'",
            )
        )
    if c.start_period_start is None:
        out.append(_missing("start_period_start"))
        return out
    start = c.start_period_start
    if c.on > start:
        out.append(
            GuardViolation("not_in_advance", "permission must be given before the business starts")
        )
    if c.first_ww_day is not None and start < c.first_ww_day:
        out.append(
            GuardViolation(
                "before_first_ww_day", "the business must start on/after the first WW day"
            )
        )
    if c.entitlement_end is not None and start > c.entitlement_end:
        out.append(
            GuardViolation("after_entitlement_end", "the WW entitlement ends before the start")
        )
    elif (
        c.entitlement_end is not None
        and c.start_period_end is not None
        and c.start_period_end > c.entitlement_end
    ):
        out.append(
            GuardViolation(
                "start_period_beyond_entitlement_end",
                f"the start period must end by the end of the WW entitlement ({c.entitlement_end})",
            )
        )
    if c.research_end is not None and start <= c.research_end:
        out.append(
            GuardViolation(
                "overlaps_research_period",
                "the start period must begin after the research period ends",
            )
        )
    return out


def _guard_revive(state: State, c: GuardContext, params: ParameterSet) -> list[GuardViolation]:
    out: list[GuardViolation] = []
    if state == S.START_PERIOD and not params.flag("revival_during_start_period_allowed", c.on):
        out.append(
            GuardViolation(
                "revival_during_start_period_not_allowed",
                "revival during the start period is not allowed "
                "(parameter revival_during_start_period_allowed)",
            )
        )
    if c.self_employment_start is None or c.entitlement_months is None:
        out.extend(
            _missing(f)
            for f in ("self_employment_start", "entitlement_months")
            if getattr(c, f) is None
        )
        return out
    if not revival_allowed(c.on, c.self_employment_start, c.entitlement_months, params):
        last = revival_deadline(c.self_employment_start, c.entitlement_months, params)
        out.append(
            GuardViolation(
                "revival_window_closed",
                f"revival is possible from {c.self_employment_start} up to and including {last}",
            )
        )
    return out


def check_guard(
    state: State, action: Action, context: GuardContext, params: ParameterSet
) -> tuple[GuardViolation, ...]:
    """The guard violations of a transition (empty: allowed); InvalidTransition if none exists."""
    apply(state, action)
    out: list[GuardViolation] = []
    if action == A.START_RESEARCH:
        out = _guard_start_research(context, params)
    elif action == A.GRANT_START_PERIOD:
        out = _guard_grant(context)
    elif action == A.REFUSE:
        if not [r for r in context.reasons if r.strip()]:
            out = [GuardViolation("reasons_required", "a refusal needs at least one reason")]
    elif action == A.CONTINUE_BUSINESS:
        if context.start_period_end is None:
            out = [_missing("start_period_end")]
        elif context.on < context.start_period_end:
            out = [
                GuardViolation(
                    "start_period_running",
                    f"the outcome 'continued' can be recorded from {context.start_period_end}",
                )
            ]
    elif action == A.REVIVE:
        out = _guard_revive(State(state), context, params)
    return tuple(out)


def decide(state: State, action: Action, context: GuardContext, params: ParameterSet) -> State:
    """`apply` plus `check_guard`: the new state, or InvalidTransition / GuardRefused."""
    new_state = apply(state, action)
    violations = check_guard(state, action, context, params)
    if violations:
        raise GuardRefused(State(state), Action(action), violations)
    return new_state
