"""Work resumption table."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, Float, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import UTCDateTime, utcnow


class WorkResumption(Base):
    """A reported return to work: full (the case closes) or partial (the case stays open,
    the coach follows up). Temp agencies' placements (the partner API) land here too."""

    __tablename__ = "work_resumptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # full | partial
    start_date: Mapped[dt.date] = mapped_column(Date)
    hours_per_week: Mapped[float] = mapped_column(Float)
    employer: Mapped[str | None] = mapped_column(String(200))
    via_temp_agency: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_by: Mapped[str] = mapped_column(String(20))  # claimant | coach | temp_agency
    partner_client_id: Mapped[str | None] = mapped_column(String(100))
    closed_case: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
