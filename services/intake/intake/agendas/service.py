"""Agenda rules: weekly blocks, exceptions and office capacity; no FastAPI."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from intake.agendas.models import (
    SLOT_OPEN,
    Agenda,
    AgendaBlock,
    AgendaException,
)
from intake.agendas.rules import (
    BlockSpec,
    block_problems,
    local_day,
    local_to_utc,
)
from intake.agendas.schemas import AgendaExceptionCreate, AgendaUpdate, CapacityDay
from intake.appointments.booking import book_unplanned
from intake.coaches.models import RosterCoach
from intake.settings import IntakeSettings
from intake.slots import repository
from intake.slots.service import generate_slots, horizon_end
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, Forbidden, InvalidField, NotFound, ValidationFailed

MAX_CAPACITY_DAYS = 62


class InvalidBlocksError(ValidationFailed):
    """Blocks that end before they start or overlap another block of the coach."""

    title = "Validation error"


@dataclass(frozen=True)
class AgendaView:
    """A coach's agenda as the API shows it."""

    coach: RosterCoach
    blocks: Sequence[AgendaBlock]
    exceptions: Sequence[AgendaException]
    slots_until: dt.date | None
    free_slots: int


# Access -----------------------------------------------------------------------------------


def _coach(session: Session, coach_id: uuid.UUID) -> RosterCoach:
    coach = session.get(RosterCoach, coach_id)
    if coach is None:
        raise NotFound("no such coach")
    return coach


def _check_may_read(principal: Principal, coach: RosterCoach) -> None:
    if principal.has_role(Role.ADMIN):
        return
    if principal.has_role(Role.TEAM_LEAD) and principal.office == coach.office_code:
        return
    if principal.has_role(Role.COACH) and principal.subject == str(coach.id):
        return
    raise NotFound("no such coach")


def _check_may_manage(principal: Principal, coach: RosterCoach) -> None:
    if principal.has_role(Role.ADMIN):
        return
    if not (principal.has_role(Role.TEAM_LEAD) and principal.office == coach.office_code):
        raise Forbidden("a team lead manages only the agendas of their own office's coaches")


def _check_active(coach: RosterCoach) -> None:
    if not coach.active:
        raise Conflict("the coach is deactivated")
    if not coach.holds_intakes:
        raise Conflict("the coach does not hold intakes")


def _view(session: Session, coach: RosterCoach, now: dt.datetime) -> AgendaView:
    agenda = repository.get_agenda(session, coach.id)
    free = [
        s for s in repository.future_slots_of(session, coach.id, after=now) if s.state == SLOT_OPEN
    ]
    booked = repository.active_slot_ids(session, [s.id for s in free])
    return AgendaView(
        coach=coach,
        blocks=repository.blocks_of(session, coach.id),
        exceptions=repository.exceptions_of(session, coach.id),
        slots_until=agenda.slots_until if agenda else None,
        free_slots=sum(1 for s in free if s.id not in booked),
    )


def _regenerate(
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    *,
    settings: IntakeSettings,
    offices: OfficeDirectory,
    now: dt.datetime,
    actor: Actor,
) -> None:
    """Regenerate a coach's slots over the horizon, then book waiting claims that now fit."""
    session = uow.session
    today = local_day(now)
    last = horizon_end(session, today=today, settings=settings)
    agenda = repository.get_agenda(session, coach_id)
    if agenda is None:
        agenda = Agenda(
            coach_id=coach_id, slots_until=last, updated_by=actor.subject, updated_at=now
        )
        session.add(agenda)
    else:
        agenda.slots_until = max(agenda.slots_until, last)
        agenda.updated_by, agenda.updated_at = actor.subject, now
    session.flush()
    gained = generate_slots(
        session, coach_id=coach_id, first=today, last=agenda.slots_until, settings=settings, now=now
    )
    if gained:
        book_unplanned(
            uow=uow,
            office_codes=sorted(gained),
            offices=offices,
            settings=settings,
            now=now,
            actor=actor,
        )


# Use cases ---------------------------------------------------------------------------------


def get_agenda(
    *, uow: UnitOfWork, coach_id: uuid.UUID, principal: Principal, now: dt.datetime
) -> AgendaView:
    """A coach's agenda: the coach their own, a team lead their office's, an admin any."""
    coach = _coach(uow.session, coach_id)
    _check_may_read(principal, coach)
    return _view(uow.session, coach, now)


def replace_blocks(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    data: AgendaUpdate,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> AgendaView:
    """Replace a coach's weekly blocks and regenerate the slots; audited."""
    session = uow.session
    coach = _coach(session, coach_id)
    _check_may_manage(principal, coach)
    _check_active(coach)
    specs = [BlockSpec(b.weekday, b.start_time, b.end_time, b.office_code) for b in data.blocks]
    for i, b in enumerate(data.blocks):
        if offices.get(b.office_code) is None:
            raise InvalidField(f"blocks.{i}.office_code", "unknown office code")
    problems = block_problems(specs)
    if problems:
        raise InvalidBlocksError(
            "the blocks are not valid",
            errors=[
                {"field": f"blocks.{i}", "location": "body", "message": m, "code": "invalid"}
                for i, m in problems
            ],
        )
    old = [_block_json(b) for b in repository.blocks_of(session, coach_id)]
    repository.delete_blocks(session, coach_id)
    for s in specs:
        session.add(
            AgendaBlock(
                id=uuid.uuid4(),
                coach_id=coach_id,
                weekday=s.weekday,
                start_time=s.start,
                end_time=s.end,
                office_code=s.office_code,
            )
        )
    session.flush()
    actor = principal.as_actor()
    _regenerate(uow, coach_id, settings=settings, offices=offices, now=now, actor=actor)
    uow.audit(
        actor=actor,
        action="agenda.replace_blocks",
        resource_type="agenda",
        resource_id=coach_id,
        old={"blocks": old},
        new={"blocks": [_block_json(b) for b in repository.blocks_of(session, coach_id)]},
    )
    view = _view(session, coach, now)
    uow.commit()
    return view


def add_exception(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    data: AgendaExceptionCreate,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> AgendaException:
    """Add days without intakes; free slots on them are withdrawn (booked ones stay); audited."""
    session = uow.session
    coach = _coach(session, coach_id)
    _check_may_manage(principal, coach)
    _check_active(coach)
    if data.end_date < data.start_date:
        raise InvalidField("end_date", "must not be before start_date")
    if (data.end_date - data.start_date).days > 366:
        raise InvalidField("end_date", "an exception spans at most 367 days")
    actor = principal.as_actor()
    exc = AgendaException(
        id=uuid.uuid4(),
        coach_id=coach_id,
        start_date=data.start_date,
        end_date=data.end_date,
        kind=data.kind,
        reason=data.reason,
        created_by=actor.subject,
        created_at=now,
    )
    session.add(exc)
    session.flush()
    _regenerate(uow, coach_id, settings=settings, offices=offices, now=now, actor=actor)
    uow.audit(
        actor=actor,
        action="agenda.add_exception",
        resource_type="agenda",
        resource_id=coach_id,
        new=_exception_json(exc),
    )
    uow.commit()
    return exc


def delete_exception(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    exception_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> None:
    """Remove an exception; its days get slots again; audited."""
    session = uow.session
    coach = _coach(session, coach_id)
    _check_may_manage(principal, coach)
    _check_active(coach)
    exc = session.get(AgendaException, exception_id)
    if exc is None or exc.coach_id != coach_id:
        raise NotFound("no such agenda exception")
    old = _exception_json(exc)
    session.delete(exc)
    session.flush()
    actor = principal.as_actor()
    _regenerate(uow, coach_id, settings=settings, offices=offices, now=now, actor=actor)
    uow.audit(
        actor=actor,
        action="agenda.delete_exception",
        resource_type="agenda",
        resource_id=coach_id,
        old=old,
    )
    uow.commit()


def capacity(
    *,
    uow: UnitOfWork,
    office_code: str,
    start: dt.date,
    end: dt.date,
    offices: OfficeDirectory,
    now: dt.datetime,
) -> list[CapacityDay]:
    """Free slots of an office per local day (each day of the range, zeros included)."""
    if offices.get(office_code) is None:
        raise NotFound("no such office")
    if end < start:
        raise InvalidField("to", "must not be before `from`")
    if (end - start).days + 1 > MAX_CAPACITY_DAYS:
        raise InvalidField("to", f"the range may span at most {MAX_CAPACITY_DAYS} days")
    after = max(now, local_to_utc(start, dt.time(0)))
    before = local_to_utc(end + dt.timedelta(days=1), dt.time(0))
    counts: dict[dt.date, int] = {}
    for slot in repository.free_slots(uow.session, [office_code], after=after, before=before):
        day = local_day(slot.starts_at)
        counts[day] = counts.get(day, 0) + 1
    days = (end - start).days + 1
    return [
        CapacityDay(date=d, free_slots=counts.get(d, 0))
        for d in (start + dt.timedelta(days=i) for i in range(days))
    ]


def _block_json(b: AgendaBlock) -> dict[str, object]:
    return {
        "weekday": b.weekday,
        "start_time": b.start_time.isoformat(timespec="minutes"),
        "end_time": b.end_time.isoformat(timespec="minutes"),
        "office_code": b.office_code,
    }


def _exception_json(e: AgendaException) -> dict[str, object]:
    # The reason is free text: kept in the table, not copied into the audit trail.
    return {
        "start_date": e.start_date.isoformat(),
        "end_date": e.end_date.isoformat(),
        "kind": e.kind,
    }


def now_utc() -> dt.datetime:
    """The current moment (aware UTC)."""
    return utcnow()
