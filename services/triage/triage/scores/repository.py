"""Queries over scores."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.questionnaires.models import QuestionnaireResponse
from triage.scores.models import Score


def add(session: Session, score: Score) -> None:
    """Stage a new score."""
    session.add(score)


def history(session: Session, claim_id: uuid.UUID) -> Sequence[Score]:
    """All scores of a claim, newest first."""
    return session.scalars(
        select(Score).where(Score.claim_id == claim_id).order_by(Score.scored_at.desc(), Score.id)
    ).all()


def latest(session: Session, claim_id: uuid.UUID) -> Score | None:
    """The newest score of a claim."""
    return session.scalars(
        select(Score)
        .where(Score.claim_id == claim_id)
        .order_by(Score.scored_at.desc(), Score.id)
        .limit(1)
    ).first()


def answers_in_force(session: Session, claim_id: uuid.UUID) -> QuestionnaireResponse | None:
    """The claim's answer set in force (its newest questionnaire response): what a scoring
    reads. Here rather than in `triage.questionnaires`, which scores claims on new answers,
    so the two features do not import each other."""
    return session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.claim_id == claim_id)
        .order_by(QuestionnaireResponse.submitted_at.desc(), QuestionnaireResponse.id.desc())
        .limit(1)
    ).first()
