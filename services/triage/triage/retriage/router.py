"""HTTP API of the scheduled re-triage (`/v1/admin/retriage/run`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from shared.db.types import utcnow
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES
from triage.deps import Container
from triage.retriage import service
from triage.retriage.schemas import RetriageRunRead

router = APIRouter(tags=["retriage"], responses=PROBLEM_RESPONSES)


@router.post(
    "/v1/admin/retriage/run",
    response_model=RetriageRunRead,
    summary="Re-triage the claims due after the configured time in WW (admin; a scheduler)",
)
def run_retriage(
    *,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: Container,
) -> RetriageRunRead:
    """Idempotent: each claim is re-triaged once for time (`TRIAGE_RETRIAGE_AFTER_WEEKS`,
    default 13). Call it daily; `more: true` means call again."""
    with container.uow() as uow:
        run = service.run_due(
            uow=uow, settings=container.settings, actor=principal.as_actor(), now=utcnow()
        )
    return RetriageRunRead(
        rescored=run.rescored, first_ww_day_on_or_before=run.cutoff, more=run.more
    )
