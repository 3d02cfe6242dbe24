"""The monthly benefit schedule of the starters scheme (issue 6, item 3). Pure: no I/O.

The full rules, formulas, rounding points and worked examples are in
docs/starters-rules.md; in short:

**Days and phases.** WW runs from `WwFacts.first_ww_day` up to and including
`WwFacts.entitlement_end`. Each of those days has one phase:

- `normal`: WW without the scheme (before the research period, between the research and
  the start period, or after a research period that led to nothing);
- `research_period`: `research_start` .. `research_end` (inclusive): normal WW;
- `start_period`: `start_period_start` .. `start_period_end` (inclusive; 26 weeks or the
  parameterised months, cut short by the end of entitlement, and by a stop): WW reduced
  by `start_period_reduction_percent` (29%), business income not deducted;
- `continued`: after the start period when the business goes on: 70% of the fictitious
  income is deducted; `after_start_undecided` is the same computation while the outcome
  is not yet known (`outcome is None`), so a simulation shows the likely amounts;
- `stopped`: from `outcome_on` (the first day without the business) when the outcome is
  `stopped`: normal WW again (the claimant falls back on the old WW rights).

**Per calendar month**, each day of WW is worth `days_per_month / days_in_month` WW days
(the 21.75 convention, prorated by calendar days: a full month is exactly 21.75 WW days
whatever its length, and the parts of a month add up to the whole). Amounts are computed
per *segment*: a run of days in the month with the same phase, suspension and parameter
values. Per segment (exact decimals, no rounding in between):

    ww_days    = days_per_month * days / days_in_month
    capped     = min(dagloon, max_dagloon on the segment's days)
    gross      = capped * percentage / 100 * ww_days
    reduction  = gross * share * start_period_reduction_percent / 100   (start period;
                 share = 1, or gradual_business_share in the gradual variant)
    fictitious = base / usual_hours_per_day * business_hours_per_month * days / days_in_month
                 (continued / undecided; base = capped dagloon, or the uncapped dagloon
                 when fictitious_income_uses_capped_dagloon is false)
    deduction  = fictitious * after_start_deduction_percent / 100

**Rounding points** (ROUND_HALF_UP to cents, nowhere else): the segment's gross,
reduction, fictitious income and deduction are rounded; the deduction is then capped at
gross - reduction (the benefit never goes below zero); on suspended days the withheld
amount is gross - reduction - deduction (so net is exactly 0); net = gross - reduction
- deduction - withheld. A month's amounts are the sums of its segments' rounded amounts.

**Revival window**: see `revival_deadline`.

Variants marked NOT CURRENT LAW (`Variant.GROUP_START`, `Variant.GRADUAL_START`) are
ideas from the SER dialogues, off unless their parameter enables them.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal, TypedDict

from starters.rules.dates import (
    DAY,
    month_bounds,
    month_key,
    months_period_end,
    next_month,
    parse_month,
    weeks_period_end,
)
from starters.rules.parameters import ParameterSet

CENT = Decimal("0.01")
_ZERO = Decimal(0)
_NO_CENTS = Decimal("0.00")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """Round to cents, half up (the only rounding of money in this module)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class PlanError(ValueError):
    """The facts or the plan are inconsistent (dates out of order, missing fields, ...)."""


class VariantNotEnabled(PlanError):
    """A NOT-CURRENT-LAW variant was asked for while its parameter does not enable it."""


class Phase(StrEnum):
    """The phase of one WW day."""

    NORMAL = "normal"
    RESEARCH = "research_period"
    START = "start_period"
    UNDECIDED = "after_start_undecided"
    CONTINUED = "continued"
    STOPPED = "stopped"


class Variant(StrEnum):
    """The rules variant of a plan. Only `standard` is current law."""

    STANDARD = "standard"
    GROUP_START = "group_start"  # NOT CURRENT LAW
    GRADUAL_START = "gradual_start"  # NOT CURRENT LAW


@dataclass(frozen=True)
class WwFacts:
    """The claimant's WW: dagloon (uncapped), first WW day, last WW day, usual hours a day."""

    dagloon: Decimal
    first_ww_day: dt.date
    entitlement_end: dt.date
    usual_hours_per_day: Decimal = Decimal(8)


@dataclass(frozen=True)
class StartersPlan:
    """The starters plan: the dated periods, the outcome, hours and suspensions.

    All date ranges are inclusive. `start_period_end` None: computed by
    `start_period_end()`. `outcome_on`: for `stopped` the first day without the business
    (normal WW from that day); for `continued` the day the outcome was recorded (it does
    not move any boundary). `suspended`: inclusive (first, last) day ranges without
    benefit (the former-employer rule). `variant` and `gradual_business_share`: see
    `Variant` (NOT CURRENT LAW except `standard`).
    """

    research_start: dt.date | None = None
    research_end: dt.date | None = None
    start_period_start: dt.date | None = None
    start_period_end: dt.date | None = None
    outcome: Literal["continued", "stopped"] | None = None
    outcome_on: dt.date | None = None
    business_hours_per_month: Decimal | None = None
    suspended: tuple[tuple[dt.date, dt.date], ...] = ()
    variant: Variant = Variant.STANDARD
    gradual_business_share: Decimal | None = None


@dataclass(frozen=True)
class Segment:
    """A run of days in one month with the same phase, suspension and parameters."""

    start: dt.date
    end: dt.date
    days: int
    phase: Phase
    suspended: bool
    ww_days: Decimal  # rounded to 4 decimals, for display; amounts use the exact value
    capped_dagloon: Decimal
    percentage: Decimal
    obligation_share: Decimal  # the share of WW hours under the job-search obligation
    gross: Decimal
    start_period_reduction: Decimal
    fictitious_income: Decimal
    after_start_deduction: Decimal
    withheld: Decimal
    net: Decimal
    parameter_versions: tuple[str, ...]


@dataclass(frozen=True)
class MonthLine:
    """One calendar month of the schedule. Amounts in EUR, rounded to cents."""

    month: str
    phases: tuple[Phase, ...]
    ww_calendar_days: int
    ww_days: Decimal  # rounded to 2 decimals, for display
    dagloon: Decimal
    capped_dagloons: tuple[Decimal, ...]  # distinct values in day order (one, unless it changes)
    percentages: tuple[Decimal, ...]  # distinct values in day order (75, 70 or both)
    gross: Decimal
    start_period_reduction: Decimal
    fictitious_income: Decimal
    after_start_deduction: Decimal
    suspended_days: int
    withheld: Decimal
    net: Decimal
    income_statement_required: bool
    hours_report_required: bool
    parameter_versions: tuple[str, ...]
    segments: tuple[Segment, ...]

    @property
    def capped_dagloon(self) -> Decimal | None:
        """The capped dagloon on the month's last WW day (None without WW days)."""
        return self.capped_dagloons[-1] if self.capped_dagloons else None

    @property
    def percentage(self) -> Decimal | None:
        """The percentage on the month's last WW day (None without WW days)."""
        return self.percentages[-1] if self.percentages else None


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


# --- the schedule --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Run:
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

    def same_rules(self, other: _Run) -> bool:
        return dataclasses.replace(self, start=other.start, end=other.end) == other


@dataclass(frozen=True)
class _Resolved:
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


def _check_variant(plan: StartersPlan, anchor: dt.date, params: ParameterSet) -> tuple[str, ...]:
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
        if s is None or not (_ZERO < s < _ONE):
            raise PlanError("gradual_business_share must be strictly between 0 and 1")
    elif plan.gradual_business_share is not None:
        raise PlanError("gradual_business_share needs the gradual_start variant")
    return (pv.version,)


def _resolve(facts: WwFacts, plan: StartersPlan, params: ParameterSet) -> _Resolved:
    if facts.dagloon < 0:
        raise PlanError("dagloon must not be negative")
    if facts.entitlement_end < facts.first_ww_day:
        raise PlanError("entitlement_end is before first_ww_day")
    if facts.usual_hours_per_day <= 0:
        raise PlanError("usual_hours_per_day must be positive")
    rs, re_ = plan.research_start, plan.research_end
    if (rs is None) != (re_ is None):
        raise PlanError("research_start and research_end go together")
    if rs is not None and re_ is not None:
        if rs < facts.first_ww_day:
            raise PlanError("the research period starts before the first WW day")
        if re_ < rs:
            raise PlanError("research_end is before research_start")
        if re_ > research_period_latest_end(rs, params):
            weeks = params.integer("research_period_max_weeks", rs)
            raise PlanError(f"the research period may last at most {weeks} weeks")
        if re_ > facts.entitlement_end:
            raise PlanError("the research period ends after the WW entitlement")
    sp_start = plan.start_period_start
    sp_end = plan.start_period_end
    sp_versions: tuple[str, ...] = ()
    if sp_start is None:
        if sp_end is not None or plan.outcome is not None:
            raise PlanError("start_period_end and outcome need start_period_start")
    else:
        if sp_start < facts.first_ww_day:
            raise PlanError("the business must start on or after the first WW day")
        if re_ is not None and sp_start <= re_:
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
    stop_day: dt.date | None = None
    if plan.outcome is not None:
        if plan.outcome not in ("continued", "stopped"):
            raise PlanError(f"unknown outcome {plan.outcome!r}")
        if plan.outcome_on is None and plan.outcome == "stopped":
            raise PlanError("a stopped outcome needs outcome_on (the first day without it)")
        if sp_start is not None and plan.outcome_on is not None and plan.outcome_on < sp_start:
            raise PlanError("outcome_on is before the start period")
        if plan.outcome == "stopped":
            stop_day = plan.outcome_on
    hours = plan.business_hours_per_month if plan.business_hours_per_month is not None else _ZERO
    if hours < 0:
        raise PlanError("business_hours_per_month must not be negative")
    anchor = sp_start or rs or facts.first_ww_day
    variant_versions = _check_variant(plan, anchor, params)
    share = (
        plan.gradual_business_share
        if plan.variant == Variant.GRADUAL_START and plan.gradual_business_share is not None
        else _ONE
    )
    first_months = params.at("ww_first_months", facts.first_ww_day)
    n = first_months.value
    assert isinstance(n, int)
    switch_day = facts.first_ww_day if n == 0 else months_period_end(facts.first_ww_day, n) + DAY
    return _Resolved(
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


def _phase(r: _Resolved, d: dt.date) -> Phase:
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


def _suspended(r: _Resolved, d: dt.date) -> bool:
    return any(a <= d <= b for a, b in r.suspended)


def _run_at(r: _Resolved, d: dt.date, end: dt.date, params: ParameterSet) -> _Run:
    facts = r.facts
    phase = _phase(r, d)
    dpm = params.at("days_per_month", d)
    cap = params.at("max_dagloon", d)
    pct = params.at("ww_percent_first_months" if d < r.switch_day else "ww_percent_after", d)
    versions = [dpm.version, cap.version, pct.version, r.switch_version]
    assert isinstance(cap.value, Decimal)
    assert isinstance(pct.value, Decimal)
    assert isinstance(dpm.value, Decimal)
    capped = min(facts.dagloon, cap.value)
    reduction = deduction = base = _ZERO
    obligation = _ONE
    if phase in (Phase.RESEARCH, Phase.START):
        obligation = _ONE - r.share if r.share != _ONE else _ZERO
        versions.extend(r.variant_versions)
        if phase == Phase.RESEARCH and r.plan.research_start is not None:
            versions.append(params.at("research_period_max_weeks", r.plan.research_start).version)
    if phase == Phase.START:
        red = params.at("start_period_reduction_percent", d)
        assert isinstance(red.value, Decimal)
        reduction = red.value
        versions.append(red.version)
        versions.extend(r.sp_versions)
    elif phase in (Phase.CONTINUED, Phase.UNDECIDED):
        ded = params.at("after_start_deduction_percent", d)
        use_capped = params.at("fictitious_income_uses_capped_dagloon", d)
        assert isinstance(ded.value, Decimal)
        deduction = ded.value
        base = capped if use_capped.value else facts.dagloon
        versions.extend((ded.version, use_capped.version))
        full_time = facts.usual_hours_per_day * dpm.value
        obligation = max(_ZERO, _ONE - r.hours / full_time).quantize(Decimal("0.0001"))
    return _Run(
        start=d,
        end=end,
        phase=phase,
        suspended=_suspended(r, d),
        capped=capped,
        percentage=pct.value,
        days_per_month=dpm.value,
        reduction_percent=reduction,
        deduction_percent=deduction,
        fictitious_base=base,
        obligation_share=obligation,
        versions=tuple(sorted(set(versions))),
    )


def _runs(r: _Resolved, params: ParameterSet) -> list[_Run]:
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
    runs: list[_Run] = []
    for a, b in itertools.pairwise(points):
        run = _run_at(r, a, b - DAY, params)
        if runs and runs[-1].same_rules(run):
            runs[-1] = dataclasses.replace(runs[-1], end=run.end)
        else:
            runs.append(run)
    return runs


def _segment(
    run: _Run, start: dt.date, end: dt.date, dim: int, r: _Resolved
) -> tuple[Segment, Decimal]:
    """The segment of `run` from `start` to `end` in a month of `dim` days, and its exact WW days."""
    days = (end - start).days + 1
    exact_ww_days = run.days_per_month * days / dim
    exact_gross = run.capped * run.percentage / _HUNDRED * exact_ww_days
    gross = to_cents(exact_gross)
    reduction = to_cents(exact_gross * r.share * run.reduction_percent / _HUNDRED)
    fictitious = _NO_CENTS
    deduction = _NO_CENTS
    if run.phase in (Phase.CONTINUED, Phase.UNDECIDED):
        exact_fictitious = run.fictitious_base / r.facts.usual_hours_per_day * r.hours * days / dim
        fictitious = to_cents(exact_fictitious)
        deduction = min(
            to_cents(exact_fictitious * run.deduction_percent / _HUNDRED), gross - reduction
        )
    withheld = gross - reduction - deduction if run.suspended else _NO_CENTS
    segment = Segment(
        start=start,
        end=end,
        days=days,
        phase=run.phase,
        suspended=run.suspended,
        ww_days=exact_ww_days.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        capped_dagloon=run.capped,
        percentage=run.percentage,
        obligation_share=run.obligation_share,
        gross=gross,
        start_period_reduction=reduction,
        fictitious_income=fictitious,
        after_start_deduction=deduction,
        withheld=withheld,
        net=gross - reduction - deduction - withheld,
        parameter_versions=run.versions,
    )
    return segment, exact_ww_days


def _distinct(values: Sequence[Decimal]) -> tuple[Decimal, ...]:
    out: list[Decimal] = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return tuple(out)


def _line(
    month: str, segments: Sequence[Segment], exact_ww_days: Decimal, facts: WwFacts
) -> MonthLine:
    if len(segments) == 1:  # the common case, kept cheap for bulk computations
        s = segments[0]
        return MonthLine(
            month=month,
            phases=(s.phase,),
            ww_calendar_days=s.days,
            ww_days=exact_ww_days.quantize(CENT, rounding=ROUND_HALF_UP),
            dagloon=facts.dagloon,
            capped_dagloons=(s.capped_dagloon,),
            percentages=(s.percentage,),
            gross=s.gross,
            start_period_reduction=s.start_period_reduction,
            fictitious_income=s.fictitious_income,
            after_start_deduction=s.after_start_deduction,
            suspended_days=s.days if s.suspended else 0,
            withheld=s.withheld,
            net=s.net,
            income_statement_required=s.phase == Phase.START,
            hours_report_required=s.phase in (Phase.CONTINUED, Phase.UNDECIDED),
            parameter_versions=s.parameter_versions,
            segments=(s,),
        )
    phases: list[Phase] = []
    for s in segments:
        if s.phase not in phases:
            phases.append(s.phase)
    versions = sorted({v for s in segments for v in s.parameter_versions})
    return MonthLine(
        month=month,
        phases=tuple(phases),
        ww_calendar_days=sum(s.days for s in segments),
        ww_days=exact_ww_days.quantize(CENT, rounding=ROUND_HALF_UP),
        dagloon=facts.dagloon,
        capped_dagloons=_distinct([s.capped_dagloon for s in segments]),
        percentages=_distinct([s.percentage for s in segments]),
        gross=sum((s.gross for s in segments), _NO_CENTS),
        start_period_reduction=sum((s.start_period_reduction for s in segments), _NO_CENTS),
        fictitious_income=sum((s.fictitious_income for s in segments), _NO_CENTS),
        after_start_deduction=sum((s.after_start_deduction for s in segments), _NO_CENTS),
        suspended_days=sum(s.days for s in segments if s.suspended),
        withheld=sum((s.withheld for s in segments), _NO_CENTS),
        net=sum((s.net for s in segments), _NO_CENTS),
        income_statement_required=any(s.phase == Phase.START for s in segments),
        hours_report_required=any(s.phase in (Phase.CONTINUED, Phase.UNDECIDED) for s in segments),
        parameter_versions=tuple(versions),
        segments=tuple(segments),
    )


def monthly_schedule(
    facts: WwFacts,
    plan: StartersPlan,
    params: ParameterSet,
    *,
    first_month: str | None = None,
    months: int | None = None,
) -> list[MonthLine]:
    """The benefit per calendar month ("YYYY-MM").

    From `first_month` (default: the month of the first WW day) for `months` months
    (default: up to and including the month of the last WW day). Months without WW days
    get a line with zero amounts and no phases.
    """
    r = _resolve(facts, plan, params)
    runs = _runs(r, params)
    run_starts = [run.start for run in runs]
    if first_month is None:
        year, mon = facts.first_ww_day.year, facts.first_ww_day.month
    else:
        year, mon = parse_month(first_month)
    if months is None:
        end_y, end_m = facts.entitlement_end.year, facts.entitlement_end.month
        months = max(0, (end_y - year) * 12 + end_m - mon + 1)
    elif months < 0:
        raise ValueError("months must not be negative")
    lines: list[MonthLine] = []
    for _ in range(months):
        m_start, m_end = month_bounds(year, mon)
        dim = m_end.day
        segments: list[Segment] = []
        ww_days = _ZERO
        i = max(0, bisect.bisect_right(run_starts, m_start) - 1)
        while i < len(runs) and runs[i].start <= m_end:
            run = runs[i]
            a, b = max(run.start, m_start), min(run.end, m_end)
            if a <= b:
                segment, exact = _segment(run, a, b, dim, r)
                segments.append(segment)
                ww_days += exact
            i += 1
        lines.append(_line(month_key(m_start), segments, ww_days, facts))
        year, mon = next_month(year, mon)
    return lines


def group_schedules(
    members: Sequence[tuple[str, WwFacts]],
    plan: StartersPlan,
    params: ParameterSet,
    *,
    first_month: str | None = None,
    months: int | None = None,
) -> dict[str, list[MonthLine]]:
    """NOT CURRENT LAW: a group start; each member's own schedule with the group's dates.

    Needs `group_start_enabled` on the group's start and 2..`group_start_max_members`
    members with distinct ids. Each member's start period is cut short by their own end
    of entitlement; the plan's variant is set to `group_start`.
    """
    group_plan = dataclasses.replace(plan, variant=Variant.GROUP_START)
    ids = [member_id for member_id, _ in members]
    if len(set(ids)) != len(ids):
        raise PlanError("group members must have distinct ids")
    anchor = plan.start_period_start or plan.research_start
    if anchor is None:
        raise PlanError("a group start needs the group's research or start period dates")
    _check_variant(group_plan, anchor, params)
    most = params.integer("group_start_max_members", anchor)
    if not 2 <= len(members) <= most:
        raise PlanError(f"a group start has 2 to {most} members, not {len(members)}")
    return {
        member_id: monthly_schedule(
            facts, group_plan, params, first_month=first_month, months=months
        )
        for member_id, facts in members
    }


def straight_line_monthly(
    facts: WwFacts, plan: StartersPlan, params: ParameterSet, month: str
) -> Decimal:
    """The net benefit of one month, day by day with one rounding at the end (a baseline).

    Deliberately simple: no runs, no segments, every parameter looked up for every day,
    no plan validation. It applies the same formula as `monthly_schedule` but rounds only
    the month's net, so it agrees with the schedule's net within 2 cents per segment (the
    schedule rounds each segment's gross, reduction and deduction). Used by the
    benchmark as the baseline and by the tests as an oracle.
    """
    year, mon = parse_month(month)
    m_start, m_end = month_bounds(year, mon)
    dim = m_end.day
    n_first = params.integer("ww_first_months", facts.first_ww_day)
    switch = (
        facts.first_ww_day if n_first == 0 else months_period_end(facts.first_ww_day, n_first) + DAY
    )
    sp_start, sp_end = plan.start_period_start, plan.start_period_end
    if sp_start is not None and sp_end is None:
        sp_end = start_period_end(sp_start, facts.entitlement_end, params)
    stop = plan.outcome_on if plan.outcome == "stopped" else None
    hours = plan.business_hours_per_month or _ZERO
    share = plan.gradual_business_share if plan.variant == Variant.GRADUAL_START else None
    total = _ZERO
    d = m_start
    while d <= m_end:
        if facts.first_ww_day <= d <= facts.entitlement_end:
            cap = params.decimal("max_dagloon", d)
            capped = facts.dagloon if facts.dagloon < cap else cap
            pct = params.decimal("ww_percent_first_months" if d < switch else "ww_percent_after", d)
            day_ww = capped * pct / _HUNDRED * params.decimal("days_per_month", d) / dim
            day_net = day_ww
            after_start = sp_start is not None and sp_end is not None and d > sp_end
            if stop is not None and d >= stop:
                pass
            elif sp_start is not None and sp_end is not None and sp_start <= d <= sp_end:
                red = params.decimal("start_period_reduction_percent", d)
                day_net = day_ww - day_ww * (share or _ONE) * red / _HUNDRED
            elif after_start:
                base = (
                    capped
                    if params.flag("fictitious_income_uses_capped_dagloon", d)
                    else facts.dagloon
                )
                ded = params.decimal("after_start_deduction_percent", d)
                day_ded = base / facts.usual_hours_per_day * hours / dim * ded / _HUNDRED
                day_net = max(_ZERO, day_ww - day_ded)
            if any(a <= d <= b for a, b in plan.suspended):
                day_net = _ZERO
            total += day_net
        d += DAY
    return to_cents(total)


# --- helpers for the service ----------------------------------------------------------------

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

_VARIANT_ALIASES = {
    None: Variant.STANDARD,
    "standard": Variant.STANDARD,
    "group": Variant.GROUP_START,
    "group_start": Variant.GROUP_START,
    "gradual": Variant.GRADUAL_START,
    "gradual_start": Variant.GRADUAL_START,
}


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


# The shortest WW entitlement (the weeks condition alone: handbook 3, uwv.nl).
MIN_ENTITLEMENT_MONTHS = 3


class VariantFields(TypedDict):
    """The variant keyword arguments of `StartersPlan`."""

    variant: Variant
    gradual_business_share: Decimal | None


def variant_fields(
    variant: str | None, gradual_business_share: Decimal | None = None
) -> VariantFields:
    """`StartersPlan` keyword arguments for a stored variant ("group", "gradual" or None).

    NOT CURRENT LAW variants still need their parameter (`group_start_enabled`,
    `gradual_start_enabled`) on the plan's start, or the schedule raises VariantNotEnabled.
    """
    try:
        kind = _VARIANT_ALIASES[variant]
    except KeyError:
        raise PlanError(f"unknown variant {variant!r}") from None
    share = gradual_business_share if kind == Variant.GRADUAL_START else None
    return VariantFields(variant=kind, gradual_business_share=share)


def month_dict(line: MonthLine) -> dict[str, object]:
    """A JSON-ready summary of a month line (amounts as Decimal, dates as ISO strings).

    `phase` joins the month's phases with "+" in day order ("research_period+start_period";
    "none" for a month without WW days).
    """
    return {
        "month": line.month,
        "phase": "+".join(p.value for p in line.phases) or "none",
        "phases": [p.value for p in line.phases],
        "ww_calendar_days": line.ww_calendar_days,
        "ww_days": line.ww_days,
        "dagloon": line.dagloon,
        "capped_dagloon": line.capped_dagloon,
        "percentage": line.percentage,
        "gross_ww": line.gross,
        "start_period_reduction": line.start_period_reduction,
        "fictitious_income": line.fictitious_income,
        "fictitious_income_deduction": line.after_start_deduction,
        "suspended_days": line.suspended_days,
        "suspended": line.withheld,
        "net": line.net,
        "income_statement_required": line.income_statement_required,
        "hours_report_required": line.hours_report_required,
        "parameter_versions": list(line.parameter_versions),
    }
