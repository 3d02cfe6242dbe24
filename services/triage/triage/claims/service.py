"""Claims read model rules: fill it from intake's events; who may see a claim's triage.

Visibility (docs/api.md, ADR 0012):
- admin and triage analyst: every claim;
- team lead: claims of the office in their token;
- coach: claims whose intake they hold or held (`intake.scheduled`, `.rescheduled`,
  `.no_show`, `.completed` name the coach). Triage does not consume coaching's case
  assignment yet; when coaching publishes `case.assigned`, that becomes the caseload;
- claimant: their own claim, i.e. one they registered themselves (`claim.registered`
  carries their subject). A claim registered by staff is not visible to the claimant here.
Anything else is 404, like a claim that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    ClaimRegistered,
    IntakeCancelled,
    IntakeCompleted,
    IntakeNoShow,
    IntakeRescheduled,
    IntakeScheduled,
)
from shared.web.auth import Principal, Role
from shared.web.problems import NotFound
from triage.claims import repository
from triage.claims.models import OPEN, TriageClaim


def get_or_stub(uow: UnitOfWork, claim_id: uuid.UUID) -> TriageClaim:
    """The claim's row, or a new stub for an event that came before registration."""
    claim = repository.get(uow.session, claim_id)
    if claim is None:
        claim = TriageClaim(claim_id=claim_id, registered=False, status=OPEN, updated_at=utcnow())
        repository.add(uow.session, claim)
        uow.session.flush()
    return claim


def record_registration(*, uow: UnitOfWork, claim: ClaimRegistered) -> TriageClaim | None:
    """claim.registered: the facts triage needs; None if this claim was registered already."""
    row = get_or_stub(uow, claim.claim_id)
    if row.registered:
        return None
    row.registered = True
    row.office_code = claim.office_code
    row.first_ww_day = claim.first_ww_day
    row.registered_at = claim.registered_at
    row.age_at_first_ww_day = claim.age_at_first_ww_day
    row.years_work_history = claim.years_work_history
    row.education_level = claim.education_level
    row.sector = claim.sector
    row.hours_lost_per_week = claim.hours_lost_per_week
    row.claimant_subject = claim.claimant_subject
    row.updated_at = utcnow()
    return row


def record_intake_event(*, uow: UnitOfWork, event: Any) -> TriageClaim:
    """intake.*: remember who holds the claim's intake (the coach's caseload for triage)."""
    row = get_or_stub(uow, event.claim_id)
    if isinstance(event, IntakeCancelled):
        if row.intake_appointment_id == event.appointment_id:
            row.intake_coach_id = None
            row.intake_appointment_id = None
    elif isinstance(event, IntakeScheduled | IntakeRescheduled | IntakeNoShow | IntakeCompleted):
        row.intake_coach_id = event.coach_id
        row.intake_appointment_id = event.appointment_id
        if isinstance(event, IntakeScheduled) and row.office_code is None:
            row.office_code = event.office_code
    row.updated_at = utcnow()
    return row


def visible_to(principal: Principal, claim: TriageClaim) -> bool:
    """The row-level rule of every claim-scoped triage endpoint (see the module docstring)."""
    if principal.has_role(Role.ADMIN, Role.TRIAGE_ANALYST):
        return True
    if (
        principal.has_role(Role.TEAM_LEAD)
        and principal.office is not None
        and claim.office_code == principal.office
    ):
        return True
    if (
        principal.has_role(Role.COACH)
        and claim.intake_coach_id is not None
        and str(claim.intake_coach_id) == principal.subject
    ):
        return True
    return (
        principal.has_role(Role.CLAIMANT)
        and claim.claimant_subject is not None
        and claim.claimant_subject == principal.subject
    )


def visible_claim(*, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal) -> TriageClaim:
    """The registered claim if the caller may see it; NotFound otherwise (also if unknown).
    A coach or team lead outside their scope may read it with a stated reason (break-glass,
    ADR 0022), audited as `claim.read.break_glass`."""
    claim = repository.get(uow.session, claim_id)
    if claim is None or not claim.registered:
        raise NotFound("no such claim")
    if not visible_to(principal, claim):
        if principal.break_glass is None:
            raise NotFound("no such claim")
        uow.audit(
            actor=principal.as_actor(),
            action="claim.read.break_glass",
            resource_type="claim",
            resource_id=claim.claim_id,
            reason=principal.break_glass,
        )
    return claim
