"""Request and response models of the questionnaire API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.web.validation import RequestModel
from triage.scores.schemas import ScoreRead


class ItemRead(BaseModel):
    """One question of the questionnaire, with what a form needs to ask it."""

    key: str
    kind: Literal["choice", "integer", "number", "boolean", "scale"]
    label_nl: str
    label_en: str
    choices: list[str] = Field(description="Allowed values of a choice item")
    minimum: float | None
    maximum: float | None
    required: bool


class QuestionnaireDefinitionRead(BaseModel):
    """A published questionnaire version."""

    version: str
    current: bool = Field(description="True for the version new submissions should use")
    items: list[ItemRead]


class QuestionnaireSubmit(RequestModel):
    """A complete answer set of one questionnaire version."""

    model_config = ConfigDict(extra="forbid")

    questionnaire_version: str = Field(min_length=1, max_length=20)
    answers: dict[str, Any] = Field(
        max_length=60,
        description="Item key -> answer (text, number or boolean); every required item",
    )


class QuestionnaireResponseRead(BaseModel):
    """A stored answer set."""

    id: uuid.UUID
    claim_id: uuid.UUID
    questionnaire_version: str
    answers: dict[str, Any]
    complete: bool
    source: str = Field(description="claimant, coach, triage_analyst, registration or intake")
    submitted_at: dt.datetime


class QuestionnaireResultRead(BaseModel):
    """The stored answers and the score they gave."""

    questionnaire: QuestionnaireResponseRead
    score: ScoreRead
    current_segment: str = Field(description="The segment in force now")
