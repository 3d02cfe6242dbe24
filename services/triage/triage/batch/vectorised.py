"""Score many claimants at once: NumPy for the encoded contributions when it is installed.

The result is the scoring core's, value for value: the design matrix and coefficient vector
come from `triage.scoring.model` (`design_row`, `coefficient_vector`, `columns`), each
feature's contribution is the sum of its columns (one non-zero term, so exactly the core's
product), and the logit is intercept + fsum(contributions) as in the core. Without NumPy
(it is imported lazily) the core scores one claimant at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from shared.events.common import Segment
from triage.scores import service as scores
from triage.scoring import model as core

Row = tuple[dict[str, Any], int | None]  # (answers, age)


def numpy_available() -> bool:
    """True when NumPy can be imported."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def score_many(
    model: core.ModelFile, rows: Sequence[Row], *, vectorised: bool | None = None
) -> list[scores.Computed]:
    """Score every (answers, age); `vectorised` None means: NumPy if available."""
    if not rows:
        return []
    if vectorised is None:
        vectorised = numpy_available()
    if not vectorised:
        return [scores.from_model(model, answers, age=age) for answers, age in rows]
    return _with_numpy(model, rows)


def _spans(model: core.ModelFile) -> list[tuple[int, int]]:
    """The design-matrix column range of each feature, in model order."""
    cols = core.columns(model)
    spans, start = [], 0
    for f in model.features:
        width = sum(1 for name, _ in cols if name == f.name)
        spans.append((start, start + width))
        start += width
    return spans


def _shown(f: core.Feature, value: object) -> str:
    """The input as the core shows it in an explanation."""
    if value is None:
        return "unknown"
    if f.kind == "bands":
        x = float(value)  # type: ignore[arg-type]
        for b in f.bands:
            if b.minimum <= x <= b.maximum:
                return b.label
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)


def _with_numpy(model: core.ModelFile, rows: Sequence[Row]) -> list[scores.Computed]:
    import numpy as np

    coef = np.asarray(core.coefficient_vector(model), dtype=float)
    design = np.asarray(
        [core.design_row(model, answers, age=age) for answers, age in rows], dtype=float
    ).reshape(len(rows), len(coef))
    terms = design * coef
    per_feature = np.zeros((len(rows), len(model.features)), dtype=float)
    for j, (lo, hi) in enumerate(_spans(model)):
        if hi > lo:
            per_feature[:, j] = terms[:, lo:hi].sum(axis=1)
    thresholds = model.thresholds
    out: list[scores.Computed] = []
    for i, (answers, age) in enumerate(rows):
        values = per_feature[i].tolist()
        inputs: dict[str, object] = {**answers, "age": age}
        contributions = [
            core.Contribution(f.name, _shown(f, inputs.get(f.name)), float(v))
            for f, v in zip(model.features, values, strict=True)
        ]
        logit = model.intercept + math.fsum(c.contribution for c in contributions)
        p = _sigmoid(logit)
        scored = core.Scored(
            probability=p,
            logit=logit,
            intercept=model.intercept,
            band=core.band_for(p),
            segment=Segment.PERSONAL if p <= thresholds.personal_at_or_below else Segment.DIGITAL,
            contributions=contributions,
            over_55=age is not None and age >= thresholds.over_age,
            under_27=age is not None and age < thresholds.under_age,
            model_version=model.version,
        )
        out.append(scores.from_scored(model, scored))
    return out
