"""The plan checked against the facts and resolved into the dates and values the
schedule needs (`Resolved`): the start period's end, the stop day, the switch from the
first months' percentage, the merged suspensions, the variant. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from starters.rules.dates import DAY, months_period_end
from starters.rules.parameters import ParameterSet
from starters.rules.periods import (
    research_period_latest_end,
    start_period_end,
    start_period_length_versions,
)
from starters.rules.plan import (
    ONE,
    ZERO,
    PlanError,
    StartersPlan,
    Variant,
    VariantNotEnabled,
    WwFacts,
)


@dataclass(frozen=True)
class Resolved:
    """A checked plan with the dates and values the schedule needs."""

    facts: WwFacts
    plan: StartersPlan
    sp_start: dt.date | None
    sp_end: dt.date | None
    sp_versions: tuple[str, ...]
    stop_day: dt.date | None
    switch_day: dt.date
    switch_version: str
    suspended: tuple[tuple[dt.date, dt.date], ...]
    share: Decimal
    variant_versions: tuple[str, ...]
    hours: Decimal


def _merge_ranges(
    ranges: Sequence[tuple[dt.date, dt.date]],
) -> tuple[tuple[dt.date, dt.date], ...]:
    out: list[tuple[dt.date, dt.date]] = []
    for a, b in sorted(ranges):
        if a > b:
            raise PlanError(f"suspension ends ({b}) before it starts ({a})")
        if out and a <= out[-1][1] + DAY:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def check_variant(plan: StartersPlan, anchor: dt.date, params: ParameterSet) -> tuple[str, ...]:
    """Check the plan's variant (enabled on `anchor`, a valid share); its parameter versions."""
    variant = Variant(plan.variant)
    if variant == Variant.STANDARD:
        if plan.gradual_business_share is not None:
            raise PlanError("gradual_business_share needs the gradual_start variant")
        return ()
    name = "group_start_enabled" if variant == Variant.GROUP_START else "gradual_start_enabled"
    pv = params.at(name, anchor)
    if pv.value is not True:
        raise VariantNotEnabled(
            f"the {variant} variant is NOT CURRENT LAW and is not enabled on {anchor} "
            f"(parameter {name})"
        )
    if variant == Variant.GRADUAL_START:
        s = plan.gradual_business_share
        if s is None or not (ZERO < s < ONE):
            raise PlanError("gradual_business_share must be strictly between 0 and 1")
    elif plan.gradual_business_share is not None:
        raise PlanError("gradual_business_share needs the gradual_start variant")
    return (pv.version,)


def resolve(facts: WwFacts, plan: StartersPlan, params: ParameterSet) -> Resolved:
    """Check the plan against the facts and resolve the dates and values of the schedule."""
    _check_facts(facts)
    _check_research(facts, plan, params)
    sp_start, sp_end, sp_versions = _start_period(facts, plan, params)
    stop_day = _stop_day(plan, sp_start)
    hours = _business_hours(plan)
    anchor = sp_start or plan.research_start or facts.first_ww_day
    variant_versions = check_variant(plan, anchor, params)
    share = (
        plan.gradual_business_share
        if plan.variant == Variant.GRADUAL_START and plan.gradual_business_share is not None
        else ONE
    )
    first_months = params.at("ww_first_months", facts.first_ww_day)
    n = first_months.as_int()
    switch_day = facts.first_ww_day if n == 0 else months_period_end(facts.first_ww_day, n) + DAY
    return Resolved(
        facts=facts,
        plan=plan,
        sp_start=sp_start,
        sp_end=sp_end,
        sp_versions=sp_versions,
        stop_day=stop_day,
        switch_day=switch_day,
        switch_version=first_months.version,
        suspended=_merge_ranges(plan.suspended),
        share=share,
        variant_versions=variant_versions,
        hours=hours,
    )


def _check_facts(facts: WwFacts) -> None:
    if facts.dagloon < 0:
        raise PlanError("dagloon must not be negative")
    if facts.entitlement_end < facts.first_ww_day:
        raise PlanError("entitlement_end is before first_ww_day")
    if facts.usual_hours_per_day <= 0:
        raise PlanError("usual_hours_per_day must be positive")


def _check_research(facts: WwFacts, plan: StartersPlan, params: ParameterSet) -> None:
    rs, re_ = plan.research_start, plan.research_end
    if (rs is None) != (re_ is None):
        raise PlanError("research_start and research_end go together")
    if rs is None or re_ is None:
        return
    if rs < facts.first_ww_day:
        raise PlanError("the research period starts before the first WW day")
    if re_ < rs:
        raise PlanError("research_end is before research_start")
    if re_ > research_period_latest_end(rs, params):
        weeks = params.integer("research_period_max_weeks", rs)
        raise PlanError(f"the research period may last at most {weeks} weeks")
    if re_ > facts.entitlement_end:
        raise PlanError("the research period ends after the WW entitlement")


def _start_period(
    facts: WwFacts, plan: StartersPlan, params: ParameterSet
) -> tuple[dt.date | None, dt.date | None, tuple[str, ...]]:
    """The start period's first and last day, and the versions that decided a computed end."""
    sp_start = plan.start_period_start
    sp_end = plan.start_period_end
    sp_versions: tuple[str, ...] = ()
    if sp_start is None:
        if sp_end is not None or plan.outcome is not None:
            raise PlanError("start_period_end and outcome need start_period_start")
        return None, None, ()
    if sp_start < facts.first_ww_day:
        raise PlanError("the business must start on or after the first WW day")
    if plan.research_end is not None and sp_start <= plan.research_end:
        raise PlanError("the start period must begin after the research period")
    if sp_end is None:
        sp_end = start_period_end(sp_start, facts.entitlement_end, params)
        sp_versions = start_period_length_versions(sp_start, params)
    elif sp_end < sp_start:
        raise PlanError("start_period_end is before start_period_start")
    if sp_end > facts.entitlement_end:
        # Never beyond the entitlement (R7): a stored end must have been cut short too.
        raise PlanError(
            f"the start period ends ({sp_end}) after the WW entitlement ({facts.entitlement_end})"
        )
    return sp_start, sp_end, sp_versions


def _stop_day(plan: StartersPlan, sp_start: dt.date | None) -> dt.date | None:
    """The first day without the business when the outcome is `stopped` (else None)."""
    if plan.outcome is None:
        return None
    if plan.outcome not in ("continued", "stopped"):
        raise PlanError(f"unknown outcome {plan.outcome!r}")
    if plan.outcome_on is None and plan.outcome == "stopped":
        raise PlanError("a stopped outcome needs outcome_on (the first day without it)")
    if sp_start is not None and plan.outcome_on is not None and plan.outcome_on < sp_start:
        raise PlanError("outcome_on is before the start period")
    return plan.outcome_on if plan.outcome == "stopped" else None


def _business_hours(plan: StartersPlan) -> Decimal:
    hours = plan.business_hours_per_month if plan.business_hours_per_month is not None else ZERO
    if hours < 0:
        raise PlanError("business_hours_per_month must not be negative")
    return hours
