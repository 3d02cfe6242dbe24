"""How good and how fair a model is on outcome data: AUC, Brier, calibration, fairness.

Definitions (the same in the CLI, the Markdown report and docs/triage-model.md):

- *flagged*: the segment decision is personal service, i.e. p <= the model's threshold.
- *found work*: `found_work_12m` = 1.
- `base_rate`: share that found work; `mean_predicted`: mean p.
- `calibration_in_the_large` = mean_predicted - base_rate. Positive: the model is too
  optimistic about the group (it under-flags it); negative: too pessimistic.
- `selection_rate`: share flagged for personal service.
- `fpr` (false-positive rate): of those who found work, the share flagged
  ("flagged for personal service but found work": the VDAB error).
- `fnr` (false-negative rate): of those who did not find work, the share not flagged
  ("sent to digital service but did not find work").
- `max_gap` of a metric within a grouping: highest minus lowest value over the groups with
  at least `min_group_size` claimants (smaller groups are shown, not compared), with the
  groups that have them. A rate with an empty denominator is undefined (None) and skipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from triage.scoring import model as m
from triage_fitting.data import Outcomes, Predictions, Progress, no_progress, predict
from triage_fitting.groups import group_order

GAP_METRICS = (
    "base_rate",
    "mean_predicted",
    "calibration_in_the_large",
    "selection_rate",
    "fpr",
    "fnr",
)
GROUPINGS = ("age_band", "education_level", "region")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float | None:
    """Area under the ROC curve (None when only one outcome occurs)."""
    from sklearn.metrics import roc_auc_score

    y_arr = np.asarray(y)
    if y_arr.min() == y_arr.max():
        return None
    return float(roc_auc_score(y_arr, np.asarray(p)))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared difference between p and the outcome (0 is perfect)."""
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def log_loss(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean negative log-likelihood (natural log)."""
    p_arr = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    y_arr = np.asarray(y, float)
    return float(-np.mean(y_arr * np.log(p_arr) + (1 - y_arr) * np.log(1 - p_arr)))


def calibration_table(
    y: npt.ArrayLike, p: npt.ArrayLike, *, bins: int = 10
) -> list[dict[str, Any]]:
    """Claimants sorted by p and cut into `bins` groups of (almost) equal size.

    Per bin: count, lowest and highest p, mean predicted, observed share that found work,
    and their difference (predicted - observed).
    """
    y_arr = np.asarray(y, float)
    p_arr = np.asarray(p, float)
    order = np.argsort(p_arr, kind="stable")
    table: list[dict[str, Any]] = []
    for k, idx in enumerate(np.array_split(order, min(bins, len(order))), start=1):
        predicted = float(p_arr[idx].mean())
        observed = float(y_arr[idx].mean())
        table.append(
            {
                "bin": k,
                "n": len(idx),
                "p_min": float(p_arr[idx].min()),
                "p_max": float(p_arr[idx].max()),
                "mean_predicted": predicted,
                "observed": observed,
                "difference": predicted - observed,
            }
        )
    return table


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def group_metrics(y: npt.ArrayLike, p: npt.ArrayLike, flagged: npt.ArrayLike) -> dict[str, Any]:
    """Count, base rate, mean p, calibration in the large, selection rate, FPR and FNR."""
    y_arr = np.asarray(y).astype(bool)
    p_arr = np.asarray(p, float)
    f_arr = np.asarray(flagged).astype(bool)
    n = len(y_arr)
    found = int(y_arr.sum())
    not_found = n - found
    flagged_found = int((f_arr & y_arr).sum())
    digital_not_found = int((~f_arr & ~y_arr).sum())
    base_rate = found / n if n else None
    mean_predicted = float(p_arr.mean()) if n else None
    return {
        "n": n,
        "n_found_work": found,
        "n_flagged": int(f_arr.sum()),
        "n_flagged_found_work": flagged_found,
        "n_digital_no_work": digital_not_found,
        "base_rate": base_rate,
        "mean_predicted": mean_predicted,
        "calibration_in_the_large": (
            mean_predicted - base_rate
            if mean_predicted is not None and base_rate is not None
            else None
        ),
        "selection_rate": _rate(int(f_arr.sum()), n),
        "fpr": _rate(flagged_found, found),
        "fnr": _rate(digital_not_found, not_found),
    }


def fairness(
    y: npt.ArrayLike,
    p: npt.ArrayLike,
    flagged: npt.ArrayLike,
    groups: dict[str, list[str]],
    *,
    min_group_size: int = 100,
) -> dict[str, Any]:
    """The fairness report: per grouping, the metrics of each group and the largest gaps."""
    y_arr = np.asarray(y)
    p_arr = np.asarray(p, float)
    f_arr = np.asarray(flagged).astype(bool)
    report: dict[str, Any] = {}
    for grouping, labels in groups.items():
        label_arr = np.asarray(labels, dtype=object)
        rows: list[dict[str, Any]] = []
        for group in group_order(grouping, set(labels)):
            idx = np.flatnonzero(label_arr == group)
            rows.append({"group": group, **group_metrics(y_arr[idx], p_arr[idx], f_arr[idx])})
        gaps: dict[str, Any] = {}
        compared = [r for r in rows if r["n"] >= min_group_size]
        for metric in GAP_METRICS:
            defined = [r for r in compared if r[metric] is not None]
            if len(defined) < 2:
                gaps[metric] = None
                continue
            high = max(defined, key=lambda r: r[metric])
            low = min(defined, key=lambda r: r[metric])
            gaps[metric] = {
                "gap": high[metric] - low[metric],
                "highest": high["group"],
                "lowest": low["group"],
            }
        report[grouping] = {"groups": rows, "max_gap": gaps}
    return report


def evaluate_predictions(
    y: IntArray, predictions: Predictions, groups: dict[str, list[str]], *, min_group_size: int
) -> dict[str, Any]:
    """Overall metrics, the calibration table and the fairness report for given predictions."""
    overall = group_metrics(y, predictions.p, predictions.personal)
    overall["auc"] = auc(y, predictions.p)
    overall["brier"] = brier(y, predictions.p)
    overall["log_loss"] = log_loss(y, predictions.p)
    return {
        "overall": overall,
        "calibration": calibration_table(y, predictions.p),
        "fairness": fairness(
            y, predictions.p, predictions.personal, groups, min_group_size=min_group_size
        ),
        "min_group_size": min_group_size,
    }


def evaluate(
    model: m.ModelFile,
    data: Outcomes,
    *,
    min_group_size: int = 100,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Score `data` with `model` (through `model.score`) and evaluate it (JSON-ready)."""
    predictions = predict(model, data, progress=progress)
    result = evaluate_predictions(data.y, predictions, data.groups(), min_group_size=min_group_size)
    return {
        "model_version": model.version,
        "threshold_personal_at_or_below": model.thresholds.personal_at_or_below,
        **result,
    }


def model_report(
    model: m.ModelFile,
    data: Outcomes,
    *,
    name: str,
    description: str,
    sha256: str | None = None,
    min_group_size: int = 100,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """An existing model evaluated on all of `data` (no fitting), JSON-ready."""
    return {
        "kind": "model",
        "model_version": model.version,
        "data": {
            "name": name,
            "description": description,
            "sha256": sha256,
            "n": len(data),
            "base_rate": float(data.y.mean()),
        },
        "evaluation": evaluate(model, data, min_group_size=min_group_size, progress=progress),
    }
