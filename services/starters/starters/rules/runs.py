"""The WW days of a resolved plan cut into runs: consecutive days with the same phase,
suspension and parameter values (`runs`). Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from starters.rules.dates import DAY
from starters.rules.parameters import ParameterSet
from starters.rules.plan import ONE, ZERO, Phase
from starters.rules.resolve import Resolved


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive WW days (`start` .. `end`, inclusive) under the same rules and values."""

    start: dt.date
    end: dt.date
    phase: Phase
    suspended: bool
    capped: Decimal
    percentage: Decimal
    days_per_month: Decimal
    reduction_percent: Decimal
    deduction_percent: Decimal
    fictitious_base: Decimal
    obligation_share: Decimal
    versions: tuple[str, ...]

    def same_rules(self, other: Run) -> bool:
        return dataclasses.replace(self, start=other.start, end=other.end) == other


def _phase(r: Resolved, d: dt.date) -> Phase:
    plan = r.plan
    if r.stop_day is not None and d >= r.stop_day:
        return Phase.STOPPED
    if r.sp_start is not None and r.sp_end is not None and d >= r.sp_start:
        if d <= r.sp_end:
            return Phase.START
        return Phase.UNDECIDED if plan.outcome is None else Phase.CONTINUED
    if plan.research_start is not None and plan.research_end is not None:
        if plan.research_start <= d <= plan.research_end:
            return Phase.RESEARCH
    return Phase.NORMAL


def _suspended(r: Resolved, d: dt.date) -> bool:
    return any(a <= d <= b for a, b in r.suspended)


def _run_at(r: Resolved, d: dt.date, end: dt.date, params: ParameterSet) -> Run:
    """The run from `d` to `end`: the phase and parameter values on `d` hold throughout."""
    facts = r.facts
    phase = _phase(r, d)
    dpm = params.at("days_per_month", d)
    cap = params.at("max_dagloon", d)
    pct = params.at("ww_percent_first_months" if d < r.switch_day else "ww_percent_after", d)
    versions = [dpm.version, cap.version, pct.version, r.switch_version]
    days_per_month = dpm.as_decimal()
    capped = min(facts.dagloon, cap.as_decimal())
    reduction = deduction = base = ZERO
    obligation = ONE
    if phase in (Phase.RESEARCH, Phase.START):
        obligation = ONE - r.share if r.share != ONE else ZERO
        versions.extend(r.variant_versions)
        if phase == Phase.RESEARCH and r.plan.research_start is not None:
            versions.append(params.at("research_period_max_weeks", r.plan.research_start).version)
    if phase == Phase.START:
        red = params.at("start_period_reduction_percent", d)
        reduction = red.as_decimal()
        versions.append(red.version)
        versions.extend(r.sp_versions)
    elif phase in (Phase.CONTINUED, Phase.UNDECIDED):
        ded = params.at("after_start_deduction_percent", d)
        use_capped = params.at("fictitious_income_uses_capped_dagloon", d)
        deduction = ded.as_decimal()
        base = capped if use_capped.as_bool() else facts.dagloon
        versions.extend((ded.version, use_capped.version))
        full_time = facts.usual_hours_per_day * days_per_month
        obligation = max(ZERO, ONE - r.hours / full_time).quantize(Decimal("0.0001"))
    return Run(
        start=d,
        end=end,
        phase=phase,
        suspended=_suspended(r, d),
        capped=capped,
        percentage=pct.as_decimal(),
        days_per_month=days_per_month,
        reduction_percent=reduction,
        deduction_percent=deduction,
        fictitious_base=base,
        obligation_share=obligation,
        versions=tuple(sorted(set(versions))),
    )


def runs_of(r: Resolved, params: ParameterSet) -> list[Run]:
    """The WW days cut into runs with the same rules, from first_ww_day to entitlement_end."""
    first, last = r.facts.first_ww_day, r.facts.entitlement_end
    cuts = {first, last + DAY, r.switch_day}
    plan = r.plan
    if plan.research_start is not None and plan.research_end is not None:
        cuts.update((plan.research_start, plan.research_end + DAY))
    if r.sp_start is not None and r.sp_end is not None:
        cuts.update((r.sp_start, r.sp_end + DAY))
    if r.stop_day is not None:
        cuts.add(r.stop_day)
    for a, b in r.suspended:
        cuts.update((a, b + DAY))
    cuts.update(params.change_dates())
    points = sorted(c for c in cuts if first <= c <= last + DAY)
    runs: list[Run] = []
    for a, b in itertools.pairwise(points):
        run = _run_at(r, a, b - DAY, params)
        if runs and runs[-1].same_rules(run):
            runs[-1] = dataclasses.replace(runs[-1], end=run.end)
        else:
            runs.append(run)
    return runs
