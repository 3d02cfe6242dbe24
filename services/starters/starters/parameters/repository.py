"""Queries over the dated parameter values added through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from starters.parameters.models import ParameterRow


def all_rows(session: Session) -> Sequence[ParameterRow]:
    """Every stored value, oldest valid_from first."""
    return session.scalars(select(ParameterRow).order_by(ParameterRow.valid_from)).all()


def find(session: Session, name: str, valid_from: dt.date) -> ParameterRow | None:
    """The stored value of `name` from `valid_from`, if there is one."""
    return session.scalars(
        select(ParameterRow).where(ParameterRow.name == name, ParameterRow.valid_from == valid_from)
    ).first()


def add(session: Session, row: ParameterRow) -> None:
    """Stage a new value."""
    session.add(row)
