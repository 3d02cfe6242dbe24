"""Contact moment rules: planning, recording the outcome, and the claimant's view."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from coaching.cases.models import Case
from coaching.cases.service import case_for, require_open, visible_to
from coaching.contacts import repository
from coaching.contacts.models import ContactMoment
from coaching.contacts.schemas import (
    ClaimantContactMomentPage,
    ClaimantContactMomentRead,
    ContactMomentCancel,
    ContactMomentCreate,
    ContactMomentHeld,
    ContactMomentPage,
    ContactMomentRead,
)
from shared.clock import local_today
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal
from shared.web.problems import (
    Conflict,
    IdempotencyKeyInProgress,
    IdempotencyKeyReuse,
    InvalidField,
    NotFound,
)

PLANNING_HORIZON = dt.timedelta(days=366)
"""A contact moment is planned at most this far ahead, or recorded at most this far back
(a spontaneous phone call is planned and then recorded as held); further is a typo."""

CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far in the future `held_at` may lie: the caller's clock may run a little ahead."""

TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"held", "no_show", "cancelled"}),
    # A no-show recorded in error (the claimant came late, or the wrong moment) is
    # corrected by recording the contact as held.
    "no_show": frozenset({"held"}),
    "held": frozenset(),
    "cancelled": frozenset(),
}
"""The statuses a contact moment may move to from each status."""


def check_transition(current: str, target: str) -> None:
    """409 unless `target` is a status the contact moment may move to from `current`."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        way = ("allowed: " + ", ".join(sorted(allowed))) if allowed else f"{current} is final"
        raise Conflict(
            f"a contact moment cannot move from {current} to {target} ({way})",
            current_status=current,
            allowed_statuses=sorted(allowed),
        )


def check_planned_at(planned_at: dt.datetime, now: dt.datetime) -> None:
    """422 for a planned time implausibly far away (`PLANNING_HORIZON`)."""
    if planned_at > now + PLANNING_HORIZON:
        raise InvalidField("planned_at", "lies more than a year ahead")
    if planned_at < now - PLANNING_HORIZON:
        raise InvalidField("planned_at", "lies more than a year in the past")


def check_held_at(held_at: dt.datetime, now: dt.datetime) -> None:
    """422 for a contact recorded as held in the future or implausibly long ago."""
    if held_at > now + CLOCK_SKEW:
        raise InvalidField("held_at", "lies in the future")
    if held_at < now - PLANNING_HORIZON:
        raise InvalidField("held_at", "lies more than a year in the past")


def check_held_early(planned_at: dt.datetime, held_at: dt.datetime, reason: str | None) -> None:
    """422 naming `reason` for a contact recorded as held before its planned day without
    one: the Dutch calendar days are compared (a contact planned for 09:00 and held at
    08:30 the same day needs none). Meeting earlier than agreed happens (the claimant
    dropped by), but unexplained it looks like a record made ahead of time."""
    planned_day, held_day = local_today(planned_at), local_today(held_at)
    if held_day < planned_day and not (reason and reason.strip()):
        raise InvalidField(
            "reason",
            f"held on {held_day.isoformat()}, before the planned day "
            f"{planned_day.isoformat()}: say why",
        )


def check_no_show(planned_at: dt.datetime, now: dt.datetime) -> None:
    """409 for a no-show recorded before the contact was due to start."""
    if now < planned_at:
        raise Conflict(
            f"the contact moment is planned for {planned_at.isoformat()}; a no-show can be "
            "recorded from then on (cancel it if it will not take place)"
        )


def staff_view(moment: ContactMoment, case: Case) -> ContactMomentRead:
    """The staff view, with the coach's notes."""
    return ContactMomentRead(
        **_claimant_fields(moment, case),
        notes=moment.notes,
        planned_by=moment.planned_by,
        recorded_by=moment.recorded_by,
        early_reason=moment.early_reason,
    )


def claimant_view(moment: ContactMoment, case: Case) -> ClaimantContactMomentRead:
    """The claimant's view: never the coach's notes or staff ids."""
    return ClaimantContactMomentRead(**_claimant_fields(moment, case))


def _claimant_fields(moment: ContactMoment, case: Case) -> dict[str, Any]:
    return {
        "id": moment.id,
        "claim_id": case.claim_id,
        "planned_at": moment.planned_at,
        "channel": moment.channel,
        "purpose": moment.purpose,
        "status": moment.status,
        "held_at": moment.held_at,
        "cancel_reason": moment.cancel_reason,
        "version": moment.version,
        "created_at": moment.created_at,
        "updated_at": moment.updated_at,
        "status_changed_at": moment.status_changed_at,
    }


def _audit_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


@dataclass(frozen=True)
class Planned:
    """The planned contact moment, or the one an `Idempotency-Key` retry replays."""

    moment: ContactMomentRead
    replayed: bool


def _staff_case(
    uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal, action: str, *, lock: bool = False
) -> Case:
    case = case_for(uow=uow, claim_id=claim_id, principal=principal, action=action, audit=False)
    if lock:
        # A write checks `require_open` under the case's row lock (a closure takes the same
        # lock), and locks the case before the contact moment (one lock order).
        uow.session.refresh(case, with_for_update=True)
    return case


def plan_contact(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    data: ContactMomentCreate,
    idempotency_key: str | None,
    now: dt.datetime,
) -> Planned:
    """Plan a contact moment on a case (staff of the case)."""
    case = _staff_case(uow, claim_id, principal, "contact.plan", lock=True)
    actor = principal.as_actor()
    if idempotency_key is not None:
        existing = repository.by_idempotency_key(uow.session, case.id, idempotency_key)
        if existing is not None:
            if (existing.planned_at, existing.channel, existing.purpose) != (
                data.planned_at,
                data.channel,
                data.purpose,
            ):
                raise IdempotencyKeyReuse(
                    "this Idempotency-Key was already used on this case for another contact moment"
                )
            uow.audit(
                actor=actor,
                action="contact.plan_replayed",
                resource_type="contact_moment",
                resource_id=existing.id,
            )
            read = staff_view(existing, case)
            uow.commit()
            return Planned(read, replayed=True)
    require_open(case)
    check_planned_at(data.planned_at, now)
    moment = ContactMoment(
        id=uuid.uuid4(),
        case_id=case.id,
        planned_at=data.planned_at,
        channel=data.channel,
        purpose=data.purpose,
        status="planned",
        planned_by=actor.subject,
        idempotency_key=idempotency_key,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(uow.session, moment)
    try:
        uow.session.flush()
    except IntegrityError:
        raise IdempotencyKeyInProgress(
            "another request with this Idempotency-Key is being processed; retry shortly"
        ) from None
    uow.audit(
        actor=actor,
        action="contact.plan",
        resource_type="contact_moment",
        resource_id=moment.id,
        new={
            "case_id": str(case.id),
            "status": "planned",
            "planned_at": _audit_value(moment.planned_at),
            "channel": moment.channel,
            "purpose": moment.purpose,
        },
    )
    read = staff_view(moment, case)
    uow.commit()
    return Planned(read, replayed=False)


def _moment(
    uow: UnitOfWork, case: Case, moment_id: uuid.UUID, *, for_update: bool = False
) -> ContactMoment:
    moment = repository.by_id(uow.session, case.id, moment_id, for_update=for_update)
    if moment is None:
        raise NotFound("no such contact moment")
    return moment


def _check_version(moment: ContactMoment, version: int | None) -> None:
    if version is not None and version != moment.version:
        raise Conflict(
            f"the contact moment was changed since version {version} (it is at version "
            f"{moment.version}); reload it",
            current_version=moment.version,
        )


def _transition(
    *,
    uow: UnitOfWork,
    case: Case,
    moment: ContactMoment,
    principal: Principal,
    action: str,
    target: str,
    changes: dict[str, Any],
    now: dt.datetime,
    reason: str | None = None,
) -> ContactMomentRead:
    old: dict[str, Any] = {"status": moment.status, "version": moment.version}
    for name, value in changes.items():
        if name != "notes":
            old[name] = _audit_value(getattr(moment, name))
        setattr(moment, name, value)
    moment.status = target
    moment.status_changed_at = now
    moment.recorded_by = principal.as_actor().subject
    moment.updated_at = now
    moment.version += 1
    new: dict[str, Any] = {"status": target, "version": moment.version}
    for name, value in changes.items():
        # The coach's notes stay out of the audit trail; that they changed is recorded.
        new[name] = "(recorded)" if name == "notes" and value else _audit_value(value)
    uow.audit(
        actor=principal.as_actor(),
        action=action,
        resource_type="contact_moment",
        resource_id=moment.id,
        reason=reason,
        old=old,
        new=new,
    )
    read = staff_view(moment, case)
    uow.commit()
    return read


def _unchanged(
    uow: UnitOfWork, case: Case, moment: ContactMoment, principal: Principal, action: str
) -> ContactMomentRead:
    uow.audit(
        actor=principal.as_actor(),
        action=f"{action}_unchanged",
        resource_type="contact_moment",
        resource_id=moment.id,
    )
    read = staff_view(moment, case)
    uow.commit()
    return read


def record_held(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    moment_id: uuid.UUID,
    principal: Principal,
    data: ContactMomentHeld,
    now: dt.datetime,
) -> ContactMomentRead:
    """The contact took place (from planned, or correcting a no-show), with the coach's
    notes. Repeating the same request answers the current state."""
    case = _staff_case(uow, claim_id, principal, "contact.held", lock=True)
    moment = _moment(uow, case, moment_id, for_update=True)
    held_at = data.held_at or now
    if moment.status == "held" and (
        (data.held_at is None or moment.held_at == data.held_at)
        and ("notes" not in data.model_fields_set or moment.notes == data.notes)
    ):
        return _unchanged(uow, case, moment, principal, "contact.held")
    require_open(case)
    _check_version(moment, data.version)
    check_transition(moment.status, "held")
    check_held_at(held_at, now)
    check_held_early(moment.planned_at, held_at, data.reason)
    changes: dict[str, Any] = {"held_at": held_at, "notes": data.notes}
    if data.reason is not None:
        changes["early_reason"] = data.reason
    return _transition(
        uow=uow,
        case=case,
        moment=moment,
        principal=principal,
        action="contact.held",
        target="held",
        changes=changes,
        now=now,
        reason=data.reason,
    )


def record_no_show(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    moment_id: uuid.UUID,
    principal: Principal,
    version: int | None,
    now: dt.datetime,
) -> ContactMomentRead:
    """The claimant did not appear (from the planned time on). Repeating it is harmless."""
    case = _staff_case(uow, claim_id, principal, "contact.no_show", lock=True)
    moment = _moment(uow, case, moment_id, for_update=True)
    if moment.status == "no_show":
        return _unchanged(uow, case, moment, principal, "contact.no_show")
    require_open(case)
    _check_version(moment, version)
    check_transition(moment.status, "no_show")
    check_no_show(moment.planned_at, now)
    return _transition(
        uow=uow,
        case=case,
        moment=moment,
        principal=principal,
        action="contact.no_show",
        target="no_show",
        changes={},
        now=now,
    )


def cancel(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    moment_id: uuid.UUID,
    principal: Principal,
    data: ContactMomentCancel,
    now: dt.datetime,
) -> ContactMomentRead:
    """The contact will not take place. Repeating it is harmless."""
    case = _staff_case(uow, claim_id, principal, "contact.cancel", lock=True)
    moment = _moment(uow, case, moment_id, for_update=True)
    if moment.status == "cancelled":
        return _unchanged(uow, case, moment, principal, "contact.cancel")
    require_open(case)
    _check_version(moment, data.version)
    check_transition(moment.status, "cancelled")
    return _transition(
        uow=uow,
        case=case,
        moment=moment,
        principal=principal,
        action="contact.cancel",
        target="cancelled",
        changes={"cancel_reason": data.reason},
        now=now,
    )


def get_moment(
    *, uow: UnitOfWork, claim_id: uuid.UUID, moment_id: uuid.UUID, principal: Principal
) -> ContactMomentRead | ClaimantContactMomentRead:
    """One contact moment; the claimant's own without the notes (audited as a read)."""
    case = case_for(
        uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, audit=False
    )
    moment = _moment(uow, case, moment_id)
    uow.audit(
        actor=principal.as_actor(),
        action="contact.read",
        resource_type="contact_moment",
        resource_id=moment.id,
    )
    read: ContactMomentRead | ClaimantContactMomentRead = (
        staff_view(moment, case) if visible_to(principal, case) else claimant_view(moment, case)
    )
    uow.commit()
    return read


def list_moments(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    statuses: list[str],
    sort: str,
    limit: int,
    offset: int,
) -> ContactMomentPage | ClaimantContactMomentPage:
    """A page of the case's contact moments with its no-show count (audited as
    `contact.list` of the case); the claimant's view of their own has no notes."""
    case = case_for(
        uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, action="contact.list"
    )
    rows, total = repository.list_moments(
        uow.session, case_id=case.id, statuses=statuses, sort=sort, limit=limit, offset=offset
    )
    no_shows = repository.count_no_shows(uow.session, case.id)
    page: ContactMomentPage | ClaimantContactMomentPage
    if visible_to(principal, case):
        page = ContactMomentPage(
            items=[staff_view(m, case) for m in rows],
            total=total,
            limit=limit,
            offset=offset,
            no_shows=no_shows,
        )
    else:
        page = ClaimantContactMomentPage(
            items=[claimant_view(m, case) for m in rows],
            total=total,
            limit=limit,
            offset=offset,
            no_shows=no_shows,
        )
    uow.commit()
    return page
