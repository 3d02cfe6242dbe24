"""Request and response models of the job-search obligation API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from coaching.obligations.rules import ActivityKind
from coaching.text import NoBsn
from shared.events.common import ObligationRegime
from shared.web.validation import MultiLine, RequestModel

Status = Literal["compliant", "not_compliant", "exempt", "open", "no_obligation"]


class ActivityCreate(RequestModel):
    """A job-search activity reported by the claimant (or by staff for them)."""

    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind = Field(
        description="application, interview, assessment, temp_agency_registration "
        "(a new registration with an agency), uwv_workshop, cv_posting"
    )
    activity_date: dt.date = Field(
        description="The day of the activity: not in the future, not before the first WW "
        "day, not in a period that was already evaluated"
    )
    employer: Annotated[str, NoBsn] | None = Field(
        default=None,
        max_length=200,
        description="The employer; for a registration the agency, for a workshop its organiser",
    )
    description: Annotated[str, NoBsn, MultiLine()] | None = Field(default=None, max_length=1000)


class ActivityRead(BaseModel):
    """A reported activity."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    claim_id: uuid.UUID
    kind: ActivityKind
    activity_date: dt.date
    employer: str | None
    description: str | None
    reported_by: str = Field(description="claimant, coach or team_lead")
    reported_at: dt.datetime


class RegimeUpdate(RequestModel):
    """A coach sets or changes the claimant's regime (audited with the reason)."""

    model_config = ConfigDict(extra="forbid")

    regime: ObligationRegime
    required: int | None = Field(
        default=None,
        ge=0,
        le=50,
        description="Activities per period of an individual agreement (required for "
        "`individual`, not allowed otherwise)",
    )
    effective_from: dt.date | None = Field(
        default=None,
        description="The day the regime takes effect (default today): not before the first "
        "WW day, not inside a period already evaluated",
    )
    reason: Annotated[str, NoBsn, MultiLine()] = Field(
        min_length=3, max_length=500, description="Why (audited; no BSN)"
    )


class RegimeRead(BaseModel):
    """One regime of the case's history."""

    regime: ObligationRegime
    required_per_period: int = Field(description="Activities per period without exemptions")
    starts_on: dt.date
    ends_on: dt.date | None = Field(description="Inclusive; null while it runs")


class ExemptionRead(BaseModel):
    """Days without obligation (a starters period), both ends inclusive."""

    reason: str = Field(description="starters_research_period or starters_start_period")
    starts_on: dt.date
    ends_on: dt.date


class PeriodRead(BaseModel):
    """One period: evaluated (past) or the current, open one."""

    period_start: dt.date
    period_end: dt.date
    regime: ObligationRegime
    required: int = Field(description="After pro rata for exempt days")
    counted: int = Field(description="Activities that count (duplicates once)")
    exempt_days: int
    status: Status
    evaluated_at: dt.datetime | None = None


class ObligationRead(BaseModel):
    """The claimant's job-search obligation as of today."""

    claim_id: uuid.UUID
    case_status: str
    period_days: int
    regime: RegimeRead | None = Field(description="The regime in force today, if any")
    regimes: list[RegimeRead]
    current_period: PeriodRead | None = Field(
        description="The running period with what counts so far (status open)"
    )
    periods: list[PeriodRead] = Field(description="Evaluated periods, newest first")
    exemptions: list[ExemptionRead]


class TaskRead(BaseModel):
    """A coach task."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    claim_id: uuid.UUID
    office_code: str | None
    coach_id: uuid.UUID | None = Field(description="The case's coach at creation; null: none")
    kind: str = Field(
        description="obligation_missed (period_start/period_end) or repeated_no_show "
        "(appointment_id: the intake missed)"
    )
    period_start: dt.date | None
    period_end: dt.date | None
    appointment_id: uuid.UUID | None = None
    due_on: dt.date
    status: Literal["open", "done", "cancelled"] = Field(
        description="open, done, or cancelled (the case was closed)"
    )
    created_at: dt.datetime
    done_at: dt.datetime | None
    done_by: str | None
    note: str | None


class TaskDone(RequestModel):
    """Closing a task, optionally with a note."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, NoBsn, MultiLine()] | None = Field(default=None, max_length=1000)


class EvaluationRunRead(BaseModel):
    """The outcome of an evaluation run."""

    today: dt.date
    cases_examined: int
    periods_evaluated: int
    missed: int
    tasks_created: int
