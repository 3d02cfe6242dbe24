"""HTTP API of placements: the agencies' (`router`, tag "partner") and staff's (`staff_router`)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, status
from fastapi.responses import JSONResponse

from coaching.assignment.config import policy_of
from coaching.partner.access import partner_access
from coaching.partner.idempotency import HEADER, run_idempotent
from coaching.partner.placements import service
from coaching.partner.placements.rules import DEFAULT_LIMITS
from coaching.partner.placements.schemas import (
    QUARTER_PATTERN,
    CasePlacementRead,
    PlacementCreate,
    PlacementRead,
    RewardLedgerRead,
    RewardRead,
)
from coaching.settings import CoachingSettings
from shared.clock import local_today
from shared.db.uow import UnitOfWork
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_JSON, PROBLEM_RESPONSES

SCOPE = "placements:write"
CASE_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
LEDGER_ROLES = (Role.ADMIN, Role.BENEFITS_OFFICER)

_PARTNER_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    429: {
        "description": "`rate-limited`: the client's requests per minute are used up; "
        "`Retry-After` says how many seconds to wait",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
}

router = APIRouter(prefix="/partner/v1", tags=["partner"], responses=_PARTNER_RESPONSES)
# Staff routes are not part of the partner API: their own tag.
staff_router = APIRouter(tags=["placements"], responses=PROBLEM_RESPONSES)

_CREATED_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Recorded; `Location` names the placement. A retry with the same "
        "`Idempotency-Key` and body replays this response (same status and body, with "
        "`Idempotent-Replayed: true`)"
    },
    404: PROBLEM_RESPONSES[404]
    | {
        "description": "No such candidate: unknown, never shown to this client, no longer "
        "consenting to be found, or its WW case is closed (the same answer for each)"
    },
    409: PROBLEM_RESPONSES[404]
    | {
        "description": "`conflict`: a partial placement of this candidate with this start date "
        "was reported already (with another key), or this client reached its partial "
        "placements of the candidate in the quarter of the start date"
    },
    422: PROBLEM_RESPONSES[422]
    | {
        "description": "`validation-error` naming each field (e.g. `start_date` before the "
        "first WW day, `hours_per_week` when the candidate's partial work in the quarter "
        "would exceed the weekly maximum), or naming `Idempotency-Key` when the key was used "
        "for another request"
    },
}

_QUARTER = Query(
    None,
    pattern=QUARTER_PATTERN,
    description="YYYY-Qn (e.g. 2026-Q4); placements count in the quarter of their start "
    "date. Default: the current quarter",
)


@router.post(
    "/placements",
    status_code=status.HTTP_201_CREATED,
    response_model=PlacementRead,
    summary="Report a placement of a candidate in work",
    responses=_CREATED_RESPONSES,
)
def report_placement(
    body: PlacementCreate,
    idempotency_key: str = Header(
        alias=HEADER,
        pattern=r"^[\x21-\x7e]{1,200}$",
        description="Required; 1-200 visible ASCII characters, private to the client. A retry "
        "with the same key and body replays the first response; the same key with another "
        "body is 422 naming `Idempotency-Key`.",
    ),
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> JSONResponse:
    """Records the work resumption (full: the case closes with result `work_resumed`;
    partial: it stays open), counts a new registration with the agency as a job-search
    activity, and emits `placement.reported`, all in one transaction."""
    today = local_today()
    policy = policy_of(container)
    settings = container.settings
    limits = settings.partial_limits() if isinstance(settings, CoachingSettings) else DEFAULT_LIMITS

    def run(uow: UnitOfWork) -> tuple[int, dict[str, Any], bool]:
        return service.report_placement(
            uow=uow,
            principal=principal,
            data=body,
            # Stored as a keyed hash, never as sent (ADR 0025).
            idempotency_key=container.idempotency_keys.digest(idempotency_key),
            today=today,
            policy=policy,
            limits=limits,
        )

    code, content, replayed = run_idempotent(container.uow, run)
    headers = {"Location": f"/partner/v1/placements/{content['id']}"} if "id" in content else {}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(content, status_code=code, headers=headers)


@router.get(
    "/placements",
    response_model=Page[PlacementRead],
    summary="The client's own placements",
)
def list_placements(
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> Page[PlacementRead]:
    """Newest report first."""
    with container.uow() as uow:
        rows, total = service.list_own(
            uow=uow, principal=principal, limit=page.limit, offset=page.offset
        )
        items = [service.read(r) for r in rows]
    return Page[PlacementRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/placements/{placement_id}",
    response_model=PlacementRead,
    summary="One of the client's own placements",
)
def get_placement(
    placement_id: uuid.UUID,
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> PlacementRead:
    """Another client's placement is 404, like one that does not exist."""
    with container.uow() as uow:
        return service.read(
            service.get_own(uow=uow, principal=principal, placement_id=placement_id)
        )


@router.get(
    "/rewards",
    response_model=RewardRead,
    summary="The client's placements of WW claimants in a quarter (the reward ledger)",
)
def my_rewards(
    quarter: str | None = _QUARTER,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> RewardRead:
    """Counts (all, full, partial, distinct claimants) and a page of the placements,
    earliest start first."""
    with container.uow() as uow:
        return service.reward_of_client(
            uow=uow,
            principal=principal,
            quarter=quarter or service.current_quarter(local_today()),
            limit=page.limit,
            offset=page.offset,
        )


@staff_router.get(
    "/v1/partner-rewards",
    response_model=RewardLedgerRead,
    summary="Every agency's placements of WW claimants in a quarter",
)
def reward_ledger(
    quarter: str | None = _QUARTER,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=LEDGER_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> RewardLedgerRead:
    """Admins and benefits officers; most placements first, ties by client id."""
    with container.uow() as uow:
        return service.reward_ledger(
            uow=uow,
            principal=principal,
            quarter=quarter or service.current_quarter(local_today()),
            limit=page.limit,
            offset=page.offset,
        )


@staff_router.get(
    "/v1/cases/{claim_id}/placements",
    response_model=Page[CasePlacementRead],
    summary="A case's placements reported by temp agencies",
)
def case_placements(
    claim_id: uuid.UUID,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=CASE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[CasePlacementRead]:
    """Staff who may see the case (its coach, the office's team lead, admins); audited."""
    with container.uow() as uow:
        rows, total = service.list_for_case(
            uow=uow, claim_id=claim_id, principal=principal, limit=page.limit, offset=page.offset
        )
        items = [service.case_read(r) for r in rows]
    return Page[CasePlacementRead](items=items, total=total, limit=page.limit, offset=page.offset)
