"""Questionnaire responses: every answer set of a claim is kept (history)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import JSONType, UTCDateTime, utcnow
from triage.db import Base


class QuestionnaireResponse(Base):
    """One answer set of a claim: the full set in force after this submission.

    `answers` is the effective set (for answers carried by an event, merged onto the latest
    set); `submitted` is what this submission brought; `rejected` names the keys of event
    answers that failed validation (their values are not kept).
    """

    __tablename__ = "questionnaire_responses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    submitted: Mapped[dict[str, Any]] = mapped_column(JSONType)
    rejected: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    complete: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(20))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_questionnaire_responses_claim_submitted", "claim_id", "submitted_at"),
    )
