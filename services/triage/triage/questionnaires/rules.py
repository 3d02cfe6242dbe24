"""Questionnaire rules without I/O: what registration tells, validating and merging answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.scoring import questionnaire as q


@dataclass(frozen=True)
class Checked:
    """Event answers split into the valid ones and the keys that were refused (with why)."""

    valid: dict[str, Any]
    rejected: list[q.AnswerError]


def registration_facts(
    *,
    years_work_history: int | None,
    education_level: str | None,
    sector: str | None,
    hours_lost_per_week: float | None,
    version: str = q.CURRENT_VERSION,
) -> dict[str, Any]:
    """Registration facts that are also questionnaire items, where they fit the item."""
    candidates: dict[str, Any] = {
        "years_work_history": years_work_history,
        "education_level": education_level,
        "last_sector": sector,
        "hours_per_week": hours_lost_per_week,
    }
    present = {k: v for k, v in candidates.items() if v is not None}
    return check_items(version, present).valid


def check_items(version: str, answers: dict[str, Any]) -> Checked:
    """Keep the answers that fit their item; name the others (missing items are no error)."""
    errors = q.validate(version, answers)
    bad = {e.key for e in errors if e.key in answers}
    return Checked(
        valid={k: v for k, v in answers.items() if k not in bad},
        rejected=[e for e in errors if e.key in answers],
    )


def is_complete(version: str, answers: dict[str, Any]) -> bool:
    """True when the answers pass the questionnaire's validation as a whole."""
    return not q.validate(version, answers)


def merge(base: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """Newer answers win, item by item."""
    return {**base, **newer}


def definition(version: str) -> q.Questionnaire | None:
    """A published questionnaire version."""
    return q.QUESTIONNAIRES.get(version)
