"""Queries over questionnaire responses (the answer set in force of one claim, which every
scoring reads, is `triage.scores.repository.answers_in_force`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.questionnaires.models import QuestionnaireResponse


def add(session: Session, row: QuestionnaireResponse) -> None:
    """Stage a new response."""
    session.add(row)


def latest_for(
    session: Session, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, QuestionnaireResponse]:
    """The newest response of each of several claims (batch scoring)."""
    if not claim_ids:
        return {}
    rows = session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.claim_id.in_(claim_ids))
        .order_by(
            QuestionnaireResponse.claim_id,
            QuestionnaireResponse.submitted_at.desc(),
            QuestionnaireResponse.id.desc(),
        )
    ).all()
    out: dict[uuid.UUID, QuestionnaireResponse] = {}
    for row in rows:
        out.setdefault(row.claim_id, row)
    return out
