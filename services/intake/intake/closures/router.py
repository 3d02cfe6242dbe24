"""HTTP API of closure management (`/v1/calendar/closures`, POST and DELETE; tag `calendar`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response, status

from intake.calendar.schemas import (
    ClosureCreate,
    ClosureCreatedRead,
    ClosureEffectRead,
    closure_read,
)
from intake.closures import service
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/calendar", tags=["calendar"], responses=PROBLEM_RESPONSES)

# Row-level: national closures are for admins; a team lead only for their own office.
WRITE_ROLES = (Role.TEAM_LEAD, Role.ADMIN)


def _settings(container: ServiceContainer) -> IntakeSettings:
    settings = container.settings
    assert isinstance(settings, IntakeSettings)
    return settings


@router.post(
    "/closures",
    status_code=status.HTTP_201_CREATED,
    response_model=ClosureCreatedRead,
    summary="Declare a closure (national: admin; office: its team lead or admin)",
    responses={409: PROBLEM_RESPONSES[422] | {"description": "A closure exists for that day"}},
)
def create_closure(
    body: ClosureCreate,
    response: Response,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ClosureCreatedRead:
    """Add an ad-hoc non-working day: its open slots are withdrawn and its appointments
    cancelled by the service and rebooked (or listed as unplanned); audited."""
    with container.uow() as uow:
        closure, effect = service.create_closure(
            uow=uow,
            data=body,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=utcnow(),
        )
        read = closure_read(closure)
    response.headers["Location"] = f"/v1/calendar/closures/{closure.id}"
    return ClosureCreatedRead(**read.model_dump(), effect=ClosureEffectRead(**effect.as_json()))


@router.delete(
    "/closures/{closure_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a closure (national: admin; office: its team lead or admin)",
)
def delete_closure(
    closure_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Response:
    """Delete a closure; audited with its old values. The day gets slots again (waiting
    claims are booked into them); appointments cancelled for the closure stay cancelled."""
    with container.uow() as uow:
        service.delete_closure(
            uow=uow,
            closure_id=closure_id,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=utcnow(),
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
