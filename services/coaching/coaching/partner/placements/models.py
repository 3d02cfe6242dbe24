"""Placements reported by temp agencies."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import UTCDateTime, utcnow


class Placement(Base):
    """A temp agency placed a claimant in work (`POST /partner/v1/placements`).

    The work resumption it caused is `work_resumption_id`; the job-search activity it
    counted (a new registration with the agency), if any, `activity_id`. The reward ledger
    counts placements per agency by the quarter of `start_date`.
    """

    __tablename__ = "placements"
    __table_args__ = (
        # The reward ledger: one agency's placements starting in a quarter.
        Index("ix_placements_client_start", "partner_client_id", "start_date"),
        # An agency's own list, newest first.
        Index("ix_placements_client_reported", "partner_client_id", "reported_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    partner_client_id: Mapped[str] = mapped_column(String(100))
    candidate_ref: Mapped[uuid.UUID] = mapped_column(Uuid)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    hours_per_week: Mapped[float] = mapped_column(Float)
    # Whole euro cents: money is never a float in storage.
    hourly_wage_cents: Mapped[int] = mapped_column(Integer)
    contract_type: Mapped[str] = mapped_column(String(20))
    resumption: Mapped[str] = mapped_column(String(10))  # full | partial
    new_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    work_resumption_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("work_resumptions.id"))
    activity_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("job_search_activities.id")
    )
    closed_case: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
