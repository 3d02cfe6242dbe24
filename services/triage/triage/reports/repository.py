"""Queries of the reports (only the columns the aggregation needs)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.claims.models import TriageClaim
from triage.overrides.models import Override
from triage.scores.models import Score


def scored_claims(
    session: Session, *, start: dt.datetime, end: dt.datetime, office_code: str | None
) -> list[tuple[uuid.UUID, str, uuid.UUID | None]]:
    """(claim id, office, intake coach) of the claims with a score in [start, end)."""
    query = (
        select(Score.claim_id, Score.office_code, TriageClaim.intake_coach_id)
        .distinct()
        .join(TriageClaim, TriageClaim.claim_id == Score.claim_id, isouter=True)
        .where(Score.scored_at >= start, Score.scored_at < end)
    )
    if office_code is not None:
        query = query.where(Score.office_code == office_code)
    return [(r[0], r[1], r[2]) for r in session.execute(query)]


def overrides_between(
    session: Session, *, start: dt.datetime, end: dt.datetime, office_code: str | None
) -> list[Any]:
    """Overrides in [start, end)."""
    query = select(
        Override.claim_id,
        Override.office_code,
        Override.overridden_by,
        Override.overridden_by_role,
        Override.reason_category,
        Override.segment,
    ).where(Override.overridden_at >= start, Override.overridden_at < end)
    if office_code is not None:
        query = query.where(Override.office_code == office_code)
    return list(session.execute(query))


def scores_between(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[Any]:
    """The monitoring columns of the scores in [start, end)."""
    return list(
        session.execute(
            select(
                Score.claim_id,
                Score.scored_at,
                Score.probability,
                Score.segment,
                Score.office_code,
                Score.age,
                Score.education_level,
            ).where(Score.scored_at >= start, Score.scored_at < end)
        )
    )


def override_times_since(
    session: Session, *, start: dt.datetime
) -> list[tuple[uuid.UUID, dt.datetime]]:
    """(claim id, overridden at) of every override since `start`."""
    return [
        (r[0], r[1])
        for r in session.execute(
            select(Override.claim_id, Override.overridden_at).where(Override.overridden_at >= start)
        )
    ]
