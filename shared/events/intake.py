"""Events published by the intake service (topic `<prefix>.intake`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from shared.events.common import Channel, RegistrationChannel
from shared.events.envelope import EventPayload
from shared.events.registry import REGISTRY


class _IntakePayload(EventPayload):
    producer: ClassVar[str] = "intake"


@REGISTRY.register
class ClaimRegistered(_IntakePayload):
    """A WW claim was registered; carries what triage and coaching need, never the BSN."""

    event_type: ClassVar[str] = "claim.registered"

    claim_id: uuid.UUID
    office_code: str = Field(description="Office serving the claimant's postcode")
    first_ww_day: dt.date
    registered_at: AwareDatetime
    channel: RegistrationChannel
    age_at_first_ww_day: int | None = Field(default=None, ge=15, le=80)
    years_work_history: int | None = Field(default=None, ge=0, le=60)
    education_level: str | None = None
    sector: str | None = None
    hours_lost_per_week: float | None = Field(default=None, ge=0, le=80)
    preferred_language: str | None = Field(default=None, description="ISO 639-1, e.g. nl, en")
    questionnaire_answers: dict[str, str | int | float | bool] | None = Field(
        default=None,
        description="Optional triage questionnaire given at registration: at most 40 answers, "
        "snake_case keys, text of at most 200 characters (added within v1, optional)",
    )
    claimant_subject: str | None = Field(
        default=None,
        max_length=200,
        description="The identity-provider subject of a claimant who registered themselves, "
        "so other services can let them see their own claim; opaque, never a BSN (added "
        "within v1, optional)",
    )


@REGISTRY.register
class IntakeScheduled(_IntakePayload):
    """A face-to-face intake was booked for a claim."""

    event_type: ClassVar[str] = "intake.scheduled"

    claim_id: uuid.UUID
    appointment_id: uuid.UUID
    coach_id: uuid.UUID
    office_code: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    deadline: dt.date = Field(description="Last working day on which the intake may take place")
    channel: Channel = Channel.FACE_TO_FACE
    summoned: bool = Field(
        default=False,
        description="A summons after a no-show: missing it can affect the benefit",
    )


@REGISTRY.register
class IntakeRescheduled(_IntakePayload):
    """An intake moved to another slot (by the claimant or by staff)."""

    event_type: ClassVar[str] = "intake.rescheduled"

    claim_id: uuid.UUID
    appointment_id: uuid.UUID
    coach_id: uuid.UUID
    office_code: str
    previous_starts_at: AwareDatetime
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    by: Literal["claimant", "service"]


@REGISTRY.register
class IntakeCancelled(_IntakePayload):
    """An intake was cancelled by the claimant or by the service."""

    event_type: ClassVar[str] = "intake.cancelled"

    claim_id: uuid.UUID
    appointment_id: uuid.UUID
    by: Literal["claimant", "service"]
    reason_code: str
    cancelled_at: AwareDatetime


@REGISTRY.register
class IntakeNoShow(_IntakePayload):
    """The claimant did not attend a booked intake."""

    event_type: ClassVar[str] = "intake.no_show"

    claim_id: uuid.UUID
    appointment_id: uuid.UUID
    coach_id: uuid.UUID
    scheduled_at: AwareDatetime
    no_show_count: int = Field(default=1, ge=1, description="No-shows of this claim so far")
    flagged_for_coach: bool = Field(
        default=False, description="A repeated no-show: the case needs the coach's attention"
    )


@REGISTRY.register
class IntakeCompleted(_IntakePayload):
    """The intake took place; rights and obligations were explained; next step agreed."""

    event_type: ClassVar[str] = "intake.completed"

    claim_id: uuid.UUID
    appointment_id: uuid.UUID
    coach_id: uuid.UUID
    held_at: AwareDatetime
    explained_topics: list[str] = Field(
        description="e.g. job_search_obligation, income_reporting, suitable_work, sanctions, "
        "starters_scheme"
    )
    agreed_next_step: str
    questionnaire_answers: dict[str, str | int | float | bool] | None = None
    within_deadline: bool
    obligation_regime: Literal["regular", "none", "individual"] | None = Field(
        default=None, description="Which job-search obligations apply (added in v1, optional)"
    )


@REGISTRY.register
class IntakeCapacityShortfall(_IntakePayload):
    """No slot could be found before the deadline; the claim is on the unplanned list."""

    event_type: ClassVar[str] = "intake.capacity_shortfall"

    claim_id: uuid.UUID
    office_code: str
    deadline: dt.date
    offices_searched: list[str]
    detected_at: AwareDatetime


@REGISTRY.register
class IntakeReminderDue(_IntakePayload):
    """Remind the claimant of their intake (09:00 on the 2nd working day before it)."""

    event_type: ClassVar[str] = "intake.reminder_due"

    claim_id: uuid.UUID
    appointment_id: uuid.UUID
    starts_at: AwareDatetime
    office_code: str
    due_at: AwareDatetime = Field(
        description="When the reminder became due: the rule's moment, or the booking if later"
    )


@REGISTRY.register
class ClaimClosed(_IntakePayload):
    """A claim was closed because coaching closed its case; the BSN may claim again."""

    event_type: ClassVar[str] = "claim.closed"

    claim_id: uuid.UUID
    reason: str = Field(description="The case result, e.g. work_resumed, entitlement_ended")
    closed_on: dt.date | None = Field(default=None, description="The day the case ended")
    closed_at: AwareDatetime
    case_id: uuid.UUID | None = Field(default=None, description="The coaching case that closed")


@REGISTRY.register
class ClaimReopened(_IntakePayload):
    """A closed claim was reopened because its case was reopened."""

    event_type: ClassVar[str] = "claim.reopened"

    claim_id: uuid.UUID
    reopened_at: AwareDatetime


@REGISTRY.register
class ClaimReopenRefused(_IntakePayload):
    """A case was reopened but its claim stays closed: the BSN has a newer open claim."""

    event_type: ClassVar[str] = "claim.reopen_refused"

    claim_id: uuid.UUID
    open_claim_id: uuid.UUID = Field(description="The newer open claim of the same person")
    refused_at: AwareDatetime


@REGISTRY.register
class ClaimWithdrawn(_IntakePayload):
    """The claimant withdrew their claim (themselves or through staff); coaching closes the case."""

    event_type: ClassVar[str] = "claim.withdrawn"

    claim_id: uuid.UUID
    reason_code: str = Field(description="e.g. found_work, moved_abroad, mistake, other")
    withdrawn_at: AwareDatetime
    by: Literal["claimant", "staff"]


@REGISTRY.register
class ClaimUpdated(_IntakePayload):
    """A claimant's details changed; only which fields, never their personal values."""

    event_type: ClassVar[str] = "claim.updated"

    claim_id: uuid.UUID
    changed_fields: list[str] = Field(description="Names of the changed fields, e.g. phone")
    office_code: str | None = Field(
        default=None, description="The new office, only when the move changed it"
    )
    preferred_language: str | None = Field(default=None, description="ISO 639-1, if changed")
    updated_at: AwareDatetime
