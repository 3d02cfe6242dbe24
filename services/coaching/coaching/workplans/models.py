"""Work plan activity table."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import UTCDateTime, utcnow


class WorkPlanActivity(Base):
    """One agreed activity of a case's work plan (an application, a training, a trial
    placement with retention of benefit, ...), with its due date and status.

    `version` starts at 1 and grows with every change: an update naming an older version
    is refused (optimistic concurrency between the claimant and the coach).
    """

    __tablename__ = "work_plan_activities"
    __table_args__ = (
        Index("ix_work_plan_activities_case_due", "case_id", "due_on"),
        UniqueConstraint("case_id", "idempotency_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(1000))
    # Trial placement (proefplaatsing) only: the employer and the placement period.
    employer: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_kind: Mapped[str] = mapped_column(String(20))  # claimant | coach
    updated_by_kind: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
