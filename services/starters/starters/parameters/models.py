"""Parameter values added after the shipped data file (a rule change is a data change)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import JSONType, UTCDateTime, utcnow
from starters.db import Base


class ParameterRow(Base):
    """One dated value of a parameter; the shipped defaults live in the rules' data file."""

    __tablename__ = "parameter_values"
    __table_args__ = (UniqueConstraint("name", "valid_from"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JSONType)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
