"""Events published by the coaching service (topic `<prefix>.coaching`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.events.common import ObligationRegime, Segment
from shared.events.envelope import EventPayload
from shared.events.registry import REGISTRY


class _CoachingPayload(EventPayload):
    producer: ClassVar[str] = "coaching"


class _CoachPayload(_CoachingPayload):
    subject_field: ClassVar[str] = "coach_id"


@REGISTRY.register
class CoachRegistered(_CoachPayload):
    """A coach joined the roster."""

    event_type: ClassVar[str] = "coach.registered"

    coach_id: uuid.UUID
    display_name: str
    office_code: str
    specialisms: list[str]
    contract_hours: float = Field(gt=0, le=40)
    holds_intakes: bool


@REGISTRY.register
class CoachUpdated(_CoachPayload):
    """A coach's roster data changed (the full current state is carried)."""

    event_type: ClassVar[str] = "coach.updated"

    coach_id: uuid.UUID
    display_name: str
    office_code: str
    specialisms: list[str]
    contract_hours: float = Field(gt=0, le=40)
    holds_intakes: bool


@REGISTRY.register
class CoachDeactivated(_CoachPayload):
    """A coach left the roster; they take no new intakes or cases."""

    event_type: ClassVar[str] = "coach.deactivated"

    coach_id: uuid.UUID
    office_code: str
    deactivated_at: AwareDatetime


@REGISTRY.register
class CaseOpened(_CoachingPayload):
    """Coaching opened a case for a claim."""

    event_type: ClassVar[str] = "case.opened"

    claim_id: uuid.UUID
    case_id: uuid.UUID
    office_code: str
    opened_at: AwareDatetime


@REGISTRY.register
class CaseAssigned(_CoachingPayload):
    """A case got a coach (or digital service without one)."""

    event_type: ClassVar[str] = "case.assigned"

    claim_id: uuid.UUID
    case_id: uuid.UUID
    coach_id: uuid.UUID | None
    segment: Segment
    assigned_at: AwareDatetime
    rule: str = Field(description="continuity, specialism, office_load, digital, ...")
    reason: str | None = Field(
        default=None,
        max_length=80,
        description="Why the rule decided, e.g. the specialisms matched, or why the intake "
        "coach was passed over (intake_coach_at_maximum, ...) (added within v1, optional)",
    )
    checkin_on: dt.date | None = Field(
        default=None,
        description="Digital service: the re-triage check-in date (added within v1, optional)",
    )


@REGISTRY.register
class CaseUnassigned(_CoachingPayload):
    """Alert: a personal-service case found no coach; it waits in the team lead's queue."""

    event_type: ClassVar[str] = "case.unassigned"

    claim_id: uuid.UUID
    case_id: uuid.UUID
    office_code: str
    segment: Segment
    reason: str = Field(description="no_active_coach_in_office or all_coaches_at_maximum")
    continuity: str | None = Field(
        default=None, description="Why the intake coach could not take it, when there was one"
    )
    unassigned_at: AwareDatetime


@REGISTRY.register
class CaseTransferred(_CoachingPayload):
    """A case moved from one coach to another."""

    event_type: ClassVar[str] = "case.transferred"

    claim_id: uuid.UUID
    case_id: uuid.UUID
    from_coach_id: uuid.UUID | None
    to_coach_id: uuid.UUID
    reason_category: str
    transferred_at: AwareDatetime


@REGISTRY.register
class CaseClosed(_CoachingPayload):
    """A case was closed with a result."""

    event_type: ClassVar[str] = "case.closed"

    claim_id: uuid.UUID
    case_id: uuid.UUID
    result: str = Field(
        description="work_resumed, work_resumed_partially, entitlement_ended, self_employed, other"
    )
    closed_at: AwareDatetime
    closed_on: dt.date | None = Field(
        default=None, description="The day the case ended (e.g. the first working day)"
    )
    reported_by: str | None = Field(
        default=None,
        description="claimant, temp_agency, coach or system (added within v1, optional)",
    )


@REGISTRY.register
class CaseReopened(_CoachingPayload):
    """A closed case was reopened (audited, with a reason)."""

    event_type: ClassVar[str] = "case.reopened"

    claim_id: uuid.UUID
    case_id: uuid.UUID
    coach_id: uuid.UUID | None = Field(description="The coach the case returns to, if any")
    reason: str = Field(description="Why the case was reopened (free text, no BSN)")
    reopened_at: AwareDatetime


@REGISTRY.register
class ObligationEvaluated(_CoachingPayload):
    """A 4-week job-search obligation period was evaluated."""

    event_type: ClassVar[str] = "obligation.evaluated"

    claim_id: uuid.UUID
    regime: ObligationRegime
    period_start: dt.date
    period_end: dt.date
    activities_required: int = Field(ge=0)
    activities_reported: int = Field(ge=0)
    compliant: bool


@REGISTRY.register
class ObligationMissed(_CoachingPayload):
    """A claimant did not meet the job-search obligation in a period; the coach gets a task."""

    event_type: ClassVar[str] = "obligation.missed"

    claim_id: uuid.UUID
    regime: ObligationRegime
    period_start: dt.date
    period_end: dt.date
    activities_required: int = Field(ge=0)
    activities_reported: int = Field(ge=0)


@REGISTRY.register
class PlacementReported(_CoachingPayload):
    """A temp agency (or the claimant) reported a placement in work."""

    event_type: ClassVar[str] = "placement.reported"

    claim_id: uuid.UUID
    placement_id: uuid.UUID
    partner_client_id: str | None
    start_date: dt.date
    hours_per_week: float = Field(gt=0, le=80)
    reported_at: AwareDatetime


class _VacancyPayload(_CoachingPayload):
    subject_field: ClassVar[str] = "vacancy_id"


@REGISTRY.register
class VacancyPublished(_VacancyPayload):
    """A partner published a vacancy."""

    event_type: ClassVar[str] = "vacancy.published"

    vacancy_id: uuid.UUID
    partner_client_id: str
    title: str
    office_code: str | None
    hours_per_week: float = Field(gt=0, le=80)
    published_at: AwareDatetime


@REGISTRY.register
class VacancyClosed(_VacancyPayload):
    """A vacancy was filled or withdrawn."""

    event_type: ClassVar[str] = "vacancy.closed"

    vacancy_id: uuid.UUID
    partner_client_id: str
    reason: str
    closed_at: AwareDatetime
