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
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from starters.rules.baseline import straight_line_monthly
from starters.rules.dates import month_bounds, month_key, next_month, parse_month
from starters.rules.parameters import ParameterSet
from starters.rules.periods import (
    MIN_ENTITLEMENT_MONTHS,
    REVIVAL_PARAMETERS,
    START_PERIOD_PARAMETERS,
    FactViolation,
    check_ww_facts,
    entitlement_end,
    research_period_latest_end,
    revival_allowed,
    revival_deadline,
    revival_window_length,
    start_period_end,
    start_period_length_versions,
)
from starters.rules.plan import (
    CENT,
    HUNDRED,
    NO_CENTS,
    ZERO,
    Phase,
    PlanError,
    StartersPlan,
    Variant,
    VariantFields,
    VariantNotEnabled,
    WwFacts,
    to_cents,
    variant_fields,
)
from starters.rules.resolve import Resolved, check_variant, resolve
from starters.rules.runs import Run, runs_of

__all__ = [
    "CENT",
    "MIN_ENTITLEMENT_MONTHS",
    "REVIVAL_PARAMETERS",
    "START_PERIOD_PARAMETERS",
    "FactViolation",
    "MonthLine",
    "Phase",
    "PlanError",
    "Segment",
    "StartersPlan",
    "Variant",
    "VariantFields",
    "VariantNotEnabled",
    "WwFacts",
    "check_ww_facts",
    "entitlement_end",
    "group_schedules",
    "month_dict",
    "monthly_schedule",
    "research_period_latest_end",
    "revival_allowed",
    "revival_deadline",
    "revival_window_length",
    "start_period_end",
    "start_period_length_versions",
    "straight_line_monthly",
    "to_cents",
    "variant_fields",
]


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


def _segment(
    run: Run, start: dt.date, end: dt.date, dim: int, r: Resolved
) -> tuple[Segment, Decimal]:
    """The segment of `run` from `start` to `end` in a month of `dim` days, and its exact WW days."""
    days = (end - start).days + 1
    exact_ww_days = run.days_per_month * days / dim
    exact_gross = run.capped * run.percentage / HUNDRED * exact_ww_days
    gross = to_cents(exact_gross)
    reduction = to_cents(exact_gross * r.share * run.reduction_percent / HUNDRED)
    fictitious = NO_CENTS
    deduction = NO_CENTS
    if run.phase in (Phase.CONTINUED, Phase.UNDECIDED):
        exact_fictitious = run.fictitious_base / r.facts.usual_hours_per_day * r.hours * days / dim
        fictitious = to_cents(exact_fictitious)
        deduction = min(
            to_cents(exact_fictitious * run.deduction_percent / HUNDRED), gross - reduction
        )
    withheld = gross - reduction - deduction if run.suspended else NO_CENTS
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
        gross=sum((s.gross for s in segments), NO_CENTS),
        start_period_reduction=sum((s.start_period_reduction for s in segments), NO_CENTS),
        fictitious_income=sum((s.fictitious_income for s in segments), NO_CENTS),
        after_start_deduction=sum((s.after_start_deduction for s in segments), NO_CENTS),
        suspended_days=sum(s.days for s in segments if s.suspended),
        withheld=sum((s.withheld for s in segments), NO_CENTS),
        net=sum((s.net for s in segments), NO_CENTS),
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
    r = resolve(facts, plan, params)
    runs = runs_of(r, params)
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
        ww_days = ZERO
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
    check_variant(group_plan, anchor, params)
    most = params.integer("group_start_max_members", anchor)
    if not 2 <= len(members) <= most:
        raise PlanError(f"a group start has 2 to {most} members, not {len(members)}")
    return {
        member_id: monthly_schedule(
            facts, group_plan, params, first_month=first_month, months=months
        )
        for member_id, facts in members
    }


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
