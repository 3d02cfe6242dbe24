"""Response models of the cases API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field


class CaseRead(BaseModel):
    """A case as the coach and team lead see it."""

    id: uuid.UUID
    claim_id: uuid.UUID
    status: str
    office_code: str | None
    first_ww_day: dt.date | None
    coach_id: uuid.UUID | None
    assignment_status: Literal["assigned", "unassigned", "digital"] | None = Field(
        default=None,
        description="assigned (coach_id), unassigned (the team lead's queue) or digital "
        "(no coach, checkin_on); null while not decided yet",
    )
    assignment_reason: str | None = Field(
        default=None, description="The rule that decided, or why no coach fitted"
    )
    checkin_on: dt.date | None = Field(default=None, description="Digital: re-triage date")
    assigned_at: dt.datetime | None = None
    segment: str | None
    probability: float | None
    band: str | None
    score_model_version: str | None
    score_provisional: bool | None
    opened_at: dt.datetime
    updated_at: dt.datetime
