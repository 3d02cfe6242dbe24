"""Response models of the cases API."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel


class CaseRead(BaseModel):
    """A case as the coach and team lead see it."""

    id: uuid.UUID
    claim_id: uuid.UUID
    status: str
    office_code: str | None
    first_ww_day: dt.date | None
    coach_id: uuid.UUID | None
    segment: str | None
    probability: float | None
    band: str | None
    score_model_version: str | None
    score_provisional: bool | None
    opened_at: dt.datetime
    updated_at: dt.datetime
