"""Scores table: every scoring of a claim is kept (full history)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Float, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import JSONType, UTCDateTime, utcnow
from triage.db import Base


class Score(Base):
    """One scoring of one claim."""

    __tablename__ = "scores"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    office_code: Mapped[str] = mapped_column(String(10))
    probability: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(10))
    segment: Mapped[str] = mapped_column(String(20))
    model_version: Mapped[str] = mapped_column(String(40))
    provisional: Mapped[bool] = mapped_column(Boolean)
    intercept: Mapped[float] = mapped_column(Float)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    over_55: Mapped[bool] = mapped_column(Boolean)
    under_27: Mapped[bool] = mapped_column(Boolean)
    trigger: Mapped[str] = mapped_column(String(40))
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
