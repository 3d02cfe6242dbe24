"""HTTP API for transfers and redistribution proposals."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from coaching.assignment.config import policy_of
from coaching.transfers import service
from coaching.transfers.schemas import (
    BatchTransferBody,
    BatchTransferResult,
    CoverBody,
    CoverResult,
    RedistributionBody,
    RedistributionProposal,
    TransferBody,
    TransferResult,
)
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc

router = APIRouter(tags=["transfers"], responses=PROBLEM_RESPONSES)

MANAGE_ROLES = (Role.TEAM_LEAD, Role.ADMIN)


@router.post(
    "/v1/cases/{claim_id}/transfer",
    responses=conflict_doc("the case is closed, or not open to a transfer"),
    response_model=TransferResult,
    summary="Move a case to another coach of its office",
)
def transfer_case(
    claim_id: uuid.UUID,
    body: TransferBody,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> TransferResult:
    """A team lead (own office) or admin; audited with the reason; `case.transferred`.
    409 when the case is closed or the coach is at their maximum caseload; 422 naming
    `to_coach_id` for an unknown, deactivated or other-office coach."""
    with container.uow() as uow:
        return service.transfer(
            uow=uow,
            claim_id=claim_id,
            to_coach_id=body.to_coach_id,
            reason_category=body.reason_category,
            reason_text=body.reason_text,
            principal=principal,
            policy=policy_of(container),
            today=local_today(),
        )


@router.post(
    "/v1/transfers",
    response_model=BatchTransferResult,
    summary="Move many cases at once (all or none)",
)
def transfer_cases(
    body: BatchTransferBody,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> BatchTransferResult:
    """Apply e.g. an accepted redistribution proposal: one transaction, every move audited
    and published; a move already done is `unchanged`, so a retry is safe."""
    with container.uow() as uow:
        return service.transfer_many(
            uow=uow,
            moves=body.moves,
            reason_category=body.reason_category,
            reason_text=body.reason_text,
            principal=principal,
            policy=policy_of(container),
            today=local_today(),
        )


@router.post(
    "/v1/coaches/{coach_id}/redistribution-proposal",
    response_model=RedistributionProposal,
    summary="Propose how to spread a coach's cases over the office (changes nothing)",
)
def redistribution_proposal(
    coach_id: uuid.UUID,
    body: RedistributionBody,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> RedistributionProposal:
    """For a coach who leaves or falls ill: the assignment rules (continuity, specialism,
    lowest relative load, never above a maximum) over the office's other active coaches.
    Apply it with `POST /v1/transfers`."""
    with container.uow() as uow:
        return service.propose(
            uow=uow,
            coach_id=coach_id,
            body=body,
            principal=principal,
            policy=policy_of(container),
            today=local_today(),
        )


@router.put(
    "/v1/coaches/{coach_id}/cover",
    response_model=CoverResult,
    summary="Let a colleague cover an absent coach's open cases until a date",
)
def cover_coach(
    coach_id: uuid.UUID,
    body: CoverBody,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CoverResult:
    """The colleague sees and works the cases (they count towards their load; 409 above
    their maximum). Audited; the cases stay the absent coach's."""
    with container.uow() as uow:
        return service.cover(
            uow=uow,
            coach_id=coach_id,
            covering_coach_id=body.covering_coach_id,
            until=body.until,
            reason=body.reason,
            principal=principal,
            policy=policy_of(container),
            today=local_today(),
        )


@router.delete(
    "/v1/coaches/{coach_id}/cover",
    response_model=CoverResult,
    summary="End the cover of a coach who is back",
)
def end_cover(
    coach_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CoverResult:
    """Idempotent: ending a cover that is not there changes nothing (cases: 0)."""
    with container.uow() as uow:
        return service.end_cover(uow=uow, coach_id=coach_id, principal=principal)
