"""Tables of the job-search obligation: regimes, activities, exemptions, periods, tasks."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import UTCDateTime, utcnow


class ObligationRegimeRow(Base):
    """One regime of a case's history (a change ends the previous one the day before).

    A case without rows has the implicit regime of `cases.obligation_regime` from its
    first WW day (the regime of the intake).
    """

    __tablename__ = "obligation_regimes"
    __table_args__ = (UniqueConstraint("case_id", "starts_on"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    regime: Mapped[str] = mapped_column(String(20))
    required: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobSearchActivity(Base):
    """An activity reported by the claimant (or by staff for them)."""

    __tablename__ = "job_search_activities"
    __table_args__ = (Index("ix_job_search_activities_case_date", "case_id", "activity_date"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    activity_date: Mapped[dt.date] = mapped_column(Date)
    employer: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    reported_by: Mapped[str] = mapped_column(String(20))  # claimant | coach | team_lead
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ObligationExemption(Base):
    """Days without obligation from a starters period (keyed by claim: starters events can
    arrive before the case exists)."""

    __tablename__ = "obligation_exemptions"
    __table_args__ = (UniqueConstraint("claim_id", "application_id", "reason"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    # starters.stopped: the exemption ends on this day at the latest (inclusive).
    stopped_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def effective_end(self) -> dt.date:
        """The last exempt day (a stop cuts the period short)."""
        if self.stopped_on is not None and self.stopped_on < self.ends_on:
            return self.stopped_on
        return self.ends_on


class ObligationPeriod(Base):
    """The stored evaluation of one closed period; evaluated once (unique start per case)."""

    __tablename__ = "obligation_periods"
    __table_args__ = (
        UniqueConstraint("case_id", "period_start"),
        Index("ix_obligation_periods_case_end", "case_id", "period_end"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    regime: Mapped[str] = mapped_column(String(20))
    regime_starts_on: Mapped[dt.date] = mapped_column(Date)
    period_index: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    required: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    exempt_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoachTask(Base):
    """A follow-up for the coach: a missed obligation period (`period_start`), or a
    repeated no-show at the intake (`appointment_id`, the appointment missed)."""

    __tablename__ = "coach_tasks"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "period_start"),
        UniqueConstraint("case_id", "kind", "appointment_id"),
        Index("ix_coach_tasks_status_due", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), index=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    office_code: Mapped[str | None] = mapped_column(String(10), index=True)
    # The case's coach when the task was created; null: the office's team lead handles it.
    coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(1000))
