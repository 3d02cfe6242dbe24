"""HTTP API for cases (`/v1/cases`)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query

from coaching.assignment.config import policy_of
from coaching.cases import reads
from coaching.cases.schemas import CaseRead, CloseBody, OfficeCaseload, ReopenBody
from coaching.lifecycle import service as lifecycle
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=PROBLEM_RESPONSES)
offices_router = APIRouter(prefix="/v1/offices", tags=["cases"], responses=PROBLEM_RESPONSES)

READ_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
REOPEN_ROLES = (Role.TEAM_LEAD, Role.ADMIN)


@router.get("/{claim_id}", response_model=CaseRead, summary="Get the case of a claim")
def get_case(
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CaseRead:
    """A coach sees own cases, a team lead their office, an admin all; others get 404."""
    with container.uow() as uow:
        case = reads.get_case(uow=uow, claim_id=claim_id, principal=principal)
        return reads.to_read(uow.session, case, local_today())


@router.get("", response_model=Page[CaseRead], summary="List cases")
def list_cases(
    office_code: str | None = Query(None, max_length=10),
    segment: Literal["personal", "digital"] | None = None,
    case_status: Literal["open", "closed"] | None = Query(None, alias="status"),
    assignment_status: Literal["assigned", "unassigned", "digital"] | None = None,
    no_show_flag: bool | None = Query(
        None, description="Only cases with a repeated intake no-show (true), or without"
    ),
    sort: Literal[
        "opened_at",
        "-opened_at",
        "first_ww_day",
        "-first_ww_day",
        "weeks_in_ww",
        "-weeks_in_ww",
        "probability",
        "-probability",
    ] = "-opened_at",
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[CaseRead]:
    """Row-level rules narrow the filter: a coach's own caseload, a team lead's office."""
    with container.uow() as uow:
        return reads.list_cases(
            uow=uow,
            principal=principal,
            page=page,
            office_code=office_code,
            segment=segment,
            status=case_status,
            assignment_status=assignment_status,
            no_show_flag=no_show_flag,
            sort=sort,
        )


@offices_router.get(
    "/{office_code}/unassigned-cases",
    response_model=Page[CaseRead],
    summary="The team lead's queue: an office's cases without a coach",
)
def unassigned_cases(
    office_code: str = Path(min_length=2, max_length=10),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=(Role.TEAM_LEAD, Role.ADMIN))),
    container: ServiceContainer = Depends(get_container),
) -> Page[CaseRead]:
    """Personal-service cases no coach could take (oldest first); a team lead's own office,
    an admin any office."""
    with container.uow() as uow:
        return reads.unassigned_cases(
            uow=uow, office_code=office_code, principal=principal, page=page
        )


@offices_router.get(
    "/{office_code}/caseload",
    response_model=OfficeCaseload,
    summary="The team lead's overview: load per coach of an office",
)
def office_caseload(
    office_code: str = Path(min_length=2, max_length=10),
    principal: Principal = Depends(requires(roles=(Role.TEAM_LEAD, Role.ADMIN))),
    container: ServiceContainer = Depends(get_container),
) -> OfficeCaseload:
    """Per coach: open cases, contract hours, maximum caseload, load per contract hour and
    share of the maximum, highest relative load first; and the office's unassigned queue
    and digital cases. A team lead's own office, an admin any office. Counts only."""
    with container.uow() as uow:
        return reads.office_caseload(
            uow=uow, office_code=office_code, principal=principal, policy=policy_of(container)
        )


@router.post(
    "/{claim_id}/close",
    response_model=CaseRead,
    summary="Close a case with its result",
    responses=conflict_doc("the case is already closed"),
)
def close_case(
    claim_id: uuid.UUID,
    body: CloseBody,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CaseRead:
    """The case's coach (or the coach covering), a team lead of its office, or an admin.
    A result is required; `other` needs a note. The case becomes read-only until an
    audited reopen; `case.closed` is published, and the office's unassigned queue is tried
    again (a place freed up)."""
    today = local_today()
    with container.uow() as uow:
        case = lifecycle.close_case(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            result=body.result,
            closed_on=body.closed_on,
            reported_by=body.reported_by.value,
            note=body.note,
            policy=policy_of(container),
            today=today,
        )
        return reads.to_read(uow.session, case, today)


@router.post(
    "/{claim_id}/reopen",
    response_model=CaseRead,
    summary="Reopen a closed case",
    responses=conflict_doc("the case is not closed, or its reopening window has passed"),
)
def reopen_case(
    claim_id: uuid.UUID,
    body: ReopenBody,
    principal: Principal = Depends(requires(roles=REOPEN_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CaseRead:
    """A team lead of the case's office or an admin, with a reason (audited). The case
    returns to its coach when still active and below their maximum caseload; otherwise the
    assignment rules decide again (another coach, or the office's unassigned queue)."""
    today = local_today()
    with container.uow() as uow:
        case = lifecycle.reopen_case(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            reason=body.reason,
            policy=policy_of(container),
            today=today,
        )
        return reads.to_read(uow.session, case, today)
