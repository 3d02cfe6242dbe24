"""Declaring and removing closures (issue 12, item 2): the closure rows and what they do to
slots and booked intakes (`intake.closures.effects`); no FastAPI here."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.exc import IntegrityError

from intake.calendar import repository
from intake.calendar.models import NATIONAL, Closure
from intake.calendar.rules import WorkingDays
from intake.calendar.schemas import ClosureCreate
from intake.calendar.service import check_day, check_office, get_closure
from intake.closures.effects import ClosureEffect, apply_closure, lift_closure
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, Forbidden, InvalidField


def _check_may_manage(principal: Principal, office_code: str | None) -> None:
    if principal.has_role(Role.ADMIN):
        return
    if office_code is None:
        raise Forbidden("only an admin declares or removes a national closure")
    if not principal.has_role(Role.TEAM_LEAD) or principal.office != office_code:
        raise Forbidden("a team lead manages only the closures of their own office")


def _snapshot(closure: Closure) -> dict[str, object]:
    return {
        "date": closure.day.isoformat(),
        "office_code": None if closure.is_national else closure.office_code,
        "reason": closure.reason,
        "created_by": closure.created_by,
    }


def _duplicate(uow: UnitOfWork, day: dt.date, office_code: str) -> Conflict:
    uow.rollback()
    existing = repository.find(uow.session, day, office_code)
    extra = {"existing_closure_id": str(existing.id)} if existing else {}
    return Conflict(
        "a closure for this date and office already exists (delete it first to change it)",
        **extra,
    )


def create_closure(
    *,
    uow: UnitOfWork,
    data: ClosureCreate,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> tuple[Closure, ClosureEffect]:
    """Declare a closure: admins nationally or for any office, team leads for their own office.

    The day's slots are withdrawn and its appointments rebooked by the service in the same
    transaction (`intake.closures.effects`); audited with what happened.
    """
    check_day(data.date, "date", location="body")
    check_office(data.office_code, offices, location="body")
    _check_may_manage(principal, data.office_code)
    rule = WorkingDays().rule_reason(data.date)
    if rule is not None:
        raise InvalidField("date", f"is already a non-working day ({rule})")
    actor = principal.as_actor()
    office_code = data.office_code or NATIONAL
    closure = Closure(
        id=uuid.uuid4(),
        day=data.date,
        office_code=office_code,
        reason=data.reason,
        created_by=actor.subject,
        created_at=utcnow(),
    )
    repository.add(uow.session, closure)
    try:
        # The unique constraint on (day, office_code) decides, also between concurrent
        # requests; flushed before the effects, which must see the closure.
        uow.session.flush()
    except IntegrityError:
        raise _duplicate(uow, data.date, office_code) from None
    effect = apply_closure(
        uow=uow, closure=closure, actor=actor, offices=offices, settings=settings, now=now
    )
    uow.audit(
        actor=actor,
        action="closure.create",
        resource_type="closure",
        resource_id=closure.id,
        new=_snapshot(closure) | effect.as_json(),
    )
    try:
        uow.commit()
    except IntegrityError:
        raise _duplicate(uow, data.date, office_code) from None
    return closure, effect


def delete_closure(
    *,
    uow: UnitOfWork,
    closure_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> None:
    """Remove a closure, audited with its old values; the day gets slots again.

    Appointments cancelled for the closure stay cancelled (their claims were rebooked or
    listed); the regenerated slots go to claims on the unplanned lists first.
    """
    closure = get_closure(uow=uow, closure_id=closure_id)
    _check_may_manage(principal, None if closure.is_national else closure.office_code)
    old = _snapshot(closure)
    repository.delete(uow.session, closure)
    uow.session.flush()
    actor = principal.as_actor()
    booked = lift_closure(
        uow=uow, closure=closure, actor=actor, offices=offices, settings=settings, now=now
    )
    uow.audit(
        actor=actor,
        action="closure.delete",
        resource_type="closure",
        resource_id=closure_id,
        old=old,
        new={"unplanned_booked": booked},
    )
    uow.commit()
