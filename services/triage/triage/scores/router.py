"""HTTP API for scores (`/v1/claims/{claim_id}/scores`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES
from triage.scores import service
from triage.scores.schemas import ScoreRead

router = APIRouter(prefix="/v1/claims", tags=["scores"], responses=PROBLEM_RESPONSES)

READ_ROLES = (Role.TRIAGE_ANALYST, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)


@router.get(
    "/{claim_id}/scores", response_model=list[ScoreRead], summary="Score history of a claim"
)
def get_scores(
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> list[ScoreRead]:
    """All scorings of a claim, newest first, each with its factor contributions."""
    with container.uow() as uow:
        rows = service.score_history(uow=uow, claim_id=claim_id, actor=principal.as_actor())
    return [ScoreRead.model_validate(r, from_attributes=True) for r in rows]
