"""Response models of the scores and explanation API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field


class FactorRead(BaseModel):
    """A factor's contribution on the log-odds scale."""

    factor: str
    value: str
    contribution: float


class HinderingRead(BaseModel):
    """A hindering factor in Dutch and English."""

    factor: str
    contribution: float
    nl: str
    en: str


class ScoreRead(BaseModel):
    """One scoring with its explanation: intercept + Σ contributions = logit."""

    id: uuid.UUID
    claim_id: uuid.UUID
    probability: float
    band: str
    segment: str = Field(description="The segment this score gives (an override may prevail)")
    model_version: str
    provisional: bool
    intercept: float
    logit: float
    factors: list[FactorRead]
    hindering: list[HinderingRead]
    over_55: bool
    under_27: bool
    trigger: str
    questionnaire_id: uuid.UUID | None
    questionnaire_version: str | None
    scored_at: dt.datetime


class ContributionRead(BaseModel):
    """One factor of the explanation, labelled in the asked language."""

    factor: str
    label: str
    value: str = Field(description="The value as a code (machine-readable, not for people)")
    value_label: str = Field(description="The value in words, in the asked language")
    contribution: float = Field(description="On the log-odds scale; negative lowers the chance")


class HinderingTextRead(BaseModel):
    """A hindering factor in plain language."""

    factor: str
    label: str
    contribution: float
    text: str


class OverrideInForceRead(BaseModel):
    """The human decision that sets the claim's segment now."""

    override_id: uuid.UUID
    segment: str
    reason_category: str
    overridden_by_role: str
    overridden_at: dt.datetime


class ExplanationRead(BaseModel):
    """The current score explained: every factor's contribution; they add up to the logit."""

    claim_id: uuid.UUID
    score_id: uuid.UUID
    lang: Literal["nl", "en"]
    summary: str = Field(description="One sentence in the asked language")
    probability: float
    band: str
    segment: str = Field(description="The segment the score gives")
    current_segment: str = Field(description="The segment in force (an override prevails)")
    override: OverrideInForceRead | None
    model_version: str
    provisional: bool
    trigger: str
    scored_at: dt.datetime
    intercept: float
    logit: float = Field(description="intercept + Σ contributions")
    contributions: list[ContributionRead]
    hindering: list[HinderingTextRead] = Field(description="The top three hindering factors")
    over_55: bool
    under_27: bool
