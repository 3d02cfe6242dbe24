"""Queries over contact moments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from coaching.contacts.models import ContactMoment

SORTS: dict[str, ColumnElement[Any]] = {
    "planned_at": ContactMoment.planned_at.asc(),
    "-planned_at": ContactMoment.planned_at.desc(),
}


def add(session: Session, moment: ContactMoment) -> None:
    """Stage a new contact moment."""
    session.add(moment)


def by_id(
    session: Session, case_id: uuid.UUID, moment_id: uuid.UUID, *, for_update: bool = False
) -> ContactMoment | None:
    """A contact moment of a case (None if it belongs to another case); `for_update` locks
    the row until the commit, so two concurrent transitions cannot both pass."""
    query = select(ContactMoment).where(
        ContactMoment.id == moment_id, ContactMoment.case_id == case_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def by_idempotency_key(session: Session, case_id: uuid.UUID, key: str) -> ContactMoment | None:
    """The contact moment planned on a case with an `Idempotency-Key`."""
    return session.scalars(
        select(ContactMoment).where(
            ContactMoment.case_id == case_id, ContactMoment.idempotency_key == key
        )
    ).first()


def list_moments(
    session: Session,
    *,
    case_id: uuid.UUID,
    statuses: Sequence[str],
    sort: str,
    limit: int,
    offset: int,
) -> tuple[Sequence[ContactMoment], int]:
    """A filtered, sorted page of a case's contact moments and the total of matches."""
    conditions: list[ColumnElement[bool]] = [ContactMoment.case_id == case_id]
    if statuses:
        conditions.append(ContactMoment.status.in_(list(statuses)))
    total = session.execute(
        select(func.count()).select_from(ContactMoment).where(*conditions)
    ).scalar_one()
    rows = session.scalars(
        select(ContactMoment)
        .where(*conditions)
        .order_by(SORTS[sort], ContactMoment.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def count_no_shows(session: Session, case_id: uuid.UUID) -> int:
    """No-shows recorded on a case."""
    return int(
        session.execute(
            select(func.count()).where(
                ContactMoment.case_id == case_id, ContactMoment.status == "no_show"
            )
        ).scalar_one()
    )
