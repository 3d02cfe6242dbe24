"""Override rules without I/O: reason categories and whether an override survives a re-score."""

from __future__ import annotations

import uuid
from enum import StrEnum


class ReasonCategory(StrEnum):
    """Why the segment was overridden (mandatory; the text explains the case)."""

    LABOUR_MARKET_KNOWLEDGE = "labour_market_knowledge"  # the coach knows the local market
    HEALTH = "health"
    MOTIVATION = "motivation"
    LANGUAGE = "language"
    CAREGIVING = "caregiving"
    DIGITAL_SKILLS = "digital_skills"
    CLAIMANT_REQUEST = "claimant_request"  # the claimant asked for (or declined) a coach
    OTHER = "other"


def survives(
    *, override_questionnaire_id: uuid.UUID | None, score_questionnaire_id: uuid.UUID | None
) -> bool:
    """An override stays in force over a re-score of the same answer set (a new model, time
    in WW, a completed intake without answers); a score on new answers ends it."""
    return override_questionnaire_id == score_questionnaire_id
