"""Provisional self-reliance score from what registration tells (before the questionnaire).

A logistic model on the log-odds scale; every factor's contribution is reported so the
contributions plus the intercept add up to the logit of the probability. The numbers are a
documented prior (Werkverkenner: ~63-65% find work within a year; age is the strongest
hard factor, people over 55 the lowest chance), not fitted: the questionnaire model
replaces this score as soon as answers are known. Contributions and bands are those of the
scoring core (`triage.scoring.model`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shared.events.common import Band, Segment
from triage.scoring.model import Contribution, band_for
from triage.scoring.value_labels import reason_texts

MODEL_VERSION = "provisional-2026.1"
INTERCEPT = 0.55  # logit(0.634): the base rate of work within 12 months

AGE_EFFECTS: tuple[tuple[int, int, float, str], ...] = (
    (15, 26, 0.35, "under 27"),
    (27, 44, 0.20, "27-44"),
    (45, 54, -0.35, "45-54"),
    (55, 80, -1.10, "55 or older"),
)
WORK_HISTORY_PER_YEAR = 0.03  # relative to 10 years, capped at +-0.3
HOURS_LOST_FULL_TIME = -0.10  # losing a full-time job is slightly harder to replace
# Plain-language labels of the provisional factors (the model files carry their own).
LABELS: dict[str, tuple[str, str]] = {
    "age": ("Leeftijd", "Age"),
    "years_work_history": ("Werkervaring (jaren)", "Work experience (years)"),
    "hours_lost_per_week": ("Verloren uren per week", "Hours lost per week"),
}


@dataclass(frozen=True)
class ProvisionalScore:
    """The outcome of provisional scoring."""

    probability: float
    band: Band
    segment: Segment
    intercept: float
    factors: list[Contribution]
    over_55: bool
    under_27: bool
    model_version: str = MODEL_VERSION


def score(
    *,
    age: int | None,
    years_work_history: int | None,
    hours_lost_per_week: float | None,
    threshold: float = 0.5,
) -> ProvisionalScore:
    """Score from registration facts; unknown facts contribute nothing."""
    factors: list[Contribution] = []
    if age is not None:
        for lo, hi, effect, label in AGE_EFFECTS:
            if lo <= age <= hi:
                factors.append(Contribution("age", label, effect))
                break
    if years_work_history is not None:
        effect = max(-0.3, min(0.3, (years_work_history - 10) * WORK_HISTORY_PER_YEAR))
        factors.append(
            Contribution("years_work_history", str(years_work_history), round(effect, 6))
        )
    if hours_lost_per_week is not None and hours_lost_per_week >= 32:
        factors.append(
            Contribution("hours_lost_per_week", f"{hours_lost_per_week:g}", HOURS_LOST_FULL_TIME)
        )
    logit = INTERCEPT + sum(f.contribution for f in factors)
    p = 1 / (1 + math.exp(-logit))
    return ProvisionalScore(
        probability=p,
        band=band_for(p),
        segment=Segment.PERSONAL if p <= threshold else Segment.DIGITAL,
        intercept=INTERCEPT,
        factors=factors,
        over_55=age is not None and age >= 55,
        under_27=age is not None and age < 27,
    )


def hindering(result: ProvisionalScore, *, top: int = 3) -> list[tuple[str, float, str, str]]:
    """The `top` most negative contributions as (factor, contribution, nl, en) texts."""
    worst = sorted((c for c in result.factors if c.contribution < 0), key=lambda c: c.contribution)
    out = []
    for c in worst[:top]:
        nl, en = LABELS[c.factor]
        out.append((c.factor, c.contribution, *reason_texts(c.factor, nl, en, c.value)))
    return out
