"""Queries over closures; the only module that touches the calendar_closures table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from intake.calendar.models import NATIONAL, Closure


def get(session: Session, closure_id: uuid.UUID) -> Closure | None:
    """A closure by id."""
    return session.get(Closure, closure_id)


def find(session: Session, day: dt.date, office_code: str) -> Closure | None:
    """The closure of one day and office code ('*' for national), if any."""
    return session.scalars(
        select(Closure).where(Closure.day == day, Closure.office_code == office_code)
    ).first()


def add(session: Session, closure: Closure) -> None:
    """Stage a new closure."""
    session.add(closure)


def delete(session: Session, closure: Closure) -> None:
    """Stage the removal of a closure."""
    session.delete(closure)


def closures_between(
    session: Session, start: dt.date, end: dt.date, office_code: str | None
) -> Sequence[Closure]:
    """National closures, and the office's when given, from start to end inclusive (one query)."""
    codes = [NATIONAL] if office_code is None else [NATIONAL, office_code]
    return session.scalars(
        select(Closure)
        .where(Closure.day >= start, Closure.day <= end, Closure.office_code.in_(codes))
        .order_by(Closure.day, Closure.office_code)
    ).all()


def list_closures(
    session: Session,
    *,
    office_code: str | None,
    include_national: bool,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Closure], int]:
    """A filtered page of closures sorted by date, and the total number of matches."""
    conditions: list[ColumnElement[bool]] = []
    if office_code is not None:
        codes = [office_code, NATIONAL] if include_national else [office_code]
        conditions.append(Closure.office_code.in_(codes))
    if start is not None:
        conditions.append(Closure.day >= start)
    if end is not None:
        conditions.append(Closure.day <= end)
    total = session.execute(
        select(func.count()).select_from(Closure).where(*conditions)
    ).scalar_one()
    rows = session.scalars(
        select(Closure)
        .where(*conditions)
        .order_by(Closure.day, Closure.office_code, Closure.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)
