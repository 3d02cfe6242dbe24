"""Request and response models of the override API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.bsn import FreeText
from shared.events.common import Segment
from shared.web.validation import MultiLine, RequestModel
from triage.overrides.rules import ReasonCategory


class OverrideCreate(RequestModel):
    """The human decision: another segment, with a mandatory reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    segment: Segment
    reason_category: ReasonCategory
    reason_text: Annotated[FreeText, MultiLine()] = Field(min_length=3, max_length=2000)


class OverrideRead(BaseModel):
    """A recorded override."""

    id: uuid.UUID
    claim_id: uuid.UUID
    score_id: uuid.UUID
    previous_segment: str
    segment: str
    reason_category: str
    reason_text: str
    overridden_by: str
    overridden_by_role: str
    overridden_at: dt.datetime
    in_force: bool = Field(description="True while this override decides the claim's segment")
