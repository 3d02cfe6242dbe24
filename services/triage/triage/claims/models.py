"""The claims read model (filled from intake's events) with the claim's current triage state."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, Float, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import UTCDateTime, utcnow
from triage.db import Base

OPEN = "open"


class TriageClaim(Base):
    """One claim as triage sees it.

    `claim.registered` fills the facts; an intake event that arrives first creates a stub
    (`registered` false) that registration completes. `latest_score_id`, `override_id` and
    `current_segment` are kept current by scoring and overriding (ADR 0012).
    """

    __tablename__ = "claims"

    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=OPEN, server_default=text("'open'"))
    office_code: Mapped[str | None] = mapped_column(String(10), index=True)
    first_ww_day: Mapped[dt.date | None] = mapped_column(Date, index=True)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    age_at_first_ww_day: Mapped[int | None] = mapped_column(Integer)
    years_work_history: Mapped[int | None] = mapped_column(Integer)
    education_level: Mapped[str | None] = mapped_column(String(40))
    sector: Mapped[str | None] = mapped_column(String(40))
    hours_lost_per_week: Mapped[float | None] = mapped_column(Float)
    # The claimant's identity-provider subject (self-registration only): their own claim.
    claimant_subject: Mapped[str | None] = mapped_column(String(200), index=True)
    # The coach holding (or who held) the claim's intake: the coach's caseload for triage.
    intake_coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    intake_appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    latest_score_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    override_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    current_segment: Mapped[str | None] = mapped_column(String(20))
    # When the time-in-WW re-triage ran (once per claim).
    time_retriaged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
