"""Claims whose intake is not booked yet because their first WW day is still far off."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base
from shared.db.types import UTCDateTime, utcnow


class DeferredIntake(Base):
    """A registered claim whose intake the planning run books from `bookable_from` on.

    Not the unplanned list: nothing is short of capacity, the booking window has simply not
    opened yet (INTAKE_INTAKE_BOOKING_WINDOW_WORKING_DAYS before the first WW day).
    """

    __tablename__ = "deferred_intakes"

    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("claims.id"), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(10))
    bookable_from: Mapped[dt.date] = mapped_column(Date, index=True)
    deadline: Mapped[dt.date] = mapped_column(Date)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
