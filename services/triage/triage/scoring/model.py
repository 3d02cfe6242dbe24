"""Model files: a logistic model of work within 12 months, its encoding, scores, explanations.

A model file (JSON, `model_files/<version>.json`) holds the intercept, one entry per feature
with its encoding and coefficient(s), the thresholds and a model card. Every feature turns
one input into a contribution on the log-odds scale; intercept + contributions = logit(p),
exactly, so an explanation always adds up to the score.

The same encoding yields the design matrix for fitting (`columns`, `design_row`) and the
model file from fitted coefficients (`with_coefficients`), so a fitted model is scored by the
very code that explains it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.common import Band, Segment
from triage.scoring.questionnaire import FORBIDDEN_KEYS, QUESTIONNAIRES
from triage.scoring.value_labels import reason_texts

MODEL_FILES = Path(__file__).resolve().parent / "model_files"
# Inputs that do not come from the questionnaire.
CLAIM_INPUTS = frozenset({"age"})


class Labels(BaseModel):
    """Dutch and English text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nl: str
    en: str


class AgeBand(BaseModel):
    """An inclusive range of a numeric input with its effect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    minimum: int
    maximum: int
    coef: float = 0.0


class Feature(BaseModel):
    """One input and how it is encoded.

    - numeric: contribution = coef * (clip(x, lower, upper) - center)
    - categorical: contribution = coefs[value] (the reference category has 0)
    - boolean: contribution = coef when true
    - bands: contribution = the coef of the band x falls in (the reference band has 0)
    A missing optional answer contributes 0 (the model's average person).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Literal["numeric", "categorical", "boolean", "bands"]
    labels: Labels
    coef: float = 0.0
    center: float = 0.0
    lower: float | None = None
    upper: float | None = None
    reference: str | None = None
    coefs: dict[str, float] = Field(default_factory=dict)
    bands: list[AgeBand] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Feature:
        if self.kind == "categorical":
            if self.reference is None or self.reference in self.coefs:
                raise ValueError(
                    f"{self.name}: a categorical feature needs a reference outside coefs"
                )
        if self.kind == "bands":
            labels = [b.label for b in self.bands]
            if not self.bands or self.reference not in labels:
                raise ValueError(f"{self.name}: bands need a reference band")
        return self


class ModelCard(BaseModel):
    """What the model is for and what it is not (published with every version)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intended_use: str
    inputs: str
    excluded_attributes: list[str]
    training_data: str
    known_limits: list[str]
    metrics: dict[str, Any] = Field(default_factory=dict)


class Thresholds(BaseModel):
    """Segment threshold and age flags."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    personal_at_or_below: float = Field(default=0.5, gt=0, lt=1)
    over_age: int = 55
    under_age: int = 27


class ModelFile(BaseModel):
    """A versioned model file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    questionnaire_version: str
    intercept: float
    features: list[Feature]
    thresholds: Thresholds = Thresholds()
    card: ModelCard

    @model_validator(mode="after")
    def _inputs_allowed(self) -> ModelFile:
        questionnaire = QUESTIONNAIRES.get(self.questionnaire_version)
        if questionnaire is None:
            raise ValueError(f"unknown questionnaire version {self.questionnaire_version}")
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("a feature appears twice")
        for name in names:
            if name in FORBIDDEN_KEYS:
                raise ValueError(f"{name} may never be a model input")
            if name not in questionnaire.by_key and name not in CLAIM_INPUTS:
                raise ValueError(f"{name} is neither a questionnaire item nor a claim input")
        return self


# Scoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One feature's effect on the log-odds, with the value it was computed from."""

    factor: str
    value: str
    contribution: float


@dataclass(frozen=True)
class Scored:
    """A score with everything needed to explain and to record it."""

    probability: float
    logit: float
    intercept: float
    band: Band
    segment: Segment
    contributions: list[Contribution]
    over_55: bool
    under_27: bool
    model_version: str


def band_for(p: float) -> Band:
    """Werkverkenner bands: 0-25, 25-50, 50-75, 75-100 (lower bound inclusive)."""
    if p < 0.25:
        return Band.B0_25
    if p < 0.5:
        return Band.B25_50
    if p < 0.75:
        return Band.B50_75
    return Band.B75_100


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)


def _clip(f: Feature, x: float) -> float:
    if f.lower is not None:
        x = max(f.lower, x)
    if f.upper is not None:
        x = min(f.upper, x)
    return x


def _band(f: Feature, x: float) -> AgeBand | None:
    for b in f.bands:
        if b.minimum <= x <= b.maximum:
            return b
    return None


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def contribution(f: Feature, value: object) -> float:
    """The feature's contribution for one input value (None: unknown, 0)."""
    if value is None:
        return 0.0
    if f.kind == "numeric":
        return f.coef * (_clip(f, float(value)) - f.center)  # type: ignore[arg-type]
    if f.kind == "boolean":
        return f.coef if value is True else 0.0
    if f.kind == "categorical":
        return f.coefs.get(str(value), 0.0)
    band = _band(f, float(value))  # type: ignore[arg-type]
    return band.coef if band is not None else 0.0


def score(model: ModelFile, answers: dict[str, object], *, age: int | None) -> Scored:
    """Score one person: answers (validated against the model's questionnaire) and age."""
    inputs: dict[str, object] = {**answers, "age": age}
    contributions: list[Contribution] = []
    for f in model.features:
        value = inputs.get(f.name)
        shown = _fmt(value) if value is not None else "unknown"
        if f.kind == "bands" and value is not None:
            band = _band(f, float(value))  # type: ignore[arg-type]
            shown = band.label if band is not None else shown
        contributions.append(Contribution(f.name, shown, contribution(f, value)))
    logit = model.intercept + math.fsum(c.contribution for c in contributions)
    p = _sigmoid(logit)
    return Scored(
        probability=p,
        logit=logit,
        intercept=model.intercept,
        band=band_for(p),
        segment=Segment.PERSONAL if p <= model.thresholds.personal_at_or_below else Segment.DIGITAL,
        contributions=contributions,
        over_55=age is not None and age >= model.thresholds.over_age,
        under_27=age is not None and age < model.thresholds.under_age,
        model_version=model.version,
    )


# Explanations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """A hindering factor in plain language."""

    factor: str
    contribution: float
    nl: str
    en: str


def hindering(model: ModelFile, scored: Scored, *, top: int = 3) -> list[Reason]:
    """The `top` factors that lower the chance most (negative contributions only)."""
    labels = {f.name: f.labels for f in model.features}
    worst = sorted(
        (c for c in scored.contributions if c.contribution < 0), key=lambda c: c.contribution
    )
    out: list[Reason] = []
    for c in worst[:top]:
        label = labels[c.factor]
        nl, en = reason_texts(c.factor, label.nl, label.en, c.value)
        out.append(Reason(factor=c.factor, contribution=c.contribution, nl=nl, en=en))
    return out


# Encoding for fitting and batch scoring -----------------------------------------------------


def columns(model: ModelFile) -> list[tuple[str, str | None]]:
    """The design-matrix columns: (feature, category or band or None), in model order."""
    cols: list[tuple[str, str | None]] = []
    for f in model.features:
        if f.kind in ("numeric", "boolean"):
            cols.append((f.name, None))
        elif f.kind == "categorical":
            cols.extend((f.name, k) for k in sorted(f.coefs))
        else:
            cols.extend((f.name, b.label) for b in f.bands if b.label != f.reference)
    return cols


def coefficient_vector(model: ModelFile) -> list[float]:
    """The coefficients in `columns` order."""
    by_name = {f.name: f for f in model.features}
    out: list[float] = []
    for name, level in columns(model):
        f = by_name[name]
        if level is None:
            out.append(f.coef)
        elif f.kind == "categorical":
            out.append(f.coefs[level])
        else:
            out.append(next(b.coef for b in f.bands if b.label == level))
    return out


def design_row(model: ModelFile, answers: dict[str, object], *, age: int | None) -> list[float]:
    """One person's encoded inputs: dot(design_row, coefficient_vector) + intercept = logit."""
    inputs: dict[str, object] = {**answers, "age": age}
    row: list[float] = []
    for f in model.features:
        value = inputs.get(f.name)
        if f.kind == "numeric":
            row.append(0.0 if value is None else _clip(f, float(value)) - f.center)  # type: ignore[arg-type]
        elif f.kind == "boolean":
            row.append(1.0 if value is True else 0.0)
        elif f.kind == "categorical":
            row.extend(1.0 if value == k else 0.0 for k in sorted(f.coefs))
        else:
            band = _band(f, float(value)) if value is not None else None  # type: ignore[arg-type]
            row.extend(
                1.0 if band is not None and band.label == b.label else 0.0
                for b in f.bands
                if b.label != f.reference
            )
    return row


def with_coefficients(
    model: ModelFile,
    *,
    version: str,
    intercept: float,
    coefficients: list[float],
    card: ModelCard,
) -> ModelFile:
    """A new model file with the same encoding and new (fitted) coefficients."""
    cols = columns(model)
    if len(coefficients) != len(cols):
        raise ValueError(f"expected {len(cols)} coefficients, got {len(coefficients)}")
    fitted = dict(zip(cols, coefficients, strict=True))
    features: list[Feature] = []
    for f in model.features:
        if f.kind in ("numeric", "boolean"):
            features.append(f.model_copy(update={"coef": fitted[(f.name, None)]}))
        elif f.kind == "categorical":
            features.append(
                f.model_copy(update={"coefs": {k: fitted[(f.name, k)] for k in f.coefs}})
            )
        else:
            bands = [
                b
                if b.label == f.reference
                else b.model_copy(update={"coef": fitted[(f.name, b.label)]})
                for b in f.bands
            ]
            features.append(f.model_copy(update={"bands": bands}))
    return model.model_copy(
        update={"version": version, "intercept": intercept, "features": features, "card": card}
    )


# Files --------------------------------------------------------------------------------------


def load(path: Path) -> ModelFile:
    """Read and validate a model file."""
    return ModelFile.model_validate(json.loads(path.read_text(encoding="utf-8")))


def dump(model: ModelFile) -> str:
    """A model file's canonical JSON text."""
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def shipped() -> dict[str, ModelFile]:
    """The model files shipped with the service, by version."""
    return {m.version: m for m in (load(p) for p in sorted(MODEL_FILES.glob("*.json")))}


DEFAULT_VERSION = "werkverkenner-2026.1"
