"""HTTP API for work resumption reports."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response, status

from coaching.assignment.config import policy_of
from coaching.resumptions import service
from coaching.resumptions.schemas import ResumptionBody, ResumptionRead
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=PROBLEM_RESPONSES)

ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)


@router.post(
    "/{claim_id}/work-resumptions",
    status_code=status.HTTP_201_CREATED,
    response_model=ResumptionRead,
    summary="Report a return to work (full closes the case)",
)
def report_work_resumption(
    claim_id: uuid.UUID,
    body: ResumptionBody,
    response: Response,
    principal: Principal = Depends(requires(roles=ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ResumptionRead:
    """The claimant for their own case, or staff who may see the case. `full` closes the
    case with result `work_resumed` on the start date (`case.closed`, reported by the
    claimant or the coach); `partial` is recorded and the case stays open. 409 on a closed
    case; 422 naming `start_date` before the first WW day or too far ahead."""
    with container.uow() as uow:
        read = service.report_work_resumption(
            uow=uow,
            claim_id=claim_id,
            body=body,
            principal=principal,
            policy=policy_of(container),
            today=local_today(),
        )
    response.headers["Location"] = f"/v1/cases/{claim_id}/work-resumptions"
    return read


@router.get(
    "/{claim_id}/work-resumptions",
    response_model=Page[ResumptionRead],
    summary="A case's work resumption reports",
)
def list_work_resumptions(
    claim_id: uuid.UUID,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[ResumptionRead]:
    """Newest first; the claimant their own, staff the cases they may see (audited)."""
    with container.uow() as uow:
        return service.list_work_resumptions(
            uow=uow, claim_id=claim_id, principal=principal, page=page
        )
