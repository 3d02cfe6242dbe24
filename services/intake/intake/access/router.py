"""HTTP API of a claim's access log (`/v1/claims/{id}/access-log`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from intake.access import service
from intake.access.schemas import AccessLogEntry
from intake.deps import Container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=PROBLEM_RESPONSES)

ACCESS_LOG_ROLES = (
    Role.CLAIMANT,
    Role.COACH,
    Role.TEAM_LEAD,
    Role.BENEFITS_OFFICER,
    Role.TRIAGE_ANALYST,
    Role.ADMIN,
)


@router.get(
    "/{claim_id}/access-log",
    response_model=Page[AccessLogEntry],
    summary="Who saw or changed a claim (the claimant's own, or staff in scope)",
)
def access_log(
    claim_id: uuid.UUID,
    container: Container,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=ACCESS_LOG_ROLES)),
) -> Page[AccessLogEntry]:
    """Newest first: reads, changes and break-glass reads with their reason. The claimant
    sees their own claim's log (without staff identities); staff the claims in their
    need-to-know scope, or others with `X-Break-Glass-Reason`. Audited."""
    with container.uow() as uow:
        scope = service.scope_for(uow, principal)
        items, total = service.access_log(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            scope=scope,
            limit=page.limit,
            offset=page.offset,
        )
    return Page[AccessLogEntry](items=items, total=total, limit=page.limit, offset=page.offset)
