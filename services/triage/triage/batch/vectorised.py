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


def contribution_matrix(model: core.ModelFile, rows: Sequence[Row]) -> Any:
    """Every claimant's contribution per feature (n x features), built column by column.

    One pass per feature over the claimants, with NumPy doing the arithmetic; each entry is
    computed with the same float operations as `core.contribution`, so it is equal to it.
    """
    import numpy as np

    n = len(rows)
    out = np.zeros((n, len(model.features)), dtype=float)
    for j, f in enumerate(model.features):
        if f.name == "age":
            values: list[Any] = [age for _, age in rows]
        else:
            name = f.name
            values = [answers.get(name) for answers, _ in rows]
        known = np.fromiter((v is not None for v in values), dtype=bool, count=n)
        if f.kind == "numeric":
            x = np.fromiter((float(v) if v is not None else 0.0 for v in values), float, n)
            if f.lower is not None:
                x = np.maximum(x, f.lower)
            if f.upper is not None:
                x = np.minimum(x, f.upper)
            out[:, j] = np.where(known, f.coef * (x - f.center), 0.0)
        elif f.kind == "boolean":
            out[:, j] = np.fromiter((f.coef if v is True else 0.0 for v in values), float, n)
        elif f.kind == "categorical":
            coefs = f.coefs
            out[:, j] = np.fromiter(
                (coefs.get(str(v), 0.0) if v is not None else 0.0 for v in values), float, n
            )
        else:
            x = np.fromiter((float(v) if v is not None else np.nan for v in values), float, n)
            column = np.zeros(n, dtype=float)
            for b in reversed(f.bands):  # the first matching band wins, as in the core
                column = np.where((x >= b.minimum) & (x <= b.maximum), b.coef, column)
            out[:, j] = column
    return out


def probabilities_many(model: core.ModelFile, rows: Sequence[Row]) -> tuple[Any, Any]:
    """Probabilities and the personal-service flags of many claimants, fully vectorised.

    For deciding, monitoring and benchmarks: the logit is summed by NumPy, so a probability
    can differ from the core's (exact `fsum`) in the last bit; claimants within 1e-12 of the
    threshold are decided with the core's sum, so the segment always agrees.
    """
    import numpy as np

    per_feature = contribution_matrix(model, rows)
    logit = model.intercept + per_feature.sum(axis=1)
    p = 1.0 / (1.0 + np.exp(-logit))
    threshold = model.thresholds.personal_at_or_below
    personal = p <= threshold
    for i in np.flatnonzero(np.abs(p - threshold) <= 1e-12):
        exact = _sigmoid(model.intercept + math.fsum(per_feature[i].tolist()))
        personal[i] = exact <= threshold
    return p, personal


def _with_numpy(model: core.ModelFile, rows: Sequence[Row]) -> list[scores.Computed]:
    per_feature = contribution_matrix(model, rows)
    thresholds = model.thresholds
    names = [f.name for f in model.features]
    out: list[scores.Computed] = []
    for i, (answers, age) in enumerate(rows):
        values = per_feature[i].tolist()
        inputs: dict[str, object] = {**answers, "age": age}
        contributions = [
            core.Contribution(name, _shown(f, inputs.get(name)), v)
            for name, f, v in zip(names, model.features, values, strict=True)
        ]
        logit = model.intercept + math.fsum(values)
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
