"""Starters phase: benefit-schedule computations per second for many claimants, as a ratio
to a straight-line computation of the same formula in the same run (issue 6).

- **Service rules**: `starters.rules.schedule.monthly_schedule` for every claimant, from the
  first WW day to the end of entitlement: per day-run parameters (the max dagloon changes
  on 1 Jan and 1 Jul), segments, rounding per segment, parameter versions per month.
- **Straight line (baseline)**: the same formula for the same months with every parameter
  looked up once for the run, whole months classified by the phase of their first WW day,
  no segments and no versions: `min(dagloon, cap) x pct x 21.75 x ww_days/days_in_month`,
  minus 29% in the start period, minus 70% of the fictitious income after it.
- **Agreement**: for months that lie wholly in one phase with one cap, the schedule's net
  and the straight line's net agree within a cent or two (rounding per segment); the share
  that agrees is printed, so the baseline is known to compute the same thing.

Pure CPU in this process: no database. Claimants are drawn from a seeded generator.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starters.rules import schedule as rules
from starters.rules.dates import month_bounds, months_period_end
from starters.rules.parameters import DEFAULT_PARAMETERS, ParameterSet

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class StartersConfig:
    """Sizes of the phase."""

    claimants: int = 100_000
    seed: int = 20240601
    agreement_sample: int = 2_000


@dataclass(frozen=True)
class Claimant:
    """One synthetic claimant's inputs."""

    facts: rules.WwFacts
    plan: rules.StartersPlan
    months: tuple[str, ...]


def _months(first: dt.date, last: dt.date) -> tuple[str, ...]:
    out, cur = [], dt.date(first.year, first.month, 1)
    while cur <= last:
        out.append(f"{cur.year:04d}-{cur.month:02d}")
        cur = month_bounds(cur.year, cur.month)[1] + dt.timedelta(days=1)
    return tuple(out)


def make_claimants(n: int, rng: random.Random, params: ParameterSet) -> list[Claimant]:
    """Dagloons 60-380 (some above the cap), 3-24 months of entitlement, a start period
    within two months of WW, research before it for some, and each outcome."""
    out: list[Claimant] = []
    base = dt.date(2026, 1, 5)
    for _ in range(n):
        first = base + dt.timedelta(days=rng.randrange(0, 150))
        months = rng.randint(3, 24)
        end = months_period_end(first, months)
        start = first + dt.timedelta(days=rng.randrange(0, 60))
        if start > end:
            start = first
        sp_end = rules.start_period_end(start, end, params)
        research = rng.random() < 0.5 and (start - first).days >= 14
        r_start = start - dt.timedelta(days=14) if research else None
        outcome_pick = rng.random()
        outcome: Any = None
        outcome_on = None
        hours = None
        if outcome_pick < 0.4 and sp_end < end:
            outcome, outcome_on = "continued", sp_end + dt.timedelta(days=1)
            hours = Decimal(rng.randrange(20, 121))
        elif outcome_pick < 0.7:
            outcome = "stopped"
            outcome_on = min(start + dt.timedelta(days=rng.randrange(30, 180)), end)
        facts = rules.WwFacts(
            dagloon=Decimal(rng.randrange(6000, 38000)) / 100,
            first_ww_day=first,
            entitlement_end=end,
            usual_hours_per_day=Decimal(8),
        )
        plan = rules.StartersPlan(
            research_start=r_start,
            research_end=start - dt.timedelta(days=1) if r_start else None,
            start_period_start=start,
            start_period_end=sp_end
            if outcome != "stopped"
            else min(sp_end, outcome_on - dt.timedelta(days=1) if outcome_on else sp_end),
            outcome=outcome,
            outcome_on=outcome_on,
            business_hours_per_month=hours,
        )
        out.append(Claimant(facts, plan, _months(first, end)))
    return out


@dataclass(frozen=True)
class _Hoisted:
    cap: Decimal
    first_pct: Decimal
    after_pct: Decimal
    days: Decimal
    reduction: Decimal
    deduction: Decimal
    first_months: int


def _hoist(params: ParameterSet, day: dt.date) -> _Hoisted:
    return _Hoisted(
        cap=params.decimal("max_dagloon", day),
        first_pct=params.decimal("ww_percent_first_months", day),
        after_pct=params.decimal("ww_percent_after", day),
        days=params.decimal("days_per_month", day),
        reduction=params.decimal("start_period_reduction_percent", day),
        deduction=params.decimal("after_start_deduction_percent", day),
        first_months=params.integer("ww_first_months", day),
    )


def straight_line(c: Claimant, h: _Hoisted) -> list[Decimal]:
    """Net per month of the claimant, the formula written straight (see the module)."""
    f, p = c.facts, c.plan
    capped = f.dagloon if f.dagloon < h.cap else h.cap
    switch = months_period_end(f.first_ww_day, h.first_months) + dt.timedelta(days=1)
    out: list[Decimal] = []
    for month in c.months:
        y, m = int(month[:4]), int(month[5:])
        m_start, m_end = month_bounds(y, m)
        lo = max(m_start, f.first_ww_day)
        hi = min(m_end, f.entitlement_end)
        ww_days = h.days * ((hi - lo).days + 1) / m_end.day if hi >= lo else Decimal(0)
        pct = h.first_pct if lo < switch else h.after_pct
        gross = capped * pct / _HUNDRED * ww_days
        net = gross
        stopped = p.outcome == "stopped" and p.outcome_on is not None and lo >= p.outcome_on
        if stopped:
            pass
        elif (
            p.start_period_start
            and p.start_period_end
            and (p.start_period_start <= lo <= p.start_period_end)
        ):
            net = gross - gross * h.reduction / _HUNDRED
        elif p.start_period_end and lo > p.start_period_end:
            hours = p.business_hours_per_month or Decimal(0)
            fictitious = capped / f.usual_hours_per_day * hours * ww_days / h.days
            net = max(Decimal(0), gross - fictitious * h.deduction / _HUNDRED)
        out.append(net.quantize(_CENT))
    return out


def _single_phase(line: rules.MonthLine) -> bool:
    return len(line.phases) == 1 and len(line.capped_dagloons) == 1 and len(line.percentages) == 1


def run_starters(_run: Any, cfg: StartersConfig, _rng: random.Random) -> dict[str, Any]:
    """Time both sides over the same claimants; check they agree."""
    params = DEFAULT_PARAMETERS
    claimants = make_claimants(cfg.claimants, random.Random(cfg.seed), params)
    month_count = sum(len(c.months) for c in claimants)

    t = time.perf_counter()
    schedules = [rules.monthly_schedule(c.facts, c.plan, params) for c in claimants]
    service_s = time.perf_counter() - t

    t = time.perf_counter()
    straight = [straight_line(c, _hoist(params, c.facts.first_ww_day)) for c in claimants]
    straight_s = time.perf_counter() - t

    checked = agreed = 0
    for lines, nets in zip(schedules[: cfg.agreement_sample], straight, strict=False):
        for line, net in zip(lines, nets, strict=False):
            if _single_phase(line):
                checked += 1
                agreed += abs(line.net - net) <= Decimal("0.02")
    service_rate = len(claimants) / service_s
    straight_rate = len(claimants) / straight_s
    return {
        "claimants": len(claimants),
        "months": month_count,
        "service": {
            "seconds": round(service_s, 2),
            "schedules_per_s": round(service_rate, 1),
            "months_per_s": round(month_count / service_s, 1),
        },
        "straight_line": {
            "seconds": round(straight_s, 2),
            "schedules_per_s": round(straight_rate, 1),
            "months_per_s": round(month_count / straight_s, 1),
        },
        "ratio": round(service_rate / straight_rate, 3),
        "agreement": {
            "months_checked": checked,
            "within_2_cents": agreed,
            "share": round(agreed / checked, 4) if checked else None,
        },
        "versions_per_schedule": round(
            sum(len({v for ln in s for v in ln.parameter_versions}) for s in schedules[:1000])
            / min(1000, len(schedules)),
            1,
        ),
    }


if __name__ == "__main__":
    import json
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(json.dumps(run_starters(None, StartersConfig(claimants=n), random.Random(1)), indent=2))
