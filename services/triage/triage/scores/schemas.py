"""Response models of the scores API."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel


class FactorRead(BaseModel):
    """A factor's contribution on the log-odds scale."""

    factor: str
    value: str
    contribution: float


class ScoreRead(BaseModel):
    """One scoring with its explanation."""

    id: uuid.UUID
    claim_id: uuid.UUID
    probability: float
    band: str
    segment: str
    model_version: str
    provisional: bool
    intercept: float
    factors: list[FactorRead]
    over_55: bool
    under_27: bool
    trigger: str
    scored_at: dt.datetime
