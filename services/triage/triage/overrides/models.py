"""Overrides table: every override of a claim's segment is kept."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import UTCDateTime, utcnow
from triage.db import Base


class Override(Base):
    """A coach's or triage analyst's decision to put a claim in another segment."""

    __tablename__ = "overrides"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    score_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The answer set in force when overriding: a score from a newer one ends the override.
    questionnaire_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    previous_segment: Mapped[str] = mapped_column(String(20))
    segment: Mapped[str] = mapped_column(String(20))
    reason_category: Mapped[str] = mapped_column(String(40))
    reason_text: Mapped[str] = mapped_column(Text)
    overridden_by: Mapped[str] = mapped_column(String(200), index=True)
    overridden_by_role: Mapped[str] = mapped_column(String(20))
    office_code: Mapped[str | None] = mapped_column(String(10))
    overridden_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_overrides_overridden_at", "overridden_at"),)
