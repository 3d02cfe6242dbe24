"""Fit a new model version from outcome data (`ww triage fit`).

The design matrix is the base model's encoding (`model.design_row`: its bands, reference
categories, centres and clipping), so the fitted model file is the base file with new
coefficients (`model.with_coefficients`) and is scored and explained by the same code.

The fit is a maximum-likelihood logistic regression (scikit-learn `LogisticRegression`,
solver newton-cholesky, `C=inf`: no penalty), so coefficients are directly comparable to
the base model's and have the usual standard errors (inverse Fisher information). A weak
L2 penalty can be asked for (`penalty_c`, scikit-learn's C: the penalty is
||beta||^2 / (2C) added to the summed log-loss) when a sparse category is (nearly)
separated; the report then says so and the standard errors are only approximate.

The data is split at random (seeded) into a training part and a held-out part; every
metric and the fairness report are computed on the held-out part, for the fitted model
and, for comparison, the base model. A design column that is constant in the training
part (a category nobody has) cannot be estimated: its coefficient is kept at 0 (the
reference) and the report lists it.

Nothing here activates a model: activation is a separate, audited admin action.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from triage.scoring import model as m
from triage_fitting.data import Outcomes, Progress, design_matrix, no_progress
from triage_fitting.evaluate import GROUPINGS, evaluate

COEFFICIENT_DECIMALS = 4  # model files carry rounded coefficients; metrics use these


@dataclass(frozen=True)
class LogisticFit:
    """Fitted intercept and coefficients (design-column order) with standard errors."""

    intercept: float
    coefficients: list[float]
    intercept_se: float
    standard_errors: list[float | None]  # None: not estimated (constant column)
    not_estimated: list[int]
    iterations: int


@dataclass(frozen=True)
class FitResult:
    """The new model file and the fit report (JSON-ready)."""

    model: m.ModelFile
    report: dict[str, Any]


def split(
    n: int, *, test_fraction: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Seeded random split into (train, test) row indices, each sorted."""
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(n * test_fraction))
    if n - n_test < 1:
        raise ValueError("too few rows to split")
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def fit_logistic(
    x: npt.NDArray[np.float64], y: npt.ArrayLike, *, penalty_c: float | None = None
) -> LogisticFit:
    """Maximum-likelihood (or weakly L2-penalised) logistic regression with an intercept."""
    from sklearn.linear_model import LogisticRegression

    y_arr = np.asarray(y).astype(int)
    if y_arr.min() == y_arr.max():
        raise ValueError("the outcome takes only one value: nothing to fit")
    varying = np.flatnonzero(x.max(axis=0) != x.min(axis=0))
    not_estimated = [j for j in range(x.shape[1]) if j not in set(varying.tolist())]
    xv = x[:, varying]
    clf = LogisticRegression(
        C=math.inf if penalty_c is None else penalty_c,
        solver="newton-cholesky",
        max_iter=200,
        tol=1e-10,
    )
    clf.fit(xv, y_arr)
    intercept = float(clf.intercept_[0])
    beta = clf.coef_[0]
    # Standard errors: sqrt(diag((X1' W X1)^-1)), X1 = [1, X], W = p(1 - p).
    x1 = np.column_stack([np.ones(len(xv)), xv])
    p = 1.0 / (1.0 + np.exp(-(x1 @ np.concatenate([[intercept], beta]))))
    information = x1.T @ (x1 * (p * (1 - p))[:, None])
    cov = np.linalg.pinv(information)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    coefficients = [0.0] * x.shape[1]
    errors: list[float | None] = [None] * x.shape[1]
    for k, j in enumerate(varying.tolist()):
        coefficients[j] = float(beta[k])
        errors[j] = float(se[k + 1])
    return LogisticFit(
        intercept=intercept,
        coefficients=coefficients,
        intercept_se=float(se[0]),
        standard_errors=errors,
        not_estimated=not_estimated,
        iterations=int(np.max(clf.n_iter_)),
    )


def _fitter_name(penalty_c: float | None) -> str:
    import sklearn

    penalty = "unpenalised" if penalty_c is None else f"L2 penalty, C={penalty_c:g}"
    return (
        f"scikit-learn {sklearn.__version__} LogisticRegression "
        f"(maximum likelihood, newton-cholesky, {penalty})"
    )


def _max_gaps(fairness: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """The largest gap per grouping and metric (the headline of the fairness report)."""
    return {
        grouping: {
            metric: (gap["gap"] if gap is not None else None)
            for metric, gap in fairness[grouping]["max_gap"].items()
        }
        for grouping in GROUPINGS
        if grouping in fairness
    }


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def fit(
    base: m.ModelFile,
    data: Outcomes,
    *,
    version: str,
    data_description: str,
    seed: int = 1,
    test_fraction: float = 0.2,
    penalty_c: float | None = None,
    min_group_size: int = 100,
    data_sha256: str | None = None,
    progress: Progress = no_progress,
) -> FitResult:
    """Fit `base`'s encoding on the training part; evaluate on the held-out part."""
    if version == base.version:
        raise ValueError("the new version must differ from the base version")
    if data.questionnaire_version != base.questionnaire_version:
        raise ValueError("the data and the base model use different questionnaire versions")
    train_idx, test_idx = split(len(data), test_fraction=test_fraction, seed=seed)
    train, test = data.subset(train_idx), data.subset(test_idx)
    x = design_matrix(base, train, progress=progress)
    done = progress("fitting the logistic regression", None)
    result = fit_logistic(x, train.y, penalty_c=penalty_c)
    done(1)
    fitter = _fitter_name(penalty_c)
    coefficients = [round(c, COEFFICIENT_DECIMALS) for c in result.coefficients]
    intercept = round(result.intercept, COEFFICIENT_DECIMALS)
    provisional = m.with_coefficients(
        base, version=version, intercept=intercept, coefficients=coefficients, card=base.card
    )
    fitted_eval = evaluate(provisional, test, min_group_size=min_group_size, progress=progress)
    base_eval = evaluate(base, test, min_group_size=min_group_size, progress=progress)

    overall = fitted_eval["overall"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    training_data = (
        f"{data_description}. {len(data)} claimants: {len(train)} used for fitting, "
        f"{len(test)} held out at random (seed {seed}) for the metrics; share that found "
        f"work within 12 months {float(data.y.mean()):.3f}. Encoding of {base.version}; "
        f"fitted with {fitter} on {today}."
    )
    known_limits = [
        f"Fitted on: {data_description}. The probabilities hold for a population like that "
        "one; recheck calibration and the fairness report on current data before activation "
        "and after.",
        "Metrics are on a random hold-out of the same data, not on a later period: drift "
        "over time is not measured.",
        "Outcomes were observed under the service people received (a coach or not), so "
        "the data mixes the claimant's chance with the effect of that service.",
        *[limit for limit in base.card.known_limits if not limit.startswith("Not fitted")],
    ]
    if result.not_estimated:
        cols = m.columns(base)
        names = ", ".join(f"{cols[j][0]}={cols[j][1]}" for j in result.not_estimated)
        known_limits.append(f"Not estimable from the data (kept at 0, the reference): {names}.")
    metrics: dict[str, Any] = {
        "evaluated_on": f"held-out {test_fraction:.0%} (n={len(test)}, split seed {seed})",
        "n": len(data),
        "n_train": len(train),
        "n_test": len(test),
        "auc": _round(overall["auc"]),
        "brier": _round(overall["brier"]),
        "log_loss": _round(overall["log_loss"]),
        "base_rate": _round(overall["base_rate"]),
        "mean_predicted": _round(overall["mean_predicted"]),
        "selection_rate_personal": _round(overall["selection_rate"]),
        "fpr_flagged_but_found_work": _round(overall["fpr"]),
        "fnr_digital_but_no_work": _round(overall["fnr"]),
        "base_model": base.version,
        "base_model_auc": _round(base_eval["overall"]["auc"]),
        "base_model_brier": _round(base_eval["overall"]["brier"]),
        "fairness_max_gaps": {
            grouping: {k: _round(v) for k, v in gaps.items()}
            for grouping, gaps in _max_gaps(fitted_eval["fairness"]).items()
        },
        "fairness_min_group_size": min_group_size,
        "fitter": fitter,
        "fitted_on": today,
    }
    if data_sha256 is not None:
        metrics["data_sha256"] = data_sha256
    card = base.card.model_copy(
        update={"training_data": training_data, "known_limits": known_limits, "metrics": metrics}
    )
    fitted = provisional.model_copy(update={"card": card})
    fitted = m.ModelFile.model_validate(fitted.model_dump())  # the file as it will be read

    cols = m.columns(base)
    base_coefs = m.coefficient_vector(base)
    report = {
        "kind": "fit",
        "model_version": version,
        "base_version": base.version,
        "data": {
            "description": data_description,
            "sha256": data_sha256,
            "n": len(data),
            "n_train": len(train),
            "n_test": len(test),
            "split_seed": seed,
            "test_fraction": test_fraction,
            "base_rate": float(data.y.mean()),
        },
        "fitter": {
            "name": fitter,
            "penalty_c": penalty_c,
            "iterations": result.iterations,
            "coefficient_decimals": COEFFICIENT_DECIMALS,
        },
        "coefficients": [
            {
                "feature": "intercept",
                "level": None,
                "base": base.intercept,
                "fitted": intercept,
                "se": result.intercept_se,
            },
            *[
                {
                    "feature": name,
                    "level": level,
                    "base": b,
                    "fitted": c,
                    "se": se,
                }
                for (name, level), b, c, se in zip(
                    cols, base_coefs, coefficients, result.standard_errors, strict=True
                )
            ],
        ],
        "not_estimated": [
            {"feature": cols[j][0], "level": cols[j][1]} for j in result.not_estimated
        ],
        "held_out": {"fitted": fitted_eval, "base": base_eval},
    }
    return FitResult(model=fitted, report=report)
