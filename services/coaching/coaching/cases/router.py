"""HTTP API for cases (`/v1/cases`)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query

from coaching.assignment import service as assignment
from coaching.assignment.config import policy_of
from coaching.cases import repository, service
from coaching.cases.models import Case
from coaching.cases.schemas import CaseRead, CloseBody, OfficeCaseload, ReopenBody
from coaching.obligations import service as obligations
from shared.clock import local_today
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, Forbidden, conflict_doc

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
        case = service.get_case(uow=uow, claim_id=claim_id, principal=principal)
        return service.to_read(uow.session, case, local_today())


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
    coach_id: uuid.UUID | None = None
    if not principal.has_role(Role.ADMIN):
        if principal.has_role(Role.TEAM_LEAD):
            if principal.office is None:
                raise Forbidden("a team lead token must name an office")
            if office_code not in (None, principal.office):
                raise Forbidden("a team lead sees only their own office")
            office_code = principal.office
        else:
            try:
                coach_id = uuid.UUID(principal.subject)
            except ValueError:
                raise Forbidden("a coach token's subject must be the coach id") from None
    with container.uow() as uow:
        rows, total = repository.list_cases(
            uow.session,
            office_code=office_code,
            coach_id=coach_id,
            segment=segment,
            status=case_status,
            assignment_status=assignment_status,
            no_show_flag=no_show_flag,
            sort=sort,
            limit=page.limit,
            offset=page.offset,
        )
        uow.audit(
            actor=principal.as_actor(),
            action="case.list",
            resource_type="case",
            resource_id=f"page:{page.offset}",
        )
        today = local_today()
        items = service.to_reads(uow.session, rows, today)
        uow.commit()
    return Page[CaseRead](items=items, total=total, limit=page.limit, offset=page.offset)


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
    if not principal.has_role(Role.ADMIN) and principal.office != office_code:
        raise Forbidden("a team lead sees only their own office")
    with container.uow() as uow:
        rows, total = assignment.unassigned_cases(
            uow, office_code=office_code, limit=page.limit, offset=page.offset
        )
        uow.audit(
            actor=principal.as_actor(),
            action="case.list_unassigned",
            resource_type="office",
            resource_id=f"{office_code}:page:{page.offset}",
        )
        today = local_today()
        items = service.to_reads(uow.session, rows, today)
        uow.commit()
    return Page[CaseRead](items=items, total=total, limit=page.limit, offset=page.offset)


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
        return service.office_caseload(
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
        case = service.case_for(uow=uow, claim_id=claim_id, principal=principal, audit=False)
        service.close_case(
            uow=uow,
            case=case,
            result=body.result,
            closed_on=body.closed_on or today,
            reported_by=body.reported_by.value,
            note=body.note,
            actor=principal.as_actor(),
            today=today,
        )
        if case.office_code is not None and case.coach_id is not None:
            assignment.retry_unassigned(
                uow, office_code=case.office_code, policy=policy_of(container), today=today
            )
        uow.commit()
        return service.to_read(uow.session, case, today)


def reopen(
    uow: UnitOfWork, case: Case, *, reason: str, actor: Actor, container: ServiceContainer
) -> None:
    """Reopen, give the case a coach again if its own is inactive or at their maximum
    (`service.reopen_case`), and let the job-search obligation apply again from today
    (fresh periods; none while it was closed, `obligations.resume_after_reopen`)."""
    today = local_today()
    service.lock_case(uow, case, roster=True)  # closed_on as committed, held to the commit
    closed_on, closed_at = case.closed_on, case.closed_at
    service.reopen_case(
        uow=uow, case=case, reason=reason, actor=actor, policy=policy_of(container), today=today
    )
    obligations.resume_after_reopen(
        uow=uow,
        case=case,
        closed_on=closed_on,
        closed_at=closed_at,
        resume_on=today,
        by=actor.subject,
    )


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
        case = service.case_for(uow=uow, claim_id=claim_id, principal=principal, audit=False)
        reopen(uow, case, reason=body.reason, actor=principal.as_actor(), container=container)
        uow.commit()
        return service.to_read(uow.session, case, today)
