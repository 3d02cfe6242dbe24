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


class CaseloadClaim(Base):
    """Which coach carries a claim's coaching case, from coaching's case.* events.

    Intake's need-to-know rule lets a coach see the claims of their caseload in other
    offices too (ADR 0022); intake learns the caseload only from these events.
    """

    __tablename__ = "caseload_claims"

    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # The time of the event that set `coach_id`: an older event arriving late changes nothing.
    as_of: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
