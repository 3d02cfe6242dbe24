"""What the current agendas offer: the queries of capacity planning (read-only)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.agendas.models import AgendaBlock, AgendaException
from intake.agendas.rules import BlockSpec, DayRange
from intake.appointments.models import ACTIVE_STATUSES, Appointment
from intake.coaches.models import RosterCoach
from intake.planning.models import DeferredIntake
from intake.planning.rules import CoachAgenda


def coach_agendas(
    session: Session,
    office_codes: Sequence[str],
    *,
    first: dt.date,
    last: dt.date,
    after: dt.datetime,
    before: dt.datetime,
) -> list[CoachAgenda]:
    """The agendas of the active intake coaches with a block at any of these offices.

    Every block of such a coach (also at other offices), the exceptions touching
    [first, last] and the active appointments overlapping [after, before): four queries,
    whatever the number of coaches.
    """
    coach_ids: list[uuid.UUID] = list(
        session.scalars(
            select(RosterCoach.id)
            .where(
                RosterCoach.id.in_(
                    select(AgendaBlock.coach_id).where(AgendaBlock.office_code.in_(office_codes))
                ),
                RosterCoach.active.is_(True),
                RosterCoach.holds_intakes.is_(True),
            )
            .order_by(RosterCoach.id)
        ).all()
    )
    if not coach_ids:
        return []
    blocks: dict[uuid.UUID, list[BlockSpec]] = defaultdict(list)
    for b in session.scalars(
        select(AgendaBlock)
        .where(AgendaBlock.coach_id.in_(coach_ids))
        .order_by(AgendaBlock.coach_id, AgendaBlock.weekday, AgendaBlock.start_time)
    ):
        blocks[b.coach_id].append(BlockSpec(b.weekday, b.start_time, b.end_time, b.office_code))
    exceptions: dict[uuid.UUID, list[DayRange]] = defaultdict(list)
    for e in session.scalars(
        select(AgendaException).where(
            AgendaException.coach_id.in_(coach_ids),
            AgendaException.start_date <= last,
            AgendaException.end_date >= first,
        )
    ):
        exceptions[e.coach_id].append(DayRange(e.start_date, e.end_date))
    booked: dict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for coach_id, starts_at, ends_at in session.execute(
        select(Appointment.coach_id, Appointment.starts_at, Appointment.ends_at).where(
            Appointment.coach_id.in_(coach_ids),
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.starts_at < before,
            Appointment.ends_at > after,
        )
    ):
        booked[coach_id].append((starts_at, ends_at))
    return [CoachAgenda(blocks[c], exceptions[c], booked[c]) for c in coach_ids]


# Deferred intakes (issue 12, item 9a) ------------------------------------------------------


def deferred(session: Session, claim_id: uuid.UUID) -> DeferredIntake | None:
    """The deferred-intake row of a claim, if any."""
    return session.get(DeferredIntake, claim_id)


def add_deferred(session: Session, row: DeferredIntake) -> None:
    """Stage a deferred intake."""
    session.add(row)


def remove_deferred(session: Session, row: DeferredIntake) -> None:
    """Stage the removal of a deferred intake (booked, listed or the claim gone)."""
    session.delete(row)


def deferred_due(session: Session, today: dt.date) -> Sequence[DeferredIntake]:
    """Deferred intakes whose booking window has opened, earliest deadline first.

    Locked with SKIP LOCKED on PostgreSQL, so overlapping planning runs split them instead
    of booking one claim twice (the active-claim index would refuse that anyway).
    """
    return session.scalars(
        select(DeferredIntake)
        .where(DeferredIntake.bookable_from <= today)
        .order_by(DeferredIntake.deadline, DeferredIntake.claim_id)
        .with_for_update(skip_locked=True)
    ).all()
