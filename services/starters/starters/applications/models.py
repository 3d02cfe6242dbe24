"""Application, decision, income statement and suspension tables."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import JSONType, UTCDateTime, utcnow
from starters.db import Base


class Application(Base):
    """One claimant's use of the starters scheme, from application to revival.

    The WW facts (`dagloon`, `entitlement_end`, `entitlement_months`, `usual_hours_per_day`)
    are recorded by the benefits officer with the first decision: the schedule needs them
    and only benefits knows them exactly.
    """

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    claimant_subject: Mapped[str | None] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    business_description: Mapped[str] = mapped_column(String(2000))
    expected_start_date: Mapped[dt.date] = mapped_column(Date)
    hours_per_week: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    training_certificate: Mapped[str] = mapped_column(String(100))
    training_completed_on: Mapped[dt.date] = mapped_column(Date)
    # NOT CURRENT LAW variants (group start, gradual start), when enabled by settings.
    variant: Mapped[str | None] = mapped_column(String(20))
    group_reference: Mapped[str | None] = mapped_column(String(100), index=True)
    gradual_business_share: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    # WW facts, from the benefits officer.
    dagloon: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    entitlement_end: Mapped[dt.date | None] = mapped_column(Date)
    entitlement_months: Mapped[int | None] = mapped_column(Integer)
    usual_hours_per_day: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    # Periods and outcome.
    research_start: Mapped[dt.date | None] = mapped_column(Date)
    research_end: Mapped[dt.date | None] = mapped_column(Date)
    start_period_start: Mapped[dt.date | None] = mapped_column(Date)
    start_period_end: Mapped[dt.date | None] = mapped_column(Date)
    refusal_reasons: Mapped[list[str] | None] = mapped_column(JSONType)
    outcome_on: Mapped[dt.date | None] = mapped_column(Date)
    business_hours_per_month: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    revival_deadline: Mapped[dt.date | None] = mapped_column(Date)
    revived_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Decision(Base):
    """Every transition of an application, with who, why and the parameter versions used."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("applications.id"), index=True
    )
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    parameter_versions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncomeStatement(Base):
    """The monthly income statement during the start period (income is not deducted, but
    the statement is still required)."""

    __tablename__ = "income_statements"
    __table_args__ = (UniqueConstraint("application_id", "month"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("applications.id"))
    month: Mapped[str] = mapped_column(String(7))
    business_income: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    business_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    former_employer_assignment: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ReminderSent(Base):
    """A missing-statement reminder already published (one per application and month)."""

    __tablename__ = "statement_reminders"
    __table_args__ = (UniqueConstraint("application_id", "month"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("applications.id"))
    month: Mapped[str] = mapped_column(String(7))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suspension(Base):
    """No benefit on these days (the former employer rule: until the start period ends)."""

    __tablename__ = "suspensions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("applications.id"), index=True
    )
    reason: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
