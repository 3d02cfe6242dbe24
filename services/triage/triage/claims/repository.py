"""Queries over the claims read model."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.claims.models import OPEN, TriageClaim


def get(session: Session, claim_id: uuid.UUID) -> TriageClaim | None:
    """A claim by id."""
    return session.get(TriageClaim, claim_id)


def add(session: Session, claim: TriageClaim) -> None:
    """Stage a new claim row."""
    session.add(claim)


def due_for_time_retriage(
    session: Session, *, first_ww_day_on_or_before: dt.date, limit: int
) -> Sequence[TriageClaim]:
    """Open, registered claims long enough in WW that were not re-triaged for time yet."""
    return session.scalars(
        select(TriageClaim)
        .where(
            TriageClaim.status == OPEN,
            TriageClaim.registered.is_(True),
            TriageClaim.time_retriaged_at.is_(None),
            TriageClaim.first_ww_day <= first_ww_day_on_or_before,
        )
        .order_by(TriageClaim.first_ww_day, TriageClaim.claim_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def open_claims_after(
    session: Session, *, after: uuid.UUID | None, limit: int
) -> Sequence[TriageClaim]:
    """The next open, registered claims in claim-id order (the batch cursor)."""
    query = select(TriageClaim).where(TriageClaim.status == OPEN, TriageClaim.registered.is_(True))
    if after is not None:
        query = query.where(TriageClaim.claim_id > after)
    return session.scalars(query.order_by(TriageClaim.claim_id).limit(limit)).all()


def count_open(session: Session) -> int:
    """Open, registered claims."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(TriageClaim)
            .where(TriageClaim.status == OPEN, TriageClaim.registered.is_(True))
        )
        or 0
    )
