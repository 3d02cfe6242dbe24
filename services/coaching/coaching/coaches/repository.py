"""Queries over coaches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from coaching.coaches.models import Coach

SORTS: dict[str, ColumnElement[Any]] = {
    "display_name": Coach.display_name.asc(),
    "-display_name": Coach.display_name.desc(),
    "created_at": Coach.created_at.asc(),
    "-created_at": Coach.created_at.desc(),
}


def get(session: Session, coach_id: uuid.UUID) -> Coach | None:
    """A coach by id."""
    return session.get(Coach, coach_id)


def add(session: Session, coach: Coach) -> None:
    """Stage a new coach."""
    session.add(coach)


def list_coaches(
    session: Session,
    *,
    office_code: str | None,
    active: bool | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[Sequence[Coach], int]:
    """A filtered, sorted page of coaches and the total."""
    conditions: list[ColumnElement[bool]] = []
    if office_code:
        conditions.append(Coach.office_code == office_code)
    if active is not None:
        conditions.append(Coach.active.is_(active))
    total = session.execute(select(func.count()).select_from(Coach).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(Coach).where(*conditions).order_by(SORTS[sort], Coach.id).limit(limit).offset(offset)
    ).all()
    return rows, int(total)
