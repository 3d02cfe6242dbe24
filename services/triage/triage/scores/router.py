"""HTTP API for scores and explanations (`/v1/claims/{claim_id}/scores`, `/explanation`)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query

from shared.web.auth import Principal, requires
from shared.web.problems import PROBLEM_RESPONSES
from triage.access import CLAIM_READ_ROLES
from triage.deps import Container
from triage.scores import explain, service
from triage.scores.schemas import ExplanationRead, ScoreRead

router = APIRouter(prefix="/v1/claims", tags=["scores"], responses=PROBLEM_RESPONSES)


@router.get(
    "/{claim_id}/scores", response_model=list[ScoreRead], summary="Score history of a claim"
)
def get_scores(
    *,
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=CLAIM_READ_ROLES)),
    container: Container,
) -> list[ScoreRead]:
    """All scorings of a claim, newest first, each with its factor contributions."""
    with container.uow() as uow:
        rows = service.score_history(uow=uow, claim_id=claim_id, principal=principal)
        return [explain.to_read(r) for r in rows]


@router.get(
    "/{claim_id}/explanation",
    response_model=ExplanationRead,
    summary="The current score explained in plain language",
)
def get_explanation(
    *,
    claim_id: uuid.UUID,
    lang: Literal["nl", "en"] = Query("nl", description="Language of labels and texts"),
    principal: Principal = Depends(requires(roles=CLAIM_READ_ROLES)),
    container: Container,
) -> ExplanationRead:
    """Every factor's contribution (they add up to the logit), the top three hindering
    factors, and the segment in force (an override prevails over the score)."""
    with container.uow() as uow:
        return explain.explain(uow=uow, claim_id=claim_id, principal=principal, lang=lang)
