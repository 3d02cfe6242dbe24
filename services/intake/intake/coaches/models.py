"""Local copy of the roster, kept current from coach.* events."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Boolean, Float, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base
from shared.db.types import UTCDateTime, utcnow


class RosterCoach(Base):
    """A coach as intake knows them."""

    __tablename__ = "roster_coaches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    office_code: Mapped[str] = mapped_column(String(10), index=True)
    specialisms: Mapped[list[str]] = mapped_column(JSON, default=list)
    contract_hours: Mapped[float] = mapped_column(Float)
    holds_intakes: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
