"""The periods of the starters scheme: research and start period lengths, the revival
window, the WW entitlement and the check of the WW facts against the claim. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starters.rules.dates import months_period_end, weeks_period_end
from starters.rules.parameters import ParameterSet
from starters.rules.plan import PlanError

# The parameters that decide a start period (record their versions with a grant decision).
START_PERIOD_PARAMETERS: tuple[str, ...] = (
    "start_period_in_months",
    "start_period_weeks",
    "start_period_months",
    "start_period_reduction_percent",
)

# The parameters that decide a revival (record their versions with a revival decision).
REVIVAL_PARAMETERS: tuple[str, ...] = (
    "revival_window_months",
    "revival_during_start_period_allowed",
)

# The shortest WW entitlement (the weeks condition alone: handbook 3, uwv.nl).
MIN_ENTITLEMENT_MONTHS = 3


# --- periods -------------------------------------------------------------------------


def research_period_latest_end(start: dt.date, params: ParameterSet) -> dt.date:
    """The last day a research period starting on `start` may run to (6 weeks, inclusive)."""
    return weeks_period_end(start, params.integer("research_period_max_weeks", start))


def start_period_length_versions(start: dt.date, params: ParameterSet) -> tuple[str, ...]:
    """The parameter versions that decide the length of a start period beginning on `start`."""
    unit = params.at("start_period_in_months", start)
    length = params.at("start_period_months" if unit.value else "start_period_weeks", start)
    return (unit.version, length.version)


def start_period_end(start: dt.date, entitlement_end: dt.date, params: ParameterSet) -> dt.date:
    """The last day (inclusive) of a start period beginning on `start`.

    `start_period_weeks` weeks (26), or `start_period_months` months when
    `start_period_in_months` is true, with the values valid on `start`; cut short by the
    last day of WW entitlement.
    """
    if start > entitlement_end:
        raise PlanError(f"the start period starts ({start}) after the WW entitlement ends")
    if params.flag("start_period_in_months", start):
        end = months_period_end(start, params.integer("start_period_months", start))
    else:
        end = weeks_period_end(start, params.integer("start_period_weeks", start))
    return min(end, entitlement_end)


# --- revival -------------------------------------------------------------------------


def revival_window_length(
    self_employment_start: dt.date, entitlement_months: int, params: ParameterSet
) -> int:
    """max(revival_window_months (18), entitlement_months): the window in months."""
    if entitlement_months < 0:
        raise ValueError("entitlement_months must not be negative")
    return max(params.integer("revival_window_months", self_employment_start), entitlement_months)


def revival_deadline(
    self_employment_start: dt.date, entitlement_months: int, params: ParameterSet
) -> dt.date:
    """The LAST day (inclusive) on which revival may be applied for.

    The window is `revival_window_months` (18) months, or `entitlement_months` if that is
    longer, counted from the day self-employment started (the first day of the start
    period) as a period of months (`dates.months_period_end`): it runs up to and
    including the day before the same day-of-month n months later, or to the last day
    of that month when it has no such day. Start 1 March 2026, 18 months: the last day is
    31 August 2027. Start 31 August 2026, 18 months: 29 February 2028. The parameter
    value valid on the start of self-employment applies.
    """
    n = revival_window_length(self_employment_start, entitlement_months, params)
    return months_period_end(self_employment_start, n)


def revival_allowed(
    on: dt.date, self_employment_start: dt.date, entitlement_months: int, params: ParameterSet
) -> bool:
    """True when a revival applied for on `on` is in the window (start .. deadline, inclusive)."""
    return (
        self_employment_start
        <= on
        <= revival_deadline(self_employment_start, entitlement_months, params)
    )


def entitlement_end(first_ww_day: dt.date, entitlement_months: int) -> dt.date:
    """The last WW day of an entitlement of n months from the first WW day.

    The one rule for it (ADR 0019): a period of n months from the first WW day
    (`dates.months_period_end`), i.e. the first WW day + n months - 1 day, or the last day
    of the month n months later when that month has no such day. 5 Jan 2026 + 12 months:
    4 Jan 2027; 31 Aug 2026 + 6 months: 28 Feb 2027.
    """
    return months_period_end(first_ww_day, entitlement_months)


@dataclass(frozen=True)
class FactViolation:
    """One WW fact that does not agree with the claim: the field, a stable code, why."""

    field: str
    code: str
    message: str


def check_ww_facts(
    *,
    first_ww_day: dt.date,
    entitlement_months: int,
    entitlement_end: dt.date | None,
    params: ParameterSet,
) -> tuple[FactViolation, ...]:
    """The WW facts' disagreements with the claim's first WW day (empty: they agree).

    `entitlement_months` must lie in 3 .. `entitlement_max_months` (the value valid on the
    first WW day); `entitlement_end`, when given, must be exactly
    `entitlement_end(first_ww_day, entitlement_months)`.
    """
    out: list[FactViolation] = []
    most = params.integer("entitlement_max_months", first_ww_day)
    if not MIN_ENTITLEMENT_MONTHS <= entitlement_months <= most:
        out.append(
            FactViolation(
                "entitlement_months",
                "entitlement_months_out_of_range",
                f"a WW entitlement from {first_ww_day.isoformat()} lasts "
                f"{MIN_ENTITLEMENT_MONTHS} to {most} months, not {entitlement_months}",
            )
        )
        return tuple(out)
    expected = months_period_end(first_ww_day, entitlement_months)
    if entitlement_end is not None and entitlement_end != expected:
        out.append(
            FactViolation(
                "entitlement_end",
                "entitlement_end_mismatch",
                f"{entitlement_months} months from the first WW day "
                f"{first_ww_day.isoformat()} end on {expected.isoformat()}, "
                f"not {entitlement_end.isoformat()}",
            )
        )
    return tuple(out)
