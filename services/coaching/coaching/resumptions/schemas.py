"""Request and response models of work resumption reports."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from coaching.text import NoBsn
from shared.web.validation import RequestModel


class ResumptionBody(RequestModel):
    """A claimant (or their coach) reports a return to work."""

    kind: Literal["full", "partial"] = Field(
        description="full: WW ends, the case closes; partial: some hours, the case stays open"
    )
    start_date: dt.date = Field(description="The first working day")
    hours_per_week: float = Field(gt=0, le=80)
    employer: Annotated[str, NoBsn] | None = Field(default=None, max_length=200)
    via_temp_agency: bool = Field(default=False, description="The job came through a temp agency")


class ResumptionRead(BaseModel):
    """A recorded report."""

    id: uuid.UUID
    claim_id: uuid.UUID
    kind: str
    start_date: dt.date
    hours_per_week: float
    employer: str | None
    via_temp_agency: bool
    reported_by: str
    closed_case: bool
    reported_at: dt.datetime
