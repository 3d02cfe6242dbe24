"""Contact moment table."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import UTCDateTime, utcnow


class ContactMoment(Base):
    """A planned contact between the coach and the claimant, and what became of it (held,
    no-show, cancelled). `notes` are the coach's and never shown to the claimant.

    `version` starts at 1 and grows with every change (optimistic concurrency).
    """

    __tablename__ = "contact_moments"
    __table_args__ = (
        Index("ix_contact_moments_case_planned", "case_id", "planned_at"),
        UniqueConstraint("case_id", "idempotency_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    planned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))  # face_to_face | phone | video
    purpose: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))  # planned | held | no_show | cancelled
    held_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)  # coach-only
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # Why it was recorded as held before its planned day (required then; audited).
    early_reason: Mapped[str | None] = mapped_column(String(500))
    # Staff subjects (the coach id for a coach): who planned it, who recorded the outcome.
    planned_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
