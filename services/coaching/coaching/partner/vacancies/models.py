"""Partner vacancy tables."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Float, ForeignKey, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow

OPEN = "open"
CLOSED = "closed"


class PartnerVacancy(Base):
    """A vacancy of a temp agency. Wages are gross euros per hour."""

    __tablename__ = "partner_vacancies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("partner_clients.client_id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(40), index=True)
    postcode: Mapped[str | None] = mapped_column(String(7))
    region: Mapped[str] = mapped_column(String(2), index=True)
    office_code: Mapped[str | None] = mapped_column(String(10))
    hours_per_week: Mapped[float] = mapped_column(Float)
    wage_min: Mapped[float | None] = mapped_column(Numeric(8, 2, asdecimal=False))
    wage_max: Mapped[float | None] = mapped_column(Numeric(8, 2, asdecimal=False))
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=OPEN, index=True)
    close_reason: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartnerVacancySkill(Base):
    """One skill of a vacancy, for filtering on both dialects (the list is on the vacancy)."""

    __tablename__ = "partner_vacancy_skills"

    vacancy_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("partner_vacancies.id"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)
