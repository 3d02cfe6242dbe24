"""Ad-hoc closure days: national ones and per office."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base
from shared.db.types import UTCDateTime, utcnow

# A national closure is stored with this office code rather than NULL, so the unique
# constraint on (day, office_code) also refuses duplicate national closures (NULLs are
# distinct in a unique constraint on both PostgreSQL and SQLite).
NATIONAL = "*"


class Closure(Base):
    """A day on which all offices (office_code '*') or one office are closed."""

    __tablename__ = "calendar_closures"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    day: Mapped[dt.date] = mapped_column(Date)
    office_code: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The unique index (day first) also serves the date-range look-ups.
    __table_args__ = (UniqueConstraint("day", "office_code"),)

    @property
    def is_national(self) -> bool:
        """True for a closure of every office."""
        return self.office_code == NATIONAL
