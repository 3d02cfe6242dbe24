"""Events published by the triage service (topic `<prefix>.triage`)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events.common import Band, Segment
from shared.events.envelope import EventPayload
from shared.events.registry import REGISTRY


class FactorContribution(BaseModel):
    """One factor's contribution on the log-odds scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    factor: str
    value: str
    contribution: float


class HinderingFactor(BaseModel):
    """One of the factors that lower the chance of work most, in plain Dutch and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    factor: str
    contribution: float = Field(description="On the log-odds scale (negative)")
    nl: str
    en: str


class _TriagePayload(EventPayload):
    producer: ClassVar[str] = "triage"


@REGISTRY.register
class TriageScored(_TriagePayload):
    """A claim was scored on self-reliance; provisional until a questionnaire is known."""

    event_type: ClassVar[str] = "triage.scored"

    claim_id: uuid.UUID
    score_id: uuid.UUID
    probability: float = Field(ge=0, le=1, description="Probability of work within 12 months")
    band: Band
    segment: Segment
    model_version: str
    provisional: bool
    factors: list[FactorContribution]
    over_55: bool
    under_27: bool
    scored_at: AwareDatetime
    trigger: str = Field(
        description="claim_registered, questionnaire, intake_completed, time_in_ww, batch"
    )
    logit: float | None = Field(
        default=None, description="intercept + the factors' contributions (added within v1)"
    )
    intercept: float | None = Field(default=None, description="(added within v1)")
    hindering: list[HinderingFactor] | None = Field(
        default=None, description="The top three hindering factors (added within v1)"
    )
    questionnaire_version: str | None = Field(
        default=None, description="The questionnaire the score used; none if provisional"
    )
    current_segment: Segment | None = Field(
        default=None,
        description="The segment in force after this scoring: `segment`, unless an earlier "
        "override still prevails (a re-score without new answers keeps it; added within v1)",
    )
    override_in_force: bool | None = Field(
        default=None, description="True when current_segment comes from an override"
    )


@REGISTRY.register
class TriageOverridden(_TriagePayload):
    """A coach or analyst overrode the segment; the human decision prevails."""

    event_type: ClassVar[str] = "triage.overridden"

    claim_id: uuid.UUID
    score_id: uuid.UUID
    previous_segment: Segment
    segment: Segment
    reason_category: str
    overridden_by_role: str
    overridden_at: AwareDatetime
    override_id: uuid.UUID | None = Field(default=None, description="(added within v1)")
