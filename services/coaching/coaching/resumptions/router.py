"""HTTP API for work resumption reports."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response, status

from coaching.assignment import service as assignment
from coaching.assignment.config import policy_of
from coaching.cases import service as cases
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


def _read(row: object) -> ResumptionRead:
    return ResumptionRead.model_validate(row, from_attributes=True)


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
    today = local_today()
    with container.uow() as uow:
        case = cases.case_for(
            uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, audit=False
        )
        by = "claimant" if cases.claimant_owns(principal, case) else "coach"
        row = service.report(
            uow=uow, case=case, body=body, reported_by=by, actor=principal.as_actor(), today=today
        )
        if row.closed_case and case.office_code is not None and case.coach_id is not None:
            assignment.retry_unassigned(
                uow, office_code=case.office_code, policy=policy_of(container), today=today
            )
        uow.commit()
        response.headers["Location"] = f"/v1/cases/{claim_id}/work-resumptions"
        return _read(row)


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
        case = cases.case_for(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            allow_claimant=True,
            action="work_resumption.list",
        )
        rows, total = service.list_for_case(uow, case, limit=page.limit, offset=page.offset)
        items = [_read(r) for r in rows]
        uow.commit()
    return Page[ResumptionRead](items=items, total=total, limit=page.limit, offset=page.offset)
