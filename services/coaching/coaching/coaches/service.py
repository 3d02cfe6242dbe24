"""Roster rules: team leads manage their own office, admins every office."""

from __future__ import annotations

import datetime as dt
import uuid

from coaching.assignment import service as assignment
from coaching.assignment.rules import AssignmentPolicy
from coaching.coaches import repository
from coaching.coaches.models import Coach
from coaching.coaches.schemas import CoachCreate, CoachRead, CoachUpdate
from shared.clock import local_today
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import CoachDeactivated, CoachRegistered, CoachUpdated
from shared.web.auth import Principal, Role
from shared.web.pagination import Page, PageParams
from shared.web.problems import Conflict, Forbidden, NotFound


def _snapshot(coach: Coach) -> dict[str, object]:
    return {
        "display_name": coach.display_name,
        "office_code": coach.office_code,
        "specialisms": list(coach.specialisms),
        "contract_hours": coach.contract_hours,
        "holds_intakes": coach.holds_intakes,
        "active": coach.active,
    }


def _check_office(principal: Principal, office_code: str) -> None:
    if principal.has_role(Role.ADMIN):
        return
    if principal.office != office_code:
        raise Forbidden("a team lead manages only the coaches of their own office")


def _capacity_appeared(
    uow: UnitOfWork, office_code: str, policy: AssignmentPolicy | None, today: dt.date | None
) -> None:
    """New capacity in an office: its unassigned queue is tried again, in this transaction."""
    if policy is not None:
        assignment.retry_unassigned(
            uow, office_code=office_code, policy=policy, today=today or local_today()
        )


def create_coach(
    *,
    uow: UnitOfWork,
    data: CoachCreate,
    principal: Principal,
    policy: AssignmentPolicy | None = None,
    today: dt.date | None = None,
) -> Coach:
    """Add a coach to the roster and publish coach.registered; with a policy, the office's
    unassigned queue is tried again."""
    _check_office(principal, data.office_code)
    coach = Coach(
        id=uuid.uuid4(),
        display_name=data.display_name,
        office_code=data.office_code,
        specialisms=[s.value for s in data.specialisms],
        contract_hours=data.contract_hours,
        holds_intakes=data.holds_intakes,
        active=True,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    repository.add(uow.session, coach)
    uow.publish(
        CoachRegistered(
            coach_id=coach.id,
            display_name=coach.display_name,
            office_code=coach.office_code,
            specialisms=list(coach.specialisms),
            contract_hours=coach.contract_hours,
            holds_intakes=coach.holds_intakes,
        )
    )
    uow.audit(
        actor=principal.as_actor(),
        action="coach.create",
        resource_type="coach",
        resource_id=coach.id,
        new=_snapshot(coach),
    )
    uow.session.flush()
    _capacity_appeared(uow, coach.office_code, policy, today)
    uow.commit()
    return coach


def _load(uow: UnitOfWork, coach_id: uuid.UUID) -> Coach:
    coach = repository.get(uow.session, coach_id)
    if coach is None:
        raise NotFound("no such coach")
    return coach


def update_coach(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    data: CoachUpdate,
    principal: Principal,
    policy: AssignmentPolicy | None = None,
    today: dt.date | None = None,
) -> Coach:
    """Change roster data and publish coach.updated with the full state; with a policy,
    the office's unassigned queue is tried again (more hours or a new specialism may fit
    a waiting case)."""
    coach = _load(uow, coach_id)
    _check_office(principal, coach.office_code)
    if not coach.active:
        raise Conflict("a deactivated coach cannot be changed")
    changes = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    if "office_code" in changes:
        _check_office(principal, changes["office_code"])
    old = _snapshot(coach)
    for field, value in changes.items():
        setattr(coach, field, value)
    coach.updated_at = utcnow()
    uow.publish(
        CoachUpdated(
            coach_id=coach.id,
            display_name=coach.display_name,
            office_code=coach.office_code,
            specialisms=list(coach.specialisms),
            contract_hours=coach.contract_hours,
            holds_intakes=coach.holds_intakes,
        )
    )
    uow.audit(
        actor=principal.as_actor(),
        action="coach.update",
        resource_type="coach",
        resource_id=coach.id,
        old=old,
        new=_snapshot(coach),
    )
    uow.session.flush()
    _capacity_appeared(uow, coach.office_code, policy, today)
    uow.commit()
    return coach


def deactivate_coach(
    *, uow: UnitOfWork, coach_id: uuid.UUID, reason: str, principal: Principal
) -> Coach:
    """Take a coach off the roster (idempotent: a second call is a 409)."""
    coach = _load(uow, coach_id)
    _check_office(principal, coach.office_code)
    if not coach.active:
        raise Conflict("the coach is already deactivated")
    old = _snapshot(coach)
    coach.active = False
    coach.deactivated_at = coach.updated_at = utcnow()
    uow.publish(
        CoachDeactivated(
            coach_id=coach.id, office_code=coach.office_code, deactivated_at=coach.deactivated_at
        )
    )
    uow.audit(
        actor=principal.as_actor(),
        action="coach.deactivate",
        resource_type="coach",
        resource_id=coach.id,
        reason=reason,
        old=old,
        new=_snapshot(coach),
    )
    uow.commit()
    return coach


def get_coach(*, uow: UnitOfWork, coach_id: uuid.UUID) -> Coach:
    """One coach (roster data is not personal data of claimants: reads are not audited)."""
    return _load(uow, coach_id)


def to_read(coach: Coach) -> CoachRead:
    """The API view of a coach."""
    return CoachRead.model_validate(coach, from_attributes=True)


def list_coaches(
    *, uow: UnitOfWork, page: PageParams, office_code: str | None, active: bool | None, sort: str
) -> Page[CoachRead]:
    """A filtered, sorted page of the roster (every staff role sees it; roster data is not
    claimant data: not audited)."""
    rows, total = repository.list_coaches(
        uow.session,
        office_code=office_code,
        active=active,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    # Read inside the unit of work: leaving it rolls back, which expires the loaded rows.
    return Page[CoachRead](
        items=[to_read(c) for c in rows], total=total, limit=page.limit, offset=page.offset
    )
