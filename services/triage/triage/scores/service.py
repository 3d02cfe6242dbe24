"""Scoring rules: score, store, emit triage.scored."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.intake import ClaimRegistered
from shared.events.triage import FactorContribution, TriageScored
from shared.web.problems import NotFound
from triage.scores import provisional, repository
from triage.scores.models import Score


def score_registered_claim(*, uow: UnitOfWork, claim: Any, threshold: float) -> Score:
    """Provisional score for a newly registered claim (no commit: the consumer commits)."""
    assert isinstance(claim, ClaimRegistered)
    result = provisional.score(
        age=claim.age_at_first_ww_day,
        years_work_history=claim.years_work_history,
        hours_lost_per_week=claim.hours_lost_per_week,
        threshold=threshold,
    )
    row = Score(
        id=uuid.uuid4(),
        claim_id=claim.claim_id,
        office_code=claim.office_code,
        probability=result.probability,
        band=result.band.value,
        segment=result.segment.value,
        model_version=result.model_version,
        provisional=True,
        intercept=result.intercept,
        factors=[
            {"factor": f.factor, "value": f.value, "contribution": f.contribution}
            for f in result.factors
        ],
        over_55=result.over_55,
        under_27=result.under_27,
        trigger="claim_registered",
        scored_at=dt.datetime.now(dt.UTC),
    )
    repository.add(uow.session, row)
    uow.publish(
        TriageScored(
            claim_id=row.claim_id,
            score_id=row.id,
            probability=row.probability,
            band=result.band,
            segment=result.segment,
            model_version=row.model_version,
            provisional=True,
            factors=[FactorContribution(**f) for f in row.factors],
            over_55=row.over_55,
            under_27=row.under_27,
            scored_at=row.scored_at,
            trigger=row.trigger,
        )
    )
    return row


def score_history(*, uow: UnitOfWork, claim_id: uuid.UUID, actor: Actor) -> Sequence[Score]:
    """Every score of a claim, audited; 404 if the claim was never scored."""
    rows = repository.history(uow.session, claim_id)
    if not rows:
        raise NotFound("no scores for this claim")
    uow.audit(actor=actor, action="score.read", resource_type="claim", resource_id=claim_id)
    uow.commit()
    return rows
