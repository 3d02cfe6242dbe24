"""What the appointment actions share: the row-level checks, the action rules, the audit."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from intake.appointments import repository, rules
from intake.appointments.models import (
    CANCELLED_BY_CLAIMANT,
    Appointment,
)
from intake.claims.models import Claim
from intake.settings import IntakeSettings
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, NotFound


def is_staff_for(principal: Principal, appointment: Appointment, claim: Claim) -> bool:
    if principal.has_role(Role.ADMIN):
        return True
    if principal.has_role(Role.TEAM_LEAD) and principal.office in (
        appointment.office_code,
        claim.office_code,
    ):
        return True
    return principal.has_role(Role.COACH) and (
        principal.subject == str(appointment.coach_id)
        or principal.office == appointment.office_code
    )


def is_owner(principal: Principal, claim: Claim) -> bool:
    return (
        principal.has_role(Role.CLAIMANT)
        and claim.claimant_subject is not None
        and claim.claimant_subject == principal.subject
    )


def load_for_action(
    uow: UnitOfWork, appointment_id: uuid.UUID, principal: Principal, *, claimant_ok: bool
) -> tuple[Appointment, Claim, bool]:
    """The locked appointment, its claim and whether the caller acts for the service.

    Staff rights win over ownership; anyone else gets 404 as for a missing appointment.
    """
    appointment = repository.lock(uow.session, appointment_id)
    claim = uow.session.get(Claim, appointment.claim_id) if appointment else None
    if appointment is None or claim is None:
        raise NotFound("no such appointment")
    if is_staff_for(principal, appointment, claim):
        return appointment, claim, True
    if claimant_ok and is_owner(principal, claim):
        return appointment, claim, False
    raise NotFound("no such appointment")


def require_allowed(
    action: str,
    appointment: Appointment,
    *,
    staff: bool,
    now: dt.datetime,
    settings: IntakeSettings,
    rebookable: bool = False,
) -> None:
    allowed = rules.allowed_actions(
        status=appointment.status,
        starts_at=appointment.starts_at,
        now=now,
        staff=staff,
        cutoff=dt.timedelta(hours=settings.reschedule_cutoff_hours),
        rebookable=rebookable,
    )
    if action not in allowed:
        raise Conflict(
            f"'{action}' is not allowed on a {appointment.status} appointment now",
            current_status=appointment.status,
            allowed=allowed,
        )


def audit_action(
    uow: UnitOfWork,
    principal: Principal,
    appointment: Appointment,
    action: str,
    old_status: str,
    *,
    reason: str | None = None,
    extra: dict[str, object] | None = None,
) -> None:
    uow.audit(
        actor=principal.as_actor(),
        action=f"appointment.{action}",
        resource_type="appointment",
        resource_id=appointment.id,
        old={"status": old_status},
        new={"status": appointment.status, **(extra or {})},
        reason=reason,
    )


def reason_of(code: str, text: str | None) -> str:
    return f"{code}: {text}" if text else code


class SlotUnavailable(Conflict):
    """The slot cannot be booked for this appointment now; `reason` says why (ADR 0017)."""

    slug, title = "slot-unavailable", "The slot cannot be booked"

    def __init__(self, reason: str, *, slot_id: uuid.UUID, current_status: str) -> None:
        super().__init__(
            rules.REFUSAL_DETAILS[reason],
            reason=reason,
            slot_id=str(slot_id),
            current_status=current_status,
            allowed=[rules.RESCHEDULE],
        )


def is_rebookable(session: Session, appointment: Appointment, claim: Claim) -> bool:
    """A claimant's cancelled appointment from which a new slot may be picked: the open
    claim's latest appointment, nothing booked since."""
    if appointment.status != CANCELLED_BY_CLAIMANT or claim.status != "open":
        return False
    history = repository.of_claim(session, claim.id)
    return bool(history) and history[0].id == appointment.id
