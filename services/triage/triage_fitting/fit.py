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
    coefficients = [round(c, COEFFICIENT_DECIMALS) for c in result.coefficients]
    intercept = round(result.intercept, COEFFICIENT_DECIMALS)
    provisional = m.with_coefficients(
        base, version=version, intercept=intercept, coefficients=coefficients, card=base.card
    )
    run = _Run(
        base=base,
        data=data,
        n_train=len(train),
        n_test=len(test),
        data_description=data_description,
        data_sha256=data_sha256,
        seed=seed,
        test_fraction=test_fraction,
        penalty_c=penalty_c,
        min_group_size=min_group_size,
        result=result,
        intercept=intercept,
        coefficients=coefficients,
        fitter=_fitter_name(penalty_c),
        today=dt.datetime.now(dt.UTC).date().isoformat(),
        fitted_eval=evaluate(provisional, test, min_group_size=min_group_size, progress=progress),
        base_eval=evaluate(base, test, min_group_size=min_group_size, progress=progress),
    )
    card = base.card.model_copy(
        update={
            "training_data": _training_data(run),
            "known_limits": _known_limits(run),
            "metrics": _metrics(run),
        }
    )
    fitted = provisional.model_copy(update={"card": card})
    fitted = m.ModelFile.model_validate(fitted.model_dump())  # the file as it will be read
    return FitResult(model=fitted, report=_report(run, version))


@dataclass(frozen=True)
class _Run:
    """One fit: its inputs, the fitted (rounded) coefficients and both models' evaluation."""

    base: m.ModelFile
    data: Outcomes
    n_train: int
    n_test: int
    data_description: str
    data_sha256: str | None
    seed: int
    test_fraction: float
    penalty_c: float | None
    min_group_size: int
    result: LogisticFit
    intercept: float
    coefficients: list[float]
    fitter: str
    today: str
    fitted_eval: dict[str, Any]
    base_eval: dict[str, Any]


def _training_data(run: _Run) -> str:
    """The model card's description of the training data."""
    return (
        f"{run.data_description}. {len(run.data)} claimants: {run.n_train} used for fitting, "
        f"{run.n_test} held out at random (seed {run.seed}) for the metrics; share that found "
        f"work within 12 months {float(run.data.y.mean()):.3f}. Encoding of {run.base.version}; "
        f"fitted with {run.fitter} on {run.today}."
    )


def _known_limits(run: _Run) -> list[str]:
    """The model card's known limits: of fitting on this data, then the base model's."""
    known_limits = [
        f"Fitted on: {run.data_description}. The probabilities hold for a population like that "
        "one; recheck calibration and the fairness report on current data before activation "
        "and after.",
        "Metrics are on a random hold-out of the same data, not on a later period: drift "
        "over time is not measured.",
        "Outcomes were observed under the service people received (a coach or not), so "
        "the data mixes the claimant's chance with the effect of that service.",
        *[limit for limit in run.base.card.known_limits if not limit.startswith("Not fitted")],
    ]
    if run.result.not_estimated:
        cols = m.columns(run.base)
        names = ", ".join(f"{cols[j][0]}={cols[j][1]}" for j in run.result.not_estimated)
        known_limits.append(f"Not estimable from the data (kept at 0, the reference): {names}.")
    return known_limits


def _metrics(run: _Run) -> dict[str, Any]:
    """The model card's metrics: the fitted model on the held-out part, beside the base."""
    overall = run.fitted_eval["overall"]
    metrics: dict[str, Any] = {
        "evaluated_on": (
            f"held-out {run.test_fraction:.0%} (n={run.n_test}, split seed {run.seed})"
        ),
        "n": len(run.data),
        "n_train": run.n_train,
        "n_test": run.n_test,
        "auc": _round(overall["auc"]),
        "brier": _round(overall["brier"]),
        "log_loss": _round(overall["log_loss"]),
        "base_rate": _round(overall["base_rate"]),
        "mean_predicted": _round(overall["mean_predicted"]),
        "selection_rate_personal": _round(overall["selection_rate"]),
        "fpr_flagged_but_found_work": _round(overall["fpr"]),
        "fnr_digital_but_no_work": _round(overall["fnr"]),
        "base_model": run.base.version,
        "base_model_auc": _round(run.base_eval["overall"]["auc"]),
        "base_model_brier": _round(run.base_eval["overall"]["brier"]),
        "fairness_max_gaps": {
            grouping: {k: _round(v) for k, v in gaps.items()}
            for grouping, gaps in _max_gaps(run.fitted_eval["fairness"]).items()
        },
        "fairness_min_group_size": run.min_group_size,
        "fitter": run.fitter,
        "fitted_on": run.today,
    }
    if run.data_sha256 is not None:
        metrics["data_sha256"] = run.data_sha256
    return metrics


def _report(run: _Run, version: str) -> dict[str, Any]:
    """The fit report (JSON): data, fitter, every coefficient beside the base's, evaluations."""
    cols = m.columns(run.base)
    base_coefs = m.coefficient_vector(run.base)
    return {
        "kind": "fit",
        "model_version": version,
        "base_version": run.base.version,
        "data": {
            "description": run.data_description,
            "sha256": run.data_sha256,
            "n": len(run.data),
            "n_train": run.n_train,
            "n_test": run.n_test,
            "split_seed": run.seed,
            "test_fraction": run.test_fraction,
            "base_rate": float(run.data.y.mean()),
        },
        "fitter": {
            "name": run.fitter,
            "penalty_c": run.penalty_c,
            "iterations": run.result.iterations,
            "coefficient_decimals": COEFFICIENT_DECIMALS,
        },
        "coefficients": [
            {
                "feature": "intercept",
                "level": None,
                "base": run.base.intercept,
                "fitted": run.intercept,
                "se": run.result.intercept_se,
            },
            *[
                {"feature": name, "level": level, "base": b, "fitted": c, "se": se}
                for (name, level), b, c, se in zip(
                    cols, base_coefs, run.coefficients, run.result.standard_errors, strict=True
                )
            ],
        ],
        "not_estimated": [
            {"feature": cols[j][0], "level": cols[j][1]} for j in run.result.not_estimated
        ],
        "held_out": {"fitted": run.fitted_eval, "base": run.base_eval},
    }
