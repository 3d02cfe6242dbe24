"""Outcome data: the CSV format, reading it with validation, and the design matrix.

One row per claimant: one column per questionnaire item (English key; an empty cell is a
missing optional answer), `age`, `region` and `office_code` (for the fairness report only,
never model inputs) and `found_work_12m` (1 when the claimant worked within 12 months of
the start of WW, else 0). Booleans are `true`/`false`. Other columns are ignored.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from shared.events.common import Segment
from triage.scoring import model as m
from triage.scoring.questionnaire import QUESTIONNAIRES, Item, Questionnaire, validate
from triage_fitting.groups import UNKNOWN, age_band

OUTCOME = "found_work_12m"
AGE = "age"
REGION = "region"
OFFICE = "office_code"
AGE_RANGE = (15, 80)

Advance = Callable[[int], None]
# progress(description, total) -> advance(k); total None is an indeterminate step.
Progress = Callable[[str, int | None], Advance]


def no_progress(description: str, total: int | None) -> Advance:
    """A progress reporter that reports nothing."""
    return lambda k: None


class DataError(ValueError):
    """Outcome data that cannot be used (names the rows and columns)."""


def csv_columns(questionnaire_version: str = "1") -> list[str]:
    """The CSV header: every item, then age, region, office code and the outcome."""
    items = QUESTIONNAIRES[questionnaire_version].items
    return [i.key for i in items] + [AGE, REGION, OFFICE, OUTCOME]


@dataclass
class Outcomes:
    """Claimants with their answers, age, groups and outcome (row i belongs together)."""

    answers: list[dict[str, object]]
    ages: list[int | None]
    regions: list[str]
    y: npt.NDArray[np.int8]
    office_codes: list[str] = field(default_factory=list)
    questionnaire_version: str = "1"

    def __len__(self) -> int:
        return len(self.answers)

    def subset(self, index: Iterable[int]) -> Outcomes:
        """The rows at `index`, in that order."""
        idx = [int(i) for i in index]
        return Outcomes(
            answers=[self.answers[i] for i in idx],
            ages=[self.ages[i] for i in idx],
            regions=[self.regions[i] for i in idx],
            y=self.y[idx],
            office_codes=[self.office_codes[i] for i in idx] if self.office_codes else [],
            questionnaire_version=self.questionnaire_version,
        )

    def groups(self) -> dict[str, list[str]]:
        """The fairness report's groupings: age band, education level, region."""
        return {
            "age_band": [age_band(a) for a in self.ages],
            "education_level": [str(a.get("education_level") or UNKNOWN) for a in self.answers],
            "region": [r or UNKNOWN for r in self.regions],
        }


def from_rows(rows: Sequence[dict[str, object]], questionnaire_version: str = "1") -> Outcomes:
    """Outcomes from typed rows (as `synth.generate` makes them)."""
    keys = [i.key for i in QUESTIONNAIRES[questionnaire_version].items]
    return Outcomes(
        answers=[{k: r[k] for k in keys if r.get(k) is not None} for r in rows],
        ages=[None if r.get(AGE) is None else int(str(r[AGE])) for r in rows],
        regions=[str(r.get(REGION) or "") for r in rows],
        y=np.array([int(str(r[OUTCOME])) for r in rows], dtype=np.int8),
        office_codes=[str(r.get(OFFICE) or "") for r in rows],
        questionnaire_version=questionnaire_version,
    )


# Writing ------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(path: Path, rows: Iterable[dict[str, object]], columns: Sequence[str]) -> None:
    """Write typed rows as the outcomes CSV (`\\n` line ends, so the bytes are reproducible)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])


def sha256(path: Path) -> str:
    """The file's SHA-256 (hex), to tie a model card to the exact data."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Reading ------------------------------------------------------------------------------------


def _parse(item: Item, text: str) -> object:
    """A cell as the item's type; an unparseable cell is returned as text (validation names it)."""
    if item.kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        return text
    if item.kind == "choice":
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    if item.kind in ("integer", "scale") and number.is_integer():
        return int(number)
    return number


def read_csv(
    path: Path,
    *,
    questionnaire_version: str = "1",
    progress: Progress = no_progress,
    max_errors: int = 10,
) -> Outcomes:
    """Read and validate an outcomes CSV; raise DataError naming the first bad rows."""
    questionnaire = QUESTIONNAIRES[questionnaire_version]
    with path.open(encoding="utf-8", newline="") as fh:
        lines = sum(1 for _ in fh) - 1
    advance = progress(f"reading {path.name}", max(lines, 0))
    errors: list[str] = []
    answers: list[dict[str, object]] = []
    ages: list[int | None] = []
    regions: list[str] = []
    offices: list[str] = []
    ys: list[int] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = set(reader.fieldnames or [])
        required = [i.key for i in questionnaire.items if i.required] + [AGE, OUTCOME]
        missing = [c for c in required if c not in header]
        if missing:
            raise DataError(f"{path.name}: missing columns: {', '.join(missing)}")
        for rownum, raw in enumerate(reader, start=2):  # line 1 is the header
            row = _parse_row(questionnaire, raw)
            if row.problems:
                errors.extend(f"line {rownum}: {p}" for p in row.problems)
                if len(errors) >= max_errors:
                    break
                continue
            answers.append(row.answers)
            ages.append(row.age)
            ys.append(row.outcome)
            regions.append((raw.get(REGION) or "").strip())
            offices.append((raw.get(OFFICE) or "").strip())
            if rownum % 1000 == 0:
                advance(1000)
    if errors:
        shown = "\n  ".join(errors[:max_errors])
        raise DataError(
            f"{path.name}: invalid rows (first {max_errors} problems at most):\n  {shown}"
        )
    if not answers:
        raise DataError(f"{path.name}: no rows")
    advance(len(answers) % 1000)
    return Outcomes(
        answers=answers,
        ages=ages,
        regions=regions,
        y=np.array(ys, dtype=np.int8),
        office_codes=offices,
        questionnaire_version=questionnaire_version,
    )


@dataclass(frozen=True)
class _Row:
    """One parsed CSV row: its answers, age and outcome, or what is wrong with it."""

    answers: dict[str, object]
    age: int | None
    outcome: int
    problems: list[str]


def _parse_row(questionnaire: Questionnaire, raw: dict[str, str | None]) -> _Row:
    """Parse and check one row (answers against the questionnaire, age, outcome)."""
    row_answers: dict[str, object] = {}
    for item in questionnaire.items:
        text = (raw.get(item.key) or "").strip()
        if text:
            row_answers[item.key] = _parse(item, text)
    problems = [f"{e.key}: {e.message}" for e in validate(questionnaire.version, row_answers)]
    age_text = (raw.get(AGE) or "").strip()
    age: int | None = int(age_text) if age_text.isdigit() else None
    if age is None:
        problems.append(f"age: must be a whole number, got {age_text!r}")
    elif not AGE_RANGE[0] <= age <= AGE_RANGE[1]:
        problems.append(f"age: must be between {AGE_RANGE[0]} and {AGE_RANGE[1]}")
    outcome_text = (raw.get(OUTCOME) or "").strip().lower()
    outcome = {"1": 1, "true": 1, "0": 0, "false": 0}.get(outcome_text, -1)
    if outcome < 0:
        problems.append(f"{OUTCOME}: must be 0 or 1, got {outcome_text!r}")
    return _Row(row_answers, age, outcome, problems)


# Encoding and scoring -----------------------------------------------------------------------


def design_matrix(
    model: m.ModelFile, data: Outcomes, *, progress: Progress = no_progress
) -> npt.NDArray[np.float64]:
    """The design matrix in the model's encoding (`model.design_row`, `model.columns` order)."""
    advance = progress("encoding", len(data))
    rows: list[list[float]] = []
    for i, (answers, age) in enumerate(zip(data.answers, data.ages, strict=True), start=1):
        rows.append(m.design_row(model, answers, age=age))
        if i % 1000 == 0:
            advance(1000)
    advance(len(data) % 1000)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(m.columns(model)))


@dataclass(frozen=True)
class Predictions:
    """Each claimant's probability of work within 12 months and segment decision."""

    p: npt.NDArray[np.float64]
    personal: npt.NDArray[np.bool_]  # flagged for personal service (p <= threshold)


def predict(model: m.ModelFile, data: Outcomes, *, progress: Progress = no_progress) -> Predictions:
    """Score every claimant with `model.score` (the production scoring code)."""
    advance = progress(f"scoring with {model.version}", len(data))
    p = np.empty(len(data), dtype=np.float64)
    personal = np.empty(len(data), dtype=np.bool_)
    for i, (answers, age) in enumerate(zip(data.answers, data.ages, strict=True)):
        scored = m.score(model, answers, age=age)
        p[i] = scored.probability
        personal[i] = scored.segment is Segment.PERSONAL
        if (i + 1) % 1000 == 0:
            advance(1000)
    advance(len(data) % 1000)
    return Predictions(p=p, personal=personal)


def resolve_model(name_or_path: str) -> m.ModelFile:
    """A shipped model by version, or a model file by path."""
    path = Path(name_or_path)
    if path.suffix == ".json" or path.exists():
        if not path.is_file():
            raise DataError(f"no model file at {path}")
        return m.load(path)
    shipped = m.shipped()
    if name_or_path not in shipped:
        raise DataError(
            f"unknown model {name_or_path!r}: shipped versions are {sorted(shipped)}, "
            "or give the path of a model file"
        )
    return shipped[name_or_path]
