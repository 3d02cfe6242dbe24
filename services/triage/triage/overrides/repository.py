"""Queries over overrides."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.overrides.models import Override


def add(session: Session, row: Override) -> None:
    """Stage a new override."""
    session.add(row)


def history(session: Session, claim_id: uuid.UUID) -> Sequence[Override]:
    """Every override of a claim, newest first."""
    return session.scalars(
        select(Override)
        .where(Override.claim_id == claim_id)
        .order_by(Override.overridden_at.desc(), Override.id)
    ).all()
