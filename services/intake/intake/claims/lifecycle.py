"""The end of a claim and changes to it (issue 12): close and reopen after the coaching case,
withdrawal by the claimant, and changes of the claimant's details. No FastAPI here."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from intake.access import service as access
from intake.agendas.rules import local_day
from intake.appointments import repository as appointments_repository
from intake.appointments.cancellations import cancel_by_service, record_service_cancel
from intake.appointments.models import (
    ACTIVE_STATUSES,
    COMPLETED,
    Appointment,
)
from intake.appointments.runs import book_on_registration
from intake.claims import repository, states
from intake.claims.models import Claim
from intake.claims.schemas import ClaimUpdate, ClaimWithdraw
from intake.planning import repository as planning_repository
from intake.settings import IntakeSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    ClaimClosed,
    ClaimReopened,
    ClaimReopenRefused,
    ClaimUpdated,
    ClaimWithdrawn,
)
from shared.reference import InvalidPostcodeError, OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, InvalidField, NotFound

# Who may change or withdraw a claim on the claimant's behalf.
STAFF_WRITE_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.ADMIN)
SYSTEM = Actor(subject="intake", kind="application", roles=())
# Intake itself acting on an appointment (a re-plan after a move), whoever changed the claim.
SERVICE = Principal(subject="intake", kind="application", roles=frozenset({Role.ADMIN}))

CLAIM_CLOSED = "claim_closed"
CLAIM_WITHDRAWN = "claim_withdrawn"
CLAIMANT_MOVED = "claimant_moved"


def _require(claim: Claim, action: str) -> str:
    """The state after `action`, or 409 naming the current state and the allowed actions."""
    try:
        return states.next_status(claim.status, action)
    except states.TransitionNotAllowed as exc:
        raise Conflict(
            f"'{action}' is not allowed on a {claim.status} claim",
            current_status=claim.status,
            allowed=exc.allowed,
        ) from None


def _cancel_future_appointments(
    uow: UnitOfWork, claim: Claim, *, reason_code: str, actor: Actor, now: dt.datetime
) -> list[Appointment]:
    """Cancel (by the service) every active appointment not yet started; the rows stay as
    history, the slots are free again, and the claim leaves the unplanned list."""
    cancelled = []
    for appointment in appointments_repository.of_claim(uow.session, claim.id):
        if appointment.status not in ACTIVE_STATUSES or appointment.starts_at <= now:
            continue
        record_service_cancel(
            uow, appointment, reason_code=reason_code, actor=actor, now=now, reason=reason_code
        )
        cancelled.append(appointment)
    unplanned = appointments_repository.unplanned(uow.session, claim.id)
    if unplanned is not None:
        appointments_repository.remove_unplanned(uow.session, unplanned)
    # Nor is an ended claim waiting for its booking window any more.
    deferred = planning_repository.deferred(uow.session, claim.id)
    if deferred is not None:
        planning_repository.remove_deferred(uow.session, deferred)
    uow.session.flush()
    return cancelled


def _end(
    claim: Claim, *, status: str, reason: str, on: dt.date | None, actor: Actor, now: dt.datetime
) -> dict[str, Any]:
    old = {"status": claim.status}
    claim.status = status
    claim.closed_at = now
    claim.closed_on = on
    claim.close_reason = reason
    claim.closed_by = actor.subject
    return old


def close_for_case(*, uow: UnitOfWork, closed: Any, now: dt.datetime) -> None:
    """case.closed: close the open claim with the case result and day (no commit).

    A claim already closed or withdrawn stays as it is (a redelivery, or the echo of a
    withdrawal: coaching closed the case because the claim was withdrawn).
    """
    claim = repository.lock(uow.session, closed.claim_id)
    if claim is None or claim.status != states.OPEN:
        return
    old = _end(
        claim,
        status=states.next_status(claim.status, states.CLOSE),
        reason=closed.result,
        on=closed.closed_on,
        actor=SYSTEM,
        now=now,
    )
    _cancel_future_appointments(uow, claim, reason_code=CLAIM_CLOSED, actor=SYSTEM, now=now)
    uow.audit(
        actor=SYSTEM,
        action="claim.close",
        resource_type="claim",
        resource_id=claim.id,
        old=old,
        new={"status": claim.status, "closed_on": _iso(claim.closed_on), "reason": closed.result},
        reason=f"case {closed.case_id} closed: {closed.result}",
    )
    uow.publish(
        ClaimClosed(
            claim_id=claim.id,
            reason=closed.result,
            closed_on=closed.closed_on,
            closed_at=now,
            case_id=closed.case_id,
        )
    )


def reopen_for_case(
    *,
    uow: UnitOfWork,
    reopened: Any,
    now: dt.datetime,
    offices: OfficeDirectory,
    settings: IntakeSettings,
) -> None:
    """case.reopened: reopen the closed claim (no commit).

    When the person has meanwhile registered a newer open claim, the old claim stays
    closed and the refusal is recorded (column, audit, `claim.reopen_refused`): ADR 0015.
    An open claim (a redelivery) or a withdrawn one (final) is left as it is. A reopened
    claim whose intake was never held (the closure cancelled it) is booked again, the
    deadline counting from the reopen day, else shortfall and the unplanned list.
    """
    claim = repository.lock(uow.session, reopened.claim_id)
    if claim is None or claim.status != states.CLOSED:
        return
    newer = repository.find_open_by_bsn_hash(uow.session, claim.bsn_hash)
    if newer is not None:
        claim.reopen_refused_at = now
        uow.audit(
            actor=SYSTEM,
            action="claim.reopen_refused",
            resource_type="claim",
            resource_id=claim.id,
            new={"open_claim_id": str(newer.id)},
            reason="the person has a newer open claim",
        )
        uow.publish(ClaimReopenRefused(claim_id=claim.id, open_claim_id=newer.id, refused_at=now))
        return
    old = {"status": claim.status, "close_reason": claim.close_reason}
    claim.status = states.next_status(claim.status, states.REOPEN)
    claim.closed_at = claim.closed_on = claim.close_reason = claim.closed_by = None
    uow.session.flush()
    uow.audit(
        actor=SYSTEM,
        action="claim.reopen",
        resource_type="claim",
        resource_id=claim.id,
        old=old,
        new={"status": claim.status},
        reason=reopened.reason[:200],
    )
    uow.publish(ClaimReopened(claim_id=claim.id, reopened_at=now))
    _rebook_intake_after_reopen(uow, claim, offices=offices, settings=settings, now=now)


def _rebook_intake_after_reopen(
    uow: UnitOfWork,
    claim: Claim,
    *,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> None:
    # The face-to-face intake is the claim's, not the case's: a claim closed before its
    # intake was held still needs one when it reopens (ADR 0015).
    history = appointments_repository.of_claim(uow.session, claim.id)
    if any(a.status == COMPLETED or a.status in ACTIVE_STATUSES for a in history):
        return
    book_on_registration(
        uow=uow,
        claim=claim,
        actor=SYSTEM,
        offices=offices,
        settings=settings,
        today=local_day(now),
        now=now,
    )


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _load_for_write(uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal) -> Claim:
    """The locked claim if it lies in the caller's need-to-know scope (ADR 0022: the
    claimant their own, a coach their office's and caseload's, a team lead their office's,
    national roles all), else 404. Break-glass is for reads only (`requires` refuses it)."""
    claim = repository.lock(uow.session, claim_id)
    if claim is None or not access.in_scope(uow, access.scope_for(uow, principal), claim):
        raise NotFound("no such claim")
    return claim


def withdraw(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    data: ClaimWithdraw,
    principal: Principal,
    today: dt.date,
    now: dt.datetime,
) -> Claim:
    """The claimant withdraws the claim (staff may on their behalf); idempotent; commits."""
    claim = _load_for_write(uow, claim_id, principal)
    if claim.status == states.WITHDRAWN:
        uow.commit()
        return claim  # a repeated withdrawal: the same answer, nothing new
    actor = principal.as_actor()
    old = _end(
        claim,
        status=_require(claim, states.WITHDRAW),
        reason=data.reason_code.value,
        on=today,
        actor=actor,
        now=now,
    )
    _cancel_future_appointments(uow, claim, reason_code=CLAIM_WITHDRAWN, actor=actor, now=now)
    by = "claimant" if not principal.has_role(*STAFF_WRITE_ROLES) else "staff"
    uow.audit(
        actor=actor,
        action="claim.withdraw",
        resource_type="claim",
        resource_id=claim.id,
        old=old,
        new={"status": claim.status, "reason_code": data.reason_code.value, "by": by},
        # The free text may hold personal details: the audit keeps it, events never do.
        reason=data.reason_text,
    )
    uow.publish(
        ClaimWithdrawn(
            claim_id=claim.id, reason_code=data.reason_code.value, withdrawn_at=now, by=by
        )
    )
    uow.commit()
    return claim


def _replan_after_move(
    uow: UnitOfWork,
    claim: Claim,
    *,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> None:
    """A move to another office: a not-yet-held intake is cancelled by the service and booked
    at the new office before its deadline, else shortfall and the new office's unplanned list
    (`appointments.cancellations.cancel_by_service`, which rebooks at the claim's office; it
    commits, together with the changed claim)."""
    unplanned = appointments_repository.unplanned(uow.session, claim.id)
    if unplanned is not None:
        unplanned.office_code = claim.office_code
    deferred = planning_repository.deferred(uow.session, claim.id)
    if deferred is not None:
        deferred.office_code = claim.office_code  # the planning run books at the new office
    uow.session.flush()
    for appointment in appointments_repository.of_claim(uow.session, claim.id):
        if appointment.status in ACTIVE_STATUSES and appointment.starts_at > now:
            cancel_by_service(
                uow=uow,
                appointment_id=appointment.id,
                reason_code=CLAIMANT_MOVED,
                reason_text=None,
                principal=SERVICE,
                offices=offices,
                settings=settings,
                now=now,
            )


def update(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    data: ClaimUpdate,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Claim:
    """Change the claimant's details; audited old/new, `claim.updated` names the fields; commits."""
    claim = _load_for_write(uow, claim_id, principal)
    _require(claim, states.UPDATE)
    sent = data.model_fields_set
    for field in ("postcode", "preferred_language", "sms_notifications"):
        if field in sent and getattr(data, field) is None:
            raise InvalidField(field, "cannot be cleared")
    new_values: dict[str, Any] = {}
    if "postcode" in sent:
        new_values["postcode"] = data.postcode
    if "phone" in sent:
        new_values["phone"] = data.phone
    if "email" in sent:
        new_values["email"] = None if data.email is None else str(data.email)
    if "preferred_language" in sent:
        new_values["preferred_language"] = data.preferred_language
    for field in ("street", "house_number", "city", "contact_preference", "sms_notifications"):
        if field in sent:
            new_values[field] = getattr(data, field)
    if "unavailable" in sent:
        new_values["unavailable"] = [
            u.model_dump(mode="json", exclude_none=True) for u in data.unavailable or []
        ] or None
    new_office: str | None = None
    if "postcode" in new_values and new_values["postcode"] != claim.postcode:
        try:
            office = offices.for_postcode(new_values["postcode"])
        except InvalidPostcodeError as exc:
            raise InvalidField("postcode", str(exc)) from None
        if office.code != claim.office_code:
            new_office = office.code
    changed = sorted(f for f, v in new_values.items() if getattr(claim, f) != v)
    if not changed:
        uow.commit()
        return claim
    old = {f: getattr(claim, f) for f in changed}
    for f in changed:
        setattr(claim, f, new_values[f])
    if new_office is not None:
        old["office_code"] = claim.office_code
        claim.office_code = new_office
    uow.session.flush()
    actor = principal.as_actor()
    uow.audit(
        actor=actor,
        action="claim.update",
        resource_type="claim",
        resource_id=claim.id,
        old=old,
        new={f: getattr(claim, f) for f in old},
    )
    uow.publish(
        ClaimUpdated(
            claim_id=claim.id,
            changed_fields=changed + (["office_code"] if new_office else []),
            office_code=new_office,
            preferred_language=claim.preferred_language
            if "preferred_language" in changed
            else None,
            updated_at=now,
        )
    )
    if new_office is not None:
        _replan_after_move(uow, claim, offices=offices, settings=settings, now=now)
    uow.commit()
    return claim
