"""Synthetic claimants with outcomes drawn from a known model (`ww triage synth`).

Answers are generated from a few latent traits so that they correlate the way they do in
WW inflow: education drives occupation level, sector, digital skills and work history;
age drives work history, health, expectations and digital skills; health drives work
limitations, mobility and self-efficacy; a motivation trait drives job-search intention,
self-efficacy and expectations. The shares per answer are plausible, not measured: they
are for demos and for checking that fitting recovers a known model, never for conclusions.

The outcome `found_work_12m` is drawn from the true model's probability (computed by
`model.score`), shifted in a scenario by effects the model does not see:

- `model`: nothing else; the model is then perfectly calibrated by construction.
- `regional`: a regional labour-market effect on the log-odds the model cannot see
  (region is not an input): noord -0.6, oost 0, west +0.2, zuid -0.2. The fairness report
  should show the model over-predicting in noord (and zuid) and under-predicting in west.

Everything is drawn from one seeded `numpy.random.Generator`: the same n, seed, scenario
and true model give the same rows, byte for byte once written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from shared.reference import load_offices
from triage.scoring import model as m
from triage.scoring.questionnaire import OCCUPATION_LEVELS
from triage_fitting.data import (
    AGE,
    OFFICE,
    OUTCOME,
    REGION,
    Progress,
    csv_columns,
    no_progress,
    sha256,
    write_csv,
)
from triage_fitting.groups import region_of

Array = npt.NDArray[np.float64]
MIN_AGE, MAX_AGE = 18, 66


@dataclass(frozen=True)
class Scenario:
    """How the outcome is drawn: the true model plus effects the model does not see."""

    name: str
    description: str
    region_logit_shift: dict[str, float] = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {
    "model": Scenario("model", "found_work_12m drawn from the true model alone"),
    "regional": Scenario(
        "regional",
        "found_work_12m drawn from the true model plus a regional labour-market effect the "
        "model does not see (log-odds: noord -0.6, oost 0, west +0.2, zuid -0.2)",
        {"noord": -0.6, "oost": 0.0, "west": 0.2, "zuid": -0.2},
    ),
}

# Education in the order of the latent trait (vocational = MBO sits below HAVO/VWO).
_EDU_ORDER = (
    "primary",
    "lower_secondary",
    "vocational",
    "upper_secondary",
    "bachelor",
    "master_or_higher",
)
_EDU_SHARES = (0.05, 0.16, 0.34, 0.10, 0.22, 0.13)
_EDU_START_AGE = {
    "primary": 16,
    "lower_secondary": 17,
    "vocational": 20,
    "upper_secondary": 18,
    "bachelor": 22,
    "master_or_higher": 24,
}
_OCC_SHARES = (0.12, 0.25, 0.33, 0.20, 0.10)  # elementary .. academic
# Sector: share in WW inflow and how strongly a higher occupation level pulls towards it.
_SECTOR = {
    "agriculture": (0.02, -0.5),
    "manufacturing": (0.10, -0.2),
    "construction": (0.06, -0.5),
    "retail": (0.12, -0.5),
    "logistics": (0.08, -0.5),
    "hospitality": (0.08, -0.6),
    "ict": (0.05, 0.6),
    "finance": (0.04, 0.5),
    "business_services": (0.15, 0.1),
    "public_administration": (0.04, 0.4),
    "education": (0.05, 0.5),
    "healthcare": (0.12, 0.0),
    "culture": (0.03, 0.3),
    "other": (0.06, 0.0),
}
_SECTOR_HOURS = {
    "agriculture": 38,
    "manufacturing": 37,
    "construction": 39,
    "retail": 25,
    "logistics": 36,
    "hospitality": 24,
    "ict": 38,
    "finance": 36,
    "business_services": 33,
    "public_administration": 34,
    "education": 30,
    "healthcare": 28,
    "culture": 26,
    "other": 32,
}
_LANGUAGE = ("native", "fluent", "basic", "none")
_LANGUAGE_SHARES = (0.78, 0.12, 0.07, 0.03)
_LANGUAGE_REGION_SHIFT = {"noord": 0.25, "oost": 0.15, "west": -0.2, "zuid": 0.1}


def _cuts(shares: Sequence[float]) -> Array:
    """Thresholds on a standard normal latent that give these shares."""
    cumulative = np.cumsum(shares)[:-1]
    return np.array([NormalDist().inv_cdf(float(c)) for c in cumulative])


def _ordinal(latent: Array, shares: Sequence[float]) -> npt.NDArray[np.int64]:
    """0..len(shares)-1 by cutting a (roughly standard normal) latent."""
    return np.searchsorted(_cuts(shares), latent).astype(np.int64)


def _mix(rng: np.random.Generator, n: int, **weights: tuple[float, Array]) -> Array:
    """A standard-normal-ish latent: weighted traits plus independent noise for the rest."""
    total = np.zeros(n)
    used = 0.0
    for weight, trait in weights.values():
        total += weight * trait
        used += weight * weight
    return total + math.sqrt(max(1.0 - used, 0.05)) * rng.standard_normal(n)


def _sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-x))


def generate(
    n: int,
    *,
    seed: int,
    true_model: m.ModelFile | None = None,
    scenario: str = "model",
    progress: Progress = no_progress,
) -> list[dict[str, object]]:
    """n synthetic claimants: answers, age, region, office code and found_work_12m.

    The draws happen in a fixed order (place, traits, work, well-being, skills, history,
    outcome) from one generator: the same arguments give the same rows."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {sorted(SCENARIOS)}")
    model = true_model or m.shipped()[m.DEFAULT_VERSION]
    if model.questionnaire_version != "1":
        raise ValueError("synthetic answers exist for questionnaire version 1 only")
    rng = np.random.default_rng(seed)
    office_code, region = _place(rng, n)
    traits = _traits(rng, n)
    columns = _work(rng, n, traits)
    columns |= _wellbeing(rng, n, traits)
    columns |= _skills(rng, n, traits, region, columns["work_limitations"])
    columns |= _history(rng, n, traits, columns["years_work_history"])
    answer_rows = [{k: columns[k][i] for k in _ANSWER_KEYS} for i in range(n)]
    return _with_outcomes(
        rng,
        answer_rows,
        model=model,
        age=traits.age,
        region=region,
        office_code=office_code,
        shift=SCENARIOS[scenario].region_logit_shift,
        progress=progress,
    )


# The answers of a row, in the order of the questionnaire.
_ANSWER_KEYS = (
    "education_level",
    "years_work_history",
    "last_sector",
    "last_occupation_level",
    "hours_per_week",
    "self_rated_health",
    "work_limitations",
    "job_search_intention",
    "self_efficacy",
    "expectation",
    "social_network",
    "dutch_language",
    "digital_skills",
    "mobility",
    "driving_licence",
    "previous_unemployment_spells",
    "severance_received",
    "reservation_wage_ratio",
    "months_since_last_training",
    "willing_to_retrain",
)
Columns = dict[str, list[object]]


@dataclass(frozen=True)
class _Traits:
    """Age and the latent traits the answers are drawn from."""

    age: npt.NDArray[np.int64]
    age_std: Array
    edu: Array
    health: Array
    motivation: Array
    occ: Array


def _place(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Office and region: weighted by the postcode areas an office serves (a rough stand-in
    for its population)."""
    offices = load_offices().offices
    weights = np.array([sum(hi - lo + 1 for lo, hi in o.postcode_ranges) for o in offices], float)
    office_idx = rng.choice(len(offices), size=n, p=weights / weights.sum())
    office_code = [offices[i].code for i in office_idx]
    office_region = {o.code: region_of(o) for o in offices}
    return office_code, [office_region[c] for c in office_code]


def _traits(rng: np.random.Generator, n: int) -> _Traits:
    """Age 18-66, mean about 43 (WW inflow is older than the labour force), and the traits."""
    age = (MIN_AGE + np.floor(rng.beta(1.35, 1.25, n) * (MAX_AGE - MIN_AGE + 1))).astype(int)
    age_std = (age - 42.0) / 13.0
    edu_trait = _mix(rng, n, cohort=(-0.15, age_std))
    health = _mix(rng, n, age=(-0.35, age_std), edu=(0.15, edu_trait))
    motivation = rng.standard_normal(n)
    occ_trait = _mix(rng, n, edu=(0.65, edu_trait))
    return _Traits(age, age_std, edu_trait, health, motivation, occ_trait)


def _work(rng: np.random.Generator, n: int, t: _Traits) -> Columns:
    """Education, occupation level, sector, years of work history and hours per week."""
    edu_idx = _ordinal(t.edu, _EDU_SHARES)
    edu_idx = np.where((t.age < 22) & (edu_idx >= 4), 3, edu_idx)  # no degree before 22
    edu_idx = np.where((t.age < 24) & (edu_idx == 5), 4, edu_idx)
    education = [_EDU_ORDER[i] for i in edu_idx]
    occupation = [OCCUPATION_LEVELS[i] for i in _ordinal(t.occ, _OCC_SHARES)]

    sector_names = list(_SECTOR)
    base = np.log(np.array([_SECTOR[s][0] for s in sector_names]))
    slope = np.array([_SECTOR[s][1] for s in sector_names])
    utility = base + np.outer(t.occ, slope) + rng.gumbel(size=(n, len(sector_names)))
    sector = [sector_names[i] for i in utility.argmax(axis=1)]

    start_age = np.array([_EDU_START_AGE[e] for e in education])
    possible = np.maximum(t.age - start_age, 0)
    years = np.round(possible * rng.uniform(0.55, 1.0, n)).astype(int)
    years = np.clip(np.minimum(years, np.maximum(t.age - 15, 0)), 0, 60)

    hours = np.array([_SECTOR_HOURS[s] for s in sector]) + 7.0 * rng.standard_normal(n)
    hours = np.clip(np.round(hours), 4, 60).astype(int)
    return {
        "education_level": list(education),
        "years_work_history": [int(v) for v in years],
        "last_sector": list(sector),
        "last_occupation_level": list(occupation),
        "hours_per_week": [int(v) for v in hours],
    }


def _wellbeing(rng: np.random.Generator, n: int, t: _Traits) -> Columns:
    """Health, work limitations, intention, self-efficacy, expectation and network."""
    self_health = 1 + _ordinal(t.health, (0.02, 0.08, 0.24, 0.43, 0.23))
    limitation_idx = _ordinal(_mix(rng, n, health=(-0.75, t.health)), (0.78, 0.16, 0.06))
    intention = 1 + _ordinal(
        _mix(rng, n, mot=(0.7, t.motivation), health=(0.1, t.health)),
        (0.02, 0.06, 0.20, 0.42, 0.30),
    )
    efficacy = 1 + _ordinal(
        _mix(
            rng,
            n,
            mot=(0.45, t.motivation),
            health=(0.3, t.health),
            edu=(0.15, t.edu),
            age=(-0.2, t.age_std),
        ),
        (0.02, 0.07, 0.25, 0.44, 0.22),
    )
    expectation = 1 + _ordinal(
        _mix(
            rng,
            n,
            mot=(0.35, t.motivation),
            health=(0.25, t.health),
            edu=(0.15, t.edu),
            age=(-0.35, t.age_std),
        ),
        (0.04, 0.10, 0.27, 0.38, 0.21),
    )
    network = 1 + _ordinal(
        _mix(rng, n, occ=(0.3, t.occ), mot=(0.2, t.motivation)), (0.08, 0.20, 0.36, 0.26, 0.10)
    )
    return {
        "self_rated_health": [int(v) for v in self_health],
        "work_limitations": [("none", "some", "severe")[i] for i in limitation_idx],
        "job_search_intention": [int(v) for v in intention],
        "self_efficacy": [int(v) for v in efficacy],
        "expectation": [int(v) for v in expectation],
        "social_network": [int(v) for v in network],
    }


def _skills(
    rng: np.random.Generator,
    n: int,
    t: _Traits,
    region: Sequence[str],
    limitations: Sequence[object],
) -> Columns:
    """Dutch language, digital skills, driving licence and mobility."""
    region_shift = np.array([_LANGUAGE_REGION_SHIFT[r] for r in region])
    # Lower latent = weaker Dutch; the shares hold roughly over all regions together.
    language_latent = _mix(rng, n, edu=(0.2, t.edu)) + region_shift
    language_idx = (len(_LANGUAGE) - 1) - _ordinal(language_latent, _LANGUAGE_SHARES[::-1])
    weak_dutch = language_idx >= 2
    digital = 1 + _ordinal(
        _mix(
            rng,
            n,
            edu=(0.45, t.edu),
            age=(-0.35, t.age_std),
            lang=(0.2, -language_idx.astype(float)),
        ),
        (0.05, 0.12, 0.33, 0.32, 0.18),
    )
    licence = rng.random(n) < _sigmoid(1.6 + 0.4 * t.occ - 0.8 * (t.age < 23) - 0.8 * weak_dutch)
    mobility_draw = rng.random(n)
    return {
        "dutch_language": [_LANGUAGE[i] for i in language_idx],
        "digital_skills": [int(v) for v in digital],
        "mobility": [
            _mobility(str(limitations[i]), bool(licence[i]), float(mobility_draw[i]))
            for i in range(n)
        ],
        "driving_licence": [bool(v) for v in licence],
    }


def _mobility(limitations: str, licence: bool, draw: float) -> str:
    """How a claimant gets to work, from a uniform draw: limited, car, public transport, bicycle."""
    limited = {"none": 0.02, "some": 0.08, "severe": 0.35}[limitations]
    if licence:
        options = (("limited", limited), ("car", 0.74), ("public_transport", 0.12))
    else:
        options = (("limited", limited + 0.06), ("public_transport", 0.50), ("bicycle", 1.0))
    cumulative = 0.0
    for value, share in options:
        cumulative += share
        if draw < cumulative:
            return value
    return "bicycle"


def _history(
    rng: np.random.Generator, n: int, t: _Traits, years_work_history: Sequence[object]
) -> Columns:
    """Unemployment spells, severance, reservation wage, training and willingness to retrain."""
    years = np.array(years_work_history, dtype=int)
    spells = rng.poisson(np.exp(-0.75 - 0.35 * t.occ + 0.15 * (t.age < 35)))
    spells = np.clip(spells, 0, 20)
    severance = rng.random(n) < _sigmoid(-0.9 + 0.06 * (years - 10))
    wanted = 0.97 + 0.04 * severance + 0.03 * t.edu + 0.12 * rng.standard_normal(n)
    reservation = np.round(np.clip(wanted, 0.3, 2.0), 2)

    training_missing = rng.random(n) < 0.2 + 0.1 * (t.age >= 55)
    training_scale = 30.0 * np.exp(0.3 * t.age_std - 0.3 * t.edu)
    training = np.clip(np.round(rng.exponential(training_scale)), 0, 600).astype(int)
    retrain_missing = rng.random(n) < 0.15
    retrain = rng.random(n) < _sigmoid(0.6 - 0.5 * t.age_std + 0.3 * t.motivation)
    return {
        "previous_unemployment_spells": [int(v) for v in spells],
        "severance_received": [bool(v) for v in severance],
        "reservation_wage_ratio": [float(v) for v in reservation],
        "months_since_last_training": [
            None if training_missing[i] else int(training[i]) for i in range(n)
        ],
        "willing_to_retrain": [None if retrain_missing[i] else bool(retrain[i]) for i in range(n)],
    }


def _with_outcomes(
    rng: np.random.Generator,
    answer_rows: list[dict[str, object]],
    *,
    model: m.ModelFile,
    age: npt.NDArray[np.int64],
    region: Sequence[str],
    office_code: Sequence[str],
    shift: dict[str, float],
    progress: Progress,
) -> list[dict[str, object]]:
    """Add age, region, office and found_work_12m (drawn from the true model's probability,
    shifted by the scenario's regional effect) to each row."""
    n = len(answer_rows)
    outcome_draw = rng.random(n)
    advance = progress("drawing claimants", n)
    for i, row in enumerate(answer_rows):
        answers = {k: v for k, v in row.items() if v is not None}
        logit = m.score(model, answers, age=int(age[i])).logit + shift.get(region[i], 0.0)
        p = 1.0 / (1.0 + math.exp(-logit))
        row[AGE] = int(age[i])
        row[REGION] = region[i]
        row[OFFICE] = office_code[i]
        row[OUTCOME] = int(outcome_draw[i] < p)
        if (i + 1) % 1000 == 0:
            advance(1000)
    advance(n % 1000)
    return answer_rows


def write(
    path: Path,
    rows: Sequence[dict[str, object]],
    *,
    seed: int,
    scenario: str,
    true_model: m.ModelFile,
) -> Path:
    """Write the CSV and a `<name>.meta.json` beside it saying how it was made."""
    write_csv(path, rows, csv_columns(true_model.questionnaire_version))
    meta_path = meta_path_for(path)
    meta = {
        "generator": "ww triage synth",
        "synthetic": True,
        "n": len(rows),
        "seed": seed,
        "scenario": scenario,
        "scenario_description": SCENARIOS[scenario].description,
        "true_model": true_model.version,
        "csv_sha256": sha256(path),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta_path


def meta_path_for(path: Path) -> Path:
    """Where the description of a synthetic CSV lives."""
    return path.with_name(path.name + ".meta.json")


def read_meta(path: Path) -> dict[str, object] | None:
    """The synth description of this exact CSV, if there is one (and it still matches)."""
    meta_path = meta_path_for(path)
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if not isinstance(meta, dict) or meta.get("csv_sha256") != sha256(path):
        return None
    return meta
