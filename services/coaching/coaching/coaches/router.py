"""HTTP API for the coach roster (`/v1/coaches`)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response, status

from coaching.assignment.config import policy_of
from coaching.coaches import service
from coaching.coaches.schemas import CoachCreate, CoachDeactivate, CoachRead, CoachUpdate
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/coaches", tags=["coaches"], responses=PROBLEM_RESPONSES)

MANAGE_ROLES = (Role.TEAM_LEAD, Role.ADMIN)
READ_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=CoachRead, summary="Add a coach"
)
def create_coach(
    body: CoachCreate,
    response: Response,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CoachRead:
    """Team leads add coaches to their own office; admins to any office."""
    with container.uow() as uow:
        coach = service.create_coach(
            uow=uow, data=body, principal=principal, policy=policy_of(container)
        )
    response.headers["Location"] = f"/v1/coaches/{coach.id}"
    return service.to_read(coach)


@router.get("", response_model=Page[CoachRead], summary="List coaches")
def list_coaches(
    office_code: str | None = Query(None, max_length=10),
    active: bool | None = None,
    sort: Literal["display_name", "-display_name", "created_at", "-created_at"] = "display_name",
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[CoachRead]:
    """Filtered, sorted, paginated roster."""
    with container.uow() as uow:
        return service.list_coaches(
            uow=uow, page=page, office_code=office_code, active=active, sort=sort
        )


@router.get("/{coach_id}", response_model=CoachRead, summary="Get a coach")
def get_coach(
    coach_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CoachRead:
    """One coach."""
    with container.uow() as uow:
        return service.to_read(service.get_coach(uow=uow, coach_id=coach_id))


@router.patch(
    "/{coach_id}",
    response_model=CoachRead,
    summary="Update a coach",
    responses={409: {"description": "The coach is deactivated"}},
)
def update_coach(
    coach_id: uuid.UUID,
    body: CoachUpdate,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CoachRead:
    """Partial update; publishes coach.updated."""
    with container.uow() as uow:
        return service.to_read(
            service.update_coach(
                uow=uow,
                coach_id=coach_id,
                data=body,
                principal=principal,
                policy=policy_of(container),
            )
        )


@router.post(
    "/{coach_id}/deactivate",
    response_model=CoachRead,
    summary="Deactivate a coach",
    responses={409: {"description": "The coach is already deactivated"}},
)
def deactivate_coach(
    coach_id: uuid.UUID,
    body: CoachDeactivate,
    principal: Principal = Depends(requires(roles=MANAGE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CoachRead:
    """Take a coach off the roster with a reason; publishes coach.deactivated."""
    with container.uow() as uow:
        return service.to_read(
            service.deactivate_coach(
                uow=uow, coach_id=coach_id, reason=body.reason, principal=principal
            )
        )
