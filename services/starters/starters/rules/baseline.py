"""A straight-line computation of one month's net benefit, day by day: the baseline of
the benchmark and the oracle of the tests for `starters.rules.schedule`. Pure: no I/O.
"""

from __future__ import annotations

from decimal import Decimal

from starters.rules.dates import DAY, month_bounds, months_period_end, parse_month
from starters.rules.parameters import ParameterSet
from starters.rules.periods import start_period_end
from starters.rules.plan import HUNDRED, ONE, ZERO, StartersPlan, Variant, WwFacts, to_cents


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
    hours = plan.business_hours_per_month or ZERO
    share = plan.gradual_business_share if plan.variant == Variant.GRADUAL_START else None
    total = ZERO
    d = m_start
    while d <= m_end:
        if facts.first_ww_day <= d <= facts.entitlement_end:
            cap = params.decimal("max_dagloon", d)
            capped = facts.dagloon if facts.dagloon < cap else cap
            pct = params.decimal("ww_percent_first_months" if d < switch else "ww_percent_after", d)
            day_ww = capped * pct / HUNDRED * params.decimal("days_per_month", d) / dim
            day_net = day_ww
            after_start = sp_start is not None and sp_end is not None and d > sp_end
            if stop is not None and d >= stop:
                pass
            elif sp_start is not None and sp_end is not None and sp_start <= d <= sp_end:
                red = params.decimal("start_period_reduction_percent", d)
                day_net = day_ww - day_ww * (share or ONE) * red / HUNDRED
            elif after_start:
                base = (
                    capped
                    if params.flag("fictitious_income_uses_capped_dagloon", d)
                    else facts.dagloon
                )
                ded = params.decimal("after_start_deduction_percent", d)
                day_ded = base / facts.usual_hours_per_day * hours / dim * ded / HUNDRED
                day_net = max(ZERO, day_ww - day_ded)
            if any(a <= d <= b for a, b in plan.suspended):
                day_net = ZERO
            total += day_net
        d += DAY
    return to_cents(total)
