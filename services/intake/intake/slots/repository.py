"""Queries over agendas, blocks, exceptions and slots; the only module that selects them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session

from intake.agendas.models import (
    SLOT_OPEN,
    SLOT_WITHDRAWN,
    Agenda,
    AgendaBlock,
    AgendaException,
    Slot,
)
from intake.appointments.models import ACTIVE_STATUSES, Appointment


def get_agenda(session: Session, coach_id: uuid.UUID) -> Agenda | None:
    """The agenda header of a coach, if any."""
    return session.get(Agenda, coach_id)


def blocks_of(session: Session, coach_id: uuid.UUID) -> Sequence[AgendaBlock]:
    """A coach's weekly blocks, by weekday and start."""
    return session.scalars(
        select(AgendaBlock)
        .where(AgendaBlock.coach_id == coach_id)
        .order_by(AgendaBlock.weekday, AgendaBlock.start_time, AgendaBlock.id)
    ).all()


def delete_blocks(session: Session, coach_id: uuid.UUID) -> None:
    """Remove every weekly block of a coach."""
    session.execute(delete(AgendaBlock).where(AgendaBlock.coach_id == coach_id))


def exceptions_of(session: Session, coach_id: uuid.UUID) -> Sequence[AgendaException]:
    """A coach's exceptions, by first day."""
    return session.scalars(
        select(AgendaException)
        .where(AgendaException.coach_id == coach_id)
        .order_by(AgendaException.start_date, AgendaException.id)
    ).all()


def future_slots_of(session: Session, coach_id: uuid.UUID, *, after: dt.datetime) -> Sequence[Slot]:
    """A coach's slots starting after a moment (any state)."""
    return session.scalars(
        select(Slot)
        .where(Slot.coach_id == coach_id, Slot.starts_at > after)
        .order_by(Slot.starts_at)
    ).all()


def active_slot_ids(session: Session, slot_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these slots carry an active appointment."""
    if not slot_ids:
        return set()
    return set(
        session.scalars(
            select(Appointment.slot_id).where(
                Appointment.slot_id.in_(slot_ids), Appointment.status.in_(ACTIVE_STATUSES)
            )
        ).all()
    )


def _free() -> object:
    return ~exists().where(
        and_(Appointment.slot_id == Slot.id, Appointment.status.in_(ACTIVE_STATUSES))
    )


def free_slots(
    session: Session,
    office_codes: Sequence[str],
    *,
    after: dt.datetime,
    before: dt.datetime,
    limit: int | None = None,
    offset: int = 0,
    coach_ids: Sequence[uuid.UUID] | None = None,
    skip: Collection[uuid.UUID] = (),
) -> Sequence[Slot]:
    """Open slots without an active appointment at these offices (of these coaches, when
    given, and not in `skip`), earliest first."""
    query = (
        select(Slot)
        .where(
            Slot.office_code.in_(office_codes),
            Slot.state == SLOT_OPEN,
            Slot.starts_at > after,
            Slot.starts_at < before,
            _free(),  # type: ignore[arg-type]
        )
        .order_by(Slot.starts_at, Slot.id)
    )
    if coach_ids is not None:
        query = query.where(Slot.coach_id.in_(coach_ids))
    if skip:
        query = query.where(Slot.id.not_in(sorted(skip)))
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return session.scalars(query).all()


def lock_free_slot(session: Session, slot_id: uuid.UUID, *, wait: bool) -> bool:
    """Lock an open, free slot for booking it (ADR 0026); False when it is taken, not open,
    or (without `wait`) locked by a concurrent booking.

    `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL: concurrent bookings pass a slot
    another one is booking instead of queueing behind it on the unique index. With `wait`
    the lock is waited for, to re-check a slot a concurrent booking held. Take it inside the
    SAVEPOINT of the insert: rolling the savepoint back releases it. SQLite renders no
    FOR UPDATE; its single writer (BEGIN IMMEDIATE) already serialises bookings.
    """
    query = (
        select(Slot.id)
        .where(Slot.id == slot_id, Slot.state == SLOT_OPEN, _free())  # type: ignore[arg-type]
        .with_for_update(of=Slot, skip_locked=not wait)
    )
    return session.scalar(query) is not None


def is_free(session: Session, slot_id: uuid.UUID) -> bool:
    """Whether a slot is open without an active appointment (committed state, no lock)."""
    query = select(Slot.id).where(
        Slot.id == slot_id,
        Slot.state == SLOT_OPEN,
        _free(),  # type: ignore[arg-type]
    )
    return session.scalar(query) is not None


def coaches_with_agenda_at(
    session: Session, office_codes: Sequence[str], *, behind: dt.date | None = None
) -> Sequence[Agenda]:
    """Agenda headers of the coaches with a block at any of these offices, by coach id;
    with `behind`, only those whose slots do not reach that day (none in steady state)."""
    query = select(Agenda).where(
        Agenda.coach_id.in_(
            select(AgendaBlock.coach_id).where(AgendaBlock.office_code.in_(office_codes))
        )
    )
    if behind is not None:
        query = query.where(Agenda.slots_until < behind)
    return session.scalars(query.order_by(Agenda.coach_id)).all()


def claim_horizon(session: Session, coach_id: uuid.UUID, until: dt.date) -> bool:
    """Move a coach's slot horizon forward to `until`; False when it already reached it.

    The conditional UPDATE locks the row on PostgreSQL, so of concurrent bookings that
    need more slots for one coach exactly one generates them; the others wait for it and
    then find the horizon moved (the WHERE is re-checked on the committed row).
    """
    result = session.execute(
        update(Agenda)
        .where(Agenda.coach_id == coach_id, Agenda.slots_until < until)
        .values(slots_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def agendas_behind(session: Session, until: dt.date) -> Sequence[Agenda]:
    """Agenda headers whose slots do not reach `until` yet, by coach id."""
    return session.scalars(
        select(Agenda).where(Agenda.slots_until < until).order_by(Agenda.coach_id)
    ).all()


# Closures (issue 12, item 2) ---------------------------------------------------------------


def active_appointments_between(
    session: Session,
    office_codes: Sequence[str] | None,
    *,
    after: dt.datetime,
    before: dt.datetime,
) -> Sequence[Appointment]:
    """Active appointments starting in [after, before) at these offices (None: every office),
    earliest deadline first; locked, as the appointment actions lock them."""
    query = select(Appointment).where(
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.starts_at >= after,
        Appointment.starts_at < before,
    )
    if office_codes is not None:
        query = query.where(Appointment.office_code.in_(office_codes))
    return session.scalars(
        query.order_by(
            Appointment.deadline, Appointment.starts_at, Appointment.id
        ).with_for_update()
    ).all()


def withdraw_slots_between(
    session: Session,
    office_codes: Sequence[str] | None,
    *,
    after: dt.datetime,
    before: dt.datetime,
) -> int:
    """Withdraw the open slots starting in [after, before) at these offices (None: every
    office); returns how many."""
    query = update(Slot).where(
        Slot.state == SLOT_OPEN, Slot.starts_at >= after, Slot.starts_at < before
    )
    if office_codes is not None:
        query = query.where(Slot.office_code.in_(office_codes))
    result = session.execute(
        query.values(state=SLOT_WITHDRAWN).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def agendas_reaching(
    session: Session, office_codes: Sequence[str] | None, day: dt.date
) -> Sequence[Agenda]:
    """Agenda headers whose slots reach `day`, of the coaches with a block at these offices
    (None: every agenda), by coach id."""
    query = select(Agenda).where(Agenda.slots_until >= day)
    if office_codes is not None:
        query = query.where(
            Agenda.coach_id.in_(
                select(AgendaBlock.coach_id).where(AgendaBlock.office_code.in_(office_codes))
            )
        )
    return session.scalars(query.order_by(Agenda.coach_id)).all()
