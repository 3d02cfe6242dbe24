"""Appointments (one active per slot and per claim) and the offices' unplanned lists."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow

BOOKED = "booked"
RESCHEDULED = "rescheduled"
COMPLETED = "completed"
NO_SHOW = "no_show"
CANCELLED_BY_CLAIMANT = "cancelled_by_claimant"
CANCELLED_BY_SERVICE = "cancelled_by_service"
ACTIVE_STATUSES = (BOOKED, RESCHEDULED)
STATUSES = (BOOKED, RESCHEDULED, COMPLETED, NO_SHOW, CANCELLED_BY_CLAIMANT, CANCELLED_BY_SERVICE)
# The partial-index predicate, identical on PostgreSQL and SQLite (and in the migration).
ACTIVE_PREDICATE = "status IN ('booked', 'rescheduled')"


class Appointment(Base):
    """An intake appointment of a claim in a coach's slot."""

    __tablename__ = "appointments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("claims.id"), index=True)
    slot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("slots.id"), index=True)
    coach_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    office_code: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(24), default=BOOKED)
    deadline: Mapped[dt.date] = mapped_column(Date)
    booked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When intake.reminder_due went out; a reschedule resets it so the new time is reminded.
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # A summons after a no-show: the invitation says that missing it can affect the benefit.
    summoned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Why and when it was cancelled: booking honours a claimant's reason (ADR 0017).
    cancel_reason: Mapped[str | None] = mapped_column(String(24), default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    # Double booking is refused by the database, not by a check (ADR 0010). On PostgreSQL
    # the migration adds an exclusion constraint per coach over the time range as well.
    __table_args__ = (
        Index(
            "uq_appointments_active_slot",
            "slot_id",
            unique=True,
            postgresql_where=text(ACTIVE_PREDICATE),
            sqlite_where=text(ACTIVE_PREDICATE),
        ),
        Index(
            "uq_appointments_active_claim",
            "claim_id",
            unique=True,
            postgresql_where=text(ACTIVE_PREDICATE),
            sqlite_where=text(ACTIVE_PREDICATE),
        ),
    )


class UnplannedClaim(Base):
    """A claim for which no slot before its deadline was free: the office's unplanned list."""

    __tablename__ = "unplanned_claims"

    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("claims.id"), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(10))
    deadline: Mapped[dt.date] = mapped_column(Date)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_unplanned_claims_office_code_deadline", "office_code", "deadline"),)


class CapacityShortfall(Base):
    """Every time no slot before a claim's deadline was free (the week-one KPIs count them)."""

    __tablename__ = "capacity_shortfalls"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("claims.id"), index=True)
    office_code: Mapped[str] = mapped_column(String(10))
    deadline: Mapped[dt.date] = mapped_column(Date)
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_capacity_shortfalls_office_code_detected_at", "office_code", "detected_at"),
        Index("ix_capacity_shortfalls_detected_at", "detected_at"),
    )


class AppointmentCompletion(Base):
    """What was covered in a completed intake; `claimant_view` stays in intake (not in events)."""

    __tablename__ = "appointment_completions"

    appointment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("appointments.id"), primary_key=True
    )
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    within_deadline: Mapped[bool] = mapped_column(Boolean)
    explained_topics: Mapped[list[str]] = mapped_column(JSONType)
    obligation_regime: Mapped[str] = mapped_column(String(20))
    claimant_view: Mapped[str | None] = mapped_column(Text)
    questionnaire_answers: Mapped[dict[str, object] | None] = mapped_column(JSONType)
    agreed_next_step: Mapped[str] = mapped_column(Text)
    completed_by: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
