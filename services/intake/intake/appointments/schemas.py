"""Request and response models of appointments, their actions and the unplanned list."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from intake.claims.schemas import AnswerValue, check_questionnaire
from shared.bsn import FreeText
from shared.web.validation import MultiLine, RequestModel


class AppointmentRead(BaseModel):
    """An intake appointment."""

    id: uuid.UUID
    claim_id: uuid.UUID
    slot_id: uuid.UUID
    coach_id: uuid.UUID
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    deadline: dt.date
    booked_at: dt.datetime
    summoned: bool = Field(
        default=False,
        description="A summons after a no-show: missing it can affect the benefit",
    )
    coach_first_name: str | None = Field(
        default=None,
        description="The coach's first name, as the messages to the claimant name them "
        "(on a claim's appointments and on one appointment; null elsewhere or when unknown)",
    )


class AppointmentDetailRead(AppointmentRead):
    """One appointment with what the caller may do with it now."""

    allowed_actions: list[str] = Field(
        description="The caller's actions now: staff reschedule and cancel_by_service before "
        "the start, cancel_by_service, no_show and complete after it; the claimant reschedule "
        "(until the cut-off) and cancel before the start, and reschedule (pick a new slot) "
        "after their own cancellation; empty once it ended"
    )


class CoachAppointmentRead(BaseModel):
    """An appointment in a coach's agenda, with the claimant's name (one call per page)."""

    id: uuid.UUID
    claim_id: uuid.UUID
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    summoned: bool
    given_name: str | None
    family_name: str | None
    allowed_actions: list[str] = Field(
        description="What staff may do with it now: reschedule and cancel_by_service before "
        "the start; cancel_by_service, no_show and complete after it (empty once it ended)"
    )


class AppointmentStatus(StrEnum):
    """The statuses an appointment can have."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED_BY_CLAIMANT = "cancelled_by_claimant"
    CANCELLED_BY_SERVICE = "cancelled_by_service"


class UnplannedClaimRead(BaseModel):
    """A claim waiting for an intake slot."""

    claim_id: uuid.UUID
    office_code: str
    deadline: dt.date
    since: dt.datetime


class AlternativeRead(BaseModel):
    """A free slot the appointment may be moved to."""

    slot_id: uuid.UUID
    coach_id: uuid.UUID
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    travel_minutes: int


class PartOfDay(StrEnum):
    """Part of the day of a slot's local start time."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


class RescheduleCreate(RequestModel):
    """Move the appointment to another free slot."""

    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID


class ClaimantCancelReason(StrEnum):
    """Why a claimant cancels their intake."""

    ILLNESS = "illness"
    FOUND_WORK = "found_work"
    UNAVAILABLE = "unavailable"
    OTHER = "other"


class ServiceCancelReason(StrEnum):
    """Why the service cancels an intake."""

    COACH_UNAVAILABLE = "coach_unavailable"
    OFFICE_CLOSED = "office_closed"
    PLANNING_ERROR = "planning_error"
    OTHER = "other"


class ClaimantCancelCreate(RequestModel):
    """A claimant cancels their intake."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason_code: ClaimantCancelReason
    reason_text: Annotated[FreeText | None, MultiLine()] = Field(
        default=None, min_length=1, max_length=500
    )


class ServiceCancelCreate(RequestModel):
    """The service cancels an intake."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason_code: ServiceCancelReason
    reason_text: Annotated[FreeText | None, MultiLine()] = Field(
        default=None, min_length=1, max_length=500
    )


class Topic(StrEnum):
    """Rights and obligations explained in the intake."""

    JOB_SEARCH_OBLIGATION = "job_search_obligation"
    INCOME_REPORTING = "income_reporting"
    SUITABLE_WORK = "suitable_work"
    SANCTIONS = "sanctions"
    STARTERS_SCHEME = "starters_scheme"


class CompletionCreate(RequestModel):
    """The outcome of a held intake."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    explained_topics: set[Topic] = Field(min_length=1)
    obligation_regime: Literal["regular", "none", "individual"]
    claimant_view: Annotated[FreeText | None, MultiLine()] = Field(
        default=None, min_length=1, max_length=2000
    )
    questionnaire_answers: dict[str, AnswerValue] | None = None
    agreed_next_step: Annotated[FreeText, MultiLine()] = Field(min_length=1, max_length=500)

    @field_validator("explained_topics")
    @classmethod
    def _job_search_obligation(cls, value: set[Topic]) -> set[Topic]:
        if Topic.JOB_SEARCH_OBLIGATION not in value:
            raise ValueError("job_search_obligation must be explained")
        return value

    @field_validator("questionnaire_answers", mode="before")
    @classmethod
    def _questionnaire(cls, value: object) -> object:
        return check_questionnaire(value)


class CancellationRead(BaseModel):
    """A cancelled appointment and what became of the claim."""

    appointment: AppointmentRead
    rebooked: AppointmentRead | None = None
    unplanned: bool


class ReminderRunRead(BaseModel):
    """How many intake.reminder_due events one run emitted."""

    emitted: int


class NoShowRead(BaseModel):
    """A recorded no-show and what followed: a summons, the unplanned list, or a flag."""

    appointment: AppointmentRead
    summons: AppointmentRead | None = Field(
        default=None, description="The new intake booked as a summons (first no-show)"
    )
    no_show_count: int
    flagged_for_coach: bool = Field(
        description="Repeated no-show: no automatic summons, the coach decides what follows"
    )
    unplanned: bool = Field(description="No summons slot was free: the claim is on the list")


class OfficePlanningRunRead(BaseModel):
    """What one office's planning run did."""

    office_code: str
    booked: int = Field(description="Claims of the office's unplanned list booked now")
    still_unplanned: int = Field(description="Claims still on the office's unplanned list")


class PlanningRunRead(BaseModel):
    """What one planning run did."""

    agendas_extended: int = Field(description="Agendas whose slots were rolled forward")
    slots_until: dt.date = Field(description="The last day with generated slots")
    booked: int = Field(description="Claims booked from the unplanned lists")
    still_unplanned: int = Field(description="Claims still on an unplanned list")
