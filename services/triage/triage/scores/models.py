"""Scores table: every scoring of a claim is kept (full history)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import JSONType, UTCDateTime, utcnow
from triage.db import Base


class Score(Base):
    """One scoring of one claim.

    `factors` holds every factor's contribution on the log-odds scale:
    intercept + Σ contributions = logit. `hindering` holds the top three hindering factors
    in Dutch and English. `age` and `education_level` are kept as they were at scoring time,
    for monitoring per group.
    """

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
    logit: Mapped[float | None] = mapped_column(Float)
    hindering: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    questionnaire_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    questionnaire_version: Mapped[str | None] = mapped_column(String(20))
    age: Mapped[int | None] = mapped_column(Integer)
    education_level: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_scores_scored_at", "scored_at"),)
