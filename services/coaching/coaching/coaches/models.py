"""Coach table."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Float, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow


class Coach(Base):
    """A work coach on the roster."""

    __tablename__ = "coaches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    display_name: Mapped[str] = mapped_column(String(200))
    office_code: Mapped[str] = mapped_column(String(10), index=True)
    specialisms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    contract_hours: Mapped[float] = mapped_column(Float)
    holds_intakes: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
