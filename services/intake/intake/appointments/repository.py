"""Queries over appointments and the unplanned list; the only module that selects them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.appointments.models import (
    ACTIVE_STATUSES,
    COMPLETED,
    Appointment,
    AppointmentCompletion,
    CapacityShortfall,
    UnplannedClaim,
)
from intake.claims.models import Claim


def get(session: Session, appointment_id: uuid.UUID) -> Appointment | None:
    """An appointment by id."""
    return session.get(Appointment, appointment_id)


def of_claim(session: Session, claim_id: uuid.UUID) -> Sequence[Appointment]:
    """Every appointment of a claim, newest booking first."""
    return session.scalars(
        select(Appointment)
        .where(Appointment.claim_id == claim_id)
        .order_by(Appointment.booked_at.desc(), Appointment.id)
    ).all()


def add(session: Session, appointment: Appointment) -> None:
    """Stage a new appointment."""
    session.add(appointment)


def unplanned(session: Session, claim_id: uuid.UUID) -> UnplannedClaim | None:
    """The unplanned-list entry of a claim, if any."""
    return session.get(UnplannedClaim, claim_id)


def add_unplanned(session: Session, row: UnplannedClaim) -> None:
    """Put a claim on its office's unplanned list."""
    session.add(row)


def remove_unplanned(session: Session, row: UnplannedClaim) -> None:
    """Take a claim off the unplanned list."""
    session.delete(row)


def unplanned_of(
    session: Session, office_codes: Sequence[str], *, deadline_from: dt.date | None
) -> Sequence[UnplannedClaim]:
    """Unplanned claims of these offices (deadline on or after `deadline_from`, when given),
    in deadline order."""
    query = select(UnplannedClaim).where(UnplannedClaim.office_code.in_(office_codes))
    if deadline_from is not None:
        query = query.where(UnplannedClaim.deadline >= deadline_from)
    return session.scalars(
        query.order_by(UnplannedClaim.deadline, UnplannedClaim.since, UnplannedClaim.claim_id)
    ).all()


def unplanned_offices(session: Session) -> list[str]:
    """Offices with at least one claim on their unplanned list."""
    return list(
        session.scalars(
            select(UnplannedClaim.office_code).distinct().order_by(UnplannedClaim.office_code)
        ).all()
    )


def count_unplanned(session: Session) -> int:
    """Claims on any unplanned list."""
    return int(session.execute(select(func.count()).select_from(UnplannedClaim)).scalar_one())


def list_unplanned(
    session: Session, office_code: str, *, limit: int, offset: int
) -> tuple[Sequence[UnplannedClaim], int]:
    """A page of an office's unplanned list in deadline order, and its length."""
    condition = UnplannedClaim.office_code == office_code
    total = session.execute(
        select(func.count()).select_from(UnplannedClaim).where(condition)
    ).scalar_one()
    rows = session.scalars(
        select(UnplannedClaim)
        .where(condition)
        .order_by(UnplannedClaim.deadline, UnplannedClaim.since, UnplannedClaim.claim_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def lock(session: Session, appointment_id: uuid.UUID) -> Appointment | None:
    """An appointment by id, its row locked for the transaction (a no-op on SQLite)."""
    return session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def add_completion(session: Session, completion: AppointmentCompletion) -> None:
    """Stage the outcome of a held intake."""
    session.add(completion)


def reminder_candidates(
    session: Session, *, now: dt.datetime, until: dt.datetime
) -> Sequence[Appointment]:
    """Active, not yet reminded appointments starting after now and before `until`.

    Rows are locked (skipping those another run holds) on PostgreSQL, so concurrent runs do not
    remind twice; SQLite ignores the clause.
    """
    return session.scalars(
        select(Appointment)
        .where(
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.reminder_sent_at.is_(None),
            Appointment.starts_at > now,
            Appointment.starts_at < until,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .with_for_update(skip_locked=True)
    ).all()


def coaches_met(session: Session, bsn_hash: str) -> set[uuid.UUID]:
    """Coaches who held an intake with this person, over all their claims."""
    return set(
        session.scalars(
            select(Appointment.coach_id)
            .join(Claim, Claim.id == Appointment.claim_id)
            .where(Claim.bsn_hash == bsn_hash, Appointment.status == COMPLETED)
            .distinct()
        ).all()
    )


def add_shortfall(session: Session, row: CapacityShortfall) -> None:
    """Log a capacity shortfall (kept after the claim is booked: the KPIs count them)."""
    session.add(row)


def of_coach(
    session: Session,
    coach_id: uuid.UUID,
    *,
    after: dt.datetime,
    before: dt.datetime,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[Appointment, Claim]], int]:
    """A coach's appointments starting in [after, before) with their claims, earliest first;
    one query for the page and one for the total (the agenda needs the claimant's name)."""
    where = [
        Appointment.coach_id == coach_id,
        Appointment.starts_at >= after,
        Appointment.starts_at < before,
    ]
    if status is not None:
        where.append(Appointment.status == status)
    total = session.scalar(select(func.count()).select_from(Appointment).where(*where)) or 0
    rows = session.execute(
        select(Appointment, Claim)
        .join(Claim, Claim.id == Appointment.claim_id)
        .where(*where)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(a, c) for a, c in rows], total
