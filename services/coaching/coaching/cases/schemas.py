"""Response models of the cases API."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from coaching.text import NoBsn
from shared.web.validation import MultiLine, RequestModel


class CaseRead(BaseModel):
    """A case as the coach and team lead see it."""

    id: uuid.UUID
    claim_id: uuid.UUID
    status: str
    office_code: str | None
    first_ww_day: dt.date | None
    coach_id: uuid.UUID | None
    assignment_status: Literal["assigned", "unassigned", "digital"] | None = Field(
        default=None,
        description="assigned (coach_id), unassigned (the team lead's queue) or digital "
        "(no coach, checkin_on); null while not decided yet",
    )
    assignment_reason: str | None = Field(
        default=None, description="The rule that decided, or why no coach fitted"
    )
    checkin_on: dt.date | None = Field(default=None, description="Digital: re-triage date")
    assigned_at: dt.datetime | None = None
    segment: str | None
    probability: float | None
    band: str | None
    score_model_version: str | None
    score_provisional: bool | None
    opened_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None = None
    closed_on: dt.date | None = Field(default=None, description="The day the case ended")
    closure_result: str | None = Field(
        default=None, description="work_resumed, entitlement_ended, self_employed or other"
    )
    closure_note: str | None = None
    reopened_at: dt.datetime | None = None
    covering_coach_id: uuid.UUID | None = Field(
        default=None, description="A coach covering for the assigned one"
    )
    covering_until: dt.date | None = None
    obligation_regime: str | None = Field(
        default=None, description="Job-search obligation regime: regular, none, individual"
    )
    no_show_count: int = Field(
        default=0, description="Intake no-shows of the claim so far (intake's count)"
    )
    no_show_flag: bool = Field(
        default=False,
        description="A repeated intake no-show (COACHING_NO_SHOW_REPEAT_THRESHOLD, default 2, "
        "or intake's flag): the case needs the coach; intake books no further summons",
    )
    last_no_show_at: dt.datetime | None = Field(
        default=None, description="When intake recorded the latest no-show (UTC)"
    )
    summons_at: dt.datetime | None = Field(
        default=None, description="The summons intake booked after a no-show (UTC)"
    )
    segment_override: str | None = Field(
        default=None,
        description="Coaching's own override of triage's segment in force: "
        "`repeated_no_show` (a digital case moved to personal service); null: none",
    )
    segment_overridden_at: dt.datetime | None = None
    weeks_in_ww: int | None = Field(
        default=None,
        description="Whole weeks since the first WW day, on today's Dutch calendar day "
        "(0 in the first week and before the first WW day); null without a first WW day",
    )
    next_action: str | None = Field(
        default=None,
        description="What the case waits for, from what coaching knows today "
        "(docs/api.md, coaching): await triage, await intake, assign coach, "
        "check-in on <date>; with a coach the earliest of: follow up <task kind>, "
        "contact on <date>, review overdue activity; else plan first/next contact; "
        "null for a closed case",
    )
    next_action_on: dt.date | None = Field(
        default=None, description="The date of the next action when it has one"
    )
    obligation_status: str | None = Field(
        default=None,
        description="The job-search obligation's latest evaluated 4-week period: compliant, "
        "not_compliant, exempt or no_obligation; null before the first period ended",
    )


class CoachCaseload(BaseModel):
    """One coach's load in the office overview (counts only, no claimant data)."""

    coach_id: uuid.UUID
    display_name: str
    active: bool
    contract_hours: float
    open_cases: int = Field(description="Open cases assigned to the coach")
    max_caseload: int = Field(
        description="floor(contract_hours x max_cases_per_contract_hour): assignment never "
        "goes above it"
    )
    relative_load: float = Field(description="open_cases / contract_hours (cases per hour)")
    share_of_max: float | None = Field(
        description="open_cases / max_caseload (1.0 is full); null when max_caseload is 0"
    )


class OfficeCaseloadTotals(BaseModel):
    """Office-wide counts of open cases."""

    coaches: int = Field(description="Coaches listed (active, or deactivated with open cases)")
    assigned_cases: int = Field(description="Open cases assigned to the listed coaches")
    max_caseload: int = Field(description="Sum of the active coaches' maximum caseloads")
    unassigned_cases: int = Field(description="The team lead's queue: open cases without coach")
    digital_cases: int = Field(description="Open digital-service cases (no coach, a check-in)")


class OfficeCaseload(BaseModel):
    """A team lead's overview of an office: load per coach, highest relative load first."""

    office_code: str
    max_cases_per_contract_hour: float
    coaches: list[CoachCaseload]
    totals: OfficeCaseloadTotals


class ClosureResult(StrEnum):
    """Why a case ends (the result is required before closing)."""

    WORK_RESUMED = "work_resumed"
    ENTITLEMENT_ENDED = "entitlement_ended"
    SELF_EMPLOYED = "self_employed"  # business continued under the starters scheme
    OTHER = "other"


class ReportedBy(StrEnum):
    """Who told coaching that the case ends."""

    CLAIMANT = "claimant"
    TEMP_AGENCY = "temp_agency"
    COACH = "coach"


class CloseBody(RequestModel):
    """Close a case with its result."""

    result: ClosureResult
    closed_on: dt.date | None = Field(
        default=None,
        description="The day the case ends, e.g. the first working day (default today); "
        "not before the first WW day, at most CLOSE_AHEAD_DAYS ahead",
    )
    reported_by: ReportedBy = ReportedBy.COACH
    note: Annotated[str, NoBsn, MultiLine()] | None = Field(
        default=None,
        max_length=1000,
        description="Required for result `other`; never a BSN",
    )


class ReopenBody(RequestModel):
    """Reopen a closed case (audited)."""

    reason: Annotated[str, NoBsn, MultiLine()] = Field(
        min_length=1, max_length=500, description="Why (audited, and in `case.reopened`; no BSN)"
    )
