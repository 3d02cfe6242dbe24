"""Case table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow


class Case(Base):
    """The coaching case of one claim.

    Events of one claim arrive on different topics (intake's and triage's), so their order
    across topics is not guaranteed: each handler fills in its part, whichever comes first.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_coach_opened", "coach_id", "opened_at"),
        # The daily evaluation's candidates (`obligations.repository.cases_due`).
        Index("ix_cases_status_evaluated_until", "status", "obligation_evaluated_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    office_code: Mapped[str | None] = mapped_column(String(10), index=True)
    first_ww_day: Mapped[dt.date | None] = mapped_column(Date)
    age_at_first_ww_day: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    sector: Mapped[str | None] = mapped_column(String(80))
    # Assignment (issue 5 item 2): assigned | unassigned (team lead's queue) | digital.
    assignment_status: Mapped[str | None] = mapped_column(String(20), index=True)
    assignment_reason: Mapped[str | None] = mapped_column(String(80))
    checkin_on: Mapped[dt.date | None] = mapped_column(Date)
    # The coach of the intake: held (intake.completed) or, until then, booked (scheduled).
    intake_coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    intake_held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    segment: Mapped[str | None] = mapped_column(String(20))
    probability: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(10))
    score_model_version: Mapped[str | None] = mapped_column(String(40))
    score_provisional: Mapped[bool | None] = mapped_column(Boolean)
    score_factors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    scored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The claimant's identity-provider subject (claim.registered), for their own view.
    claimant_subject: Mapped[str | None] = mapped_column(String(200), index=True)
    # A coach covering for the assigned one (illness, leave) sees and works the case.
    covering_coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    covering_until: Mapped[dt.date | None] = mapped_column(Date)
    # Closure (issue 5 item 8): closed cases are read-only until an audited reopen.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closure_result: Mapped[str | None] = mapped_column(String(30))
    closure_note: Mapped[str | None] = mapped_column(String(1000))
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Job-search obligation regime agreed at the intake (intake.completed), and the
    # activities per period of an individual agreement.
    obligation_regime: Mapped[str | None] = mapped_column(String(20))
    obligation_required: Mapped[int | None] = mapped_column(Integer)
    # The last day of the latest evaluated obligation period (null: none evaluated yet),
    # kept by the evaluation so finding the due cases needs no scan of all periods.
    obligation_evaluated_until: Mapped[dt.date | None] = mapped_column(Date)
    # Intake no-shows (issue 12 item 3): intake's count, whether the no-show is repeated
    # (the coach's attention; `coaching.noshows`), the latest one and the summons booked.
    no_show_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    no_show_flag: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_no_show_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    summons_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Coaching's own (system) override of triage's segment, e.g. `repeated_no_show`: a
    # digital case moved to personal service. A human override in triage after it
    # (`human_override_at`, from triage.overridden) wins.
    segment_override: Mapped[str | None] = mapped_column(String(40))
    segment_overridden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    human_override_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
