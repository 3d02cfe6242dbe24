"""Slot generation: a coach's slots in line with the agenda, over the rolling horizon.

Agendas (blocks and exceptions) and booking both need it, so it lies below both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from intake.agendas.models import SLOT_OPEN, SLOT_WITHDRAWN, Slot
from intake.agendas.rules import BlockSpec, DayRange, SlotSpec, cut_slots, local_day, local_to_utc
from intake.calendar.service import WorkingDayCalendar
from intake.coaches.models import RosterCoach
from intake.settings import IntakeSettings
from intake.slots import repository


def generate_slots(
    session: Session,
    *,
    coach_id: uuid.UUID,
    first: dt.date,
    last: dt.date,
    settings: IntakeSettings,
    now: dt.datetime,
) -> set[str]:
    """Bring a coach's future slots from `first` to `last` in line with the agenda.

    Slots the agenda no longer yields are withdrawn, never deleted; a slot with an active
    appointment is kept as it is, and no new slot may overlap it. Returns the offices that
    gained free slots (their unplanned claims may now be bookable).
    """
    coach = session.get(RosterCoach, coach_id)
    blocks = repository.blocks_of(session, coach_id)
    if coach is None or not coach.active or not coach.holds_intakes:
        blocks = []
    calendar = WorkingDayCalendar(session)
    for office in {b.office_code for b in blocks}:
        calendar.prefetch(first, last, office)
    wanted = cut_slots(
        [BlockSpec(b.weekday, b.start_time, b.end_time, b.office_code) for b in blocks],
        [DayRange(e.start_date, e.end_date) for e in repository.exceptions_of(session, coach_id)],
        first=first,
        last=last,
        is_working_day=lambda day, office: calendar.is_working_day(day, office),
        slot_minutes=settings.slot_minutes,
        buffer_minutes=settings.slot_buffer_minutes,
    )
    window_start = max(now, local_to_utc(first, dt.time(0)))
    window_end = local_to_utc(last + dt.timedelta(days=1), dt.time(0))
    existing = [
        s
        for s in repository.future_slots_of(session, coach_id, after=now)
        if window_start < s.starts_at < window_end
    ]
    booked = repository.active_slot_ids(session, [s.id for s in existing])
    kept = [s for s in existing if s.id in booked]
    by_start = {s.starts_at: s for s in existing}
    wanted_starts: set[dt.datetime] = set()
    gained: set[str] = set()
    for spec in wanted:
        if spec.starts_at <= now or _overlaps_any(spec, kept):
            continue
        wanted_starts.add(spec.starts_at)
        slot = by_start.get(spec.starts_at)
        if slot is None:
            session.add(
                Slot(
                    id=uuid.uuid4(),
                    coach_id=coach_id,
                    office_code=spec.office_code,
                    starts_at=spec.starts_at,
                    ends_at=spec.ends_at,
                    state=SLOT_OPEN,
                )
            )
            gained.add(spec.office_code)
        elif slot.id not in booked and (
            slot.state != SLOT_OPEN
            or slot.ends_at != spec.ends_at
            or slot.office_code != spec.office_code
        ):
            slot.state, slot.ends_at, slot.office_code = SLOT_OPEN, spec.ends_at, spec.office_code
            gained.add(spec.office_code)
    for slot in existing:
        if slot.starts_at not in wanted_starts and slot.id not in booked:
            slot.state = SLOT_WITHDRAWN
    session.flush()
    return gained


def _overlaps_any(spec: SlotSpec, kept: Sequence[Slot]) -> bool:
    return any(
        k.starts_at != spec.starts_at and k.starts_at < spec.ends_at and spec.starts_at < k.ends_at
        for k in kept
    )


def horizon_end(session: Session, *, today: dt.date, settings: IntakeSettings) -> dt.date:
    """The last day of the rolling slot horizon (national working days)."""
    return WorkingDayCalendar(session).add_working_days(today, settings.slot_horizon_working_days)


def ensure_slots_until(
    session: Session,
    *,
    office_codes: Sequence[str],
    until: dt.date,
    settings: IntakeSettings,
    now: dt.datetime,
) -> None:
    """Lazily extend the slots of every coach with a block at these offices up to `until`."""
    today = local_day(now)
    for agenda in repository.coaches_with_agenda_at(session, office_codes, behind=until):
        if repository.claim_horizon(session, agenda.coach_id, until):
            generate_slots(
                session,
                coach_id=agenda.coach_id,
                first=today,
                last=until,
                settings=settings,
                now=now,
            )


def extend_horizons(
    session: Session, *, until: dt.date, settings: IntakeSettings, now: dt.datetime
) -> tuple[int, set[str]]:
    """Roll every agenda's slots forward to `until` (the periodic planning run).

    Returns how many agendas moved and the offices that gained free slots. Concurrent runs
    are safe: `claim_horizon` lets one transaction generate a coach's slots.
    """
    today = local_day(now)
    moved, gained = 0, set()
    for agenda in repository.agendas_behind(session, until):
        if repository.claim_horizon(session, agenda.coach_id, until):
            moved += 1
            gained |= generate_slots(
                session,
                coach_id=agenda.coach_id,
                first=today,
                last=until,
                settings=settings,
                now=now,
            )
    return moved, gained
