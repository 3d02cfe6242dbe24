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
    trigger: str = Field(description="claim_registered, questionnaire, intake_completed, ...")


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
