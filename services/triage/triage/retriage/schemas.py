"""Response model of the re-triage run."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class RetriageRunRead(BaseModel):
    """What one run did."""

    rescored: int = Field(description="Claims re-triaged by this run")
    first_ww_day_on_or_before: dt.date = Field(description="The cut-off: today - the setting")
    more: bool = Field(description="True when the run stopped at its limit; call it again")
