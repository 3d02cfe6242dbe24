"""Agenda tables: weekly blocks and exceptions per roster coach, and the generated slots."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Index, Integer, String, Time, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base
from shared.db.types import UTCDateTime, utcnow

SLOT_OPEN = "open"
# A slot the current agenda no longer yields; kept (never deleted) because appointments
# may reference it, and reopened if the agenda yields it again.
SLOT_WITHDRAWN = "withdrawn"


class Agenda(Base):
    """Per coach: how far ahead slots have been generated."""

    __tablename__ = "agendas"

    coach_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    slots_until: Mapped[dt.date] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgendaBlock(Base):
    """A weekly recurring block of intake hours (local Europe/Amsterdam time) at an office."""

    __tablename__ = "agenda_blocks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    coach_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    office_code: Mapped[str] = mapped_column(String(10))


class AgendaException(Base):
    """Days (inclusive range) on which a coach holds no intakes: leave, sickness, training."""

    __tablename__ = "agenda_exceptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    coach_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Slot(Base):
    """One bookable intake slot of a coach; slots of one coach never overlap by construction."""

    __tablename__ = "slots"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    coach_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    office_code: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default=SLOT_OPEN)

    __table_args__ = (
        UniqueConstraint("coach_id", "starts_at"),
        # The free-slot search: an index range scan per office (ADR 0010).
        Index("ix_slots_office_code_state_starts_at", "office_code", "state", "starts_at"),
    )
