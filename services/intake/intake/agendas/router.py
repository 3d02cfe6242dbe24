"""HTTP API of coach agendas (`/v1/coaches/{coach_id}/agenda`) and office capacity."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from intake.agendas import service
from intake.agendas.models import AgendaException
from intake.agendas.schemas import (
    AgendaBlockRead,
    AgendaExceptionCreate,
    AgendaExceptionRead,
    AgendaRead,
    AgendaUpdate,
    CapacityRead,
)
from intake.agendas.service import AgendaView
from intake.settings import IntakeSettings
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES
from shared.web.validation import Day

router = APIRouter(tags=["agendas"], responses=PROBLEM_RESPONSES)

# Row-level: a coach reads their own agenda, a team lead their office's coaches', an admin all.
READ_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
WRITE_ROLES = (Role.TEAM_LEAD, Role.ADMIN)
STAFF_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.TRIAGE_ANALYST, Role.ADMIN)


def _settings(container: ServiceContainer) -> IntakeSettings:
    settings = container.settings
    assert isinstance(settings, IntakeSettings)
    return settings


def _exception(e: AgendaException) -> AgendaExceptionRead:
    return AgendaExceptionRead(
        id=e.id,
        start_date=e.start_date,
        end_date=e.end_date,
        kind=e.kind,
        reason=e.reason,
        created_by=e.created_by,
        created_at=e.created_at,
    )


def _read(view: AgendaView, settings: IntakeSettings) -> AgendaRead:
    return AgendaRead(
        coach_id=view.coach.id,
        office_code=view.coach.office_code,
        slot_minutes=settings.slot_minutes,
        buffer_minutes=settings.slot_buffer_minutes,
        blocks=[
            AgendaBlockRead(
                weekday=b.weekday,
                start_time=b.start_time,
                end_time=b.end_time,
                office_code=b.office_code,
            )
            for b in view.blocks
        ],
        exceptions=[_exception(e) for e in view.exceptions],
        slots_until=view.slots_until,
        free_slots=view.free_slots,
    )


@router.get(
    "/v1/coaches/{coach_id}/agenda", response_model=AgendaRead, summary="Get a coach's agenda"
)
def get_agenda(
    coach_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> AgendaRead:
    """Weekly blocks, exceptions and free slots; a coach their own, a team lead their office's."""
    with container.uow() as uow:
        view = service.get_agenda(
            uow=uow, coach_id=coach_id, principal=principal, now=service.now_utc()
        )
        return _read(view, _settings(container))


@router.put(
    "/v1/coaches/{coach_id}/agenda",
    response_model=AgendaRead,
    summary="Replace a coach's weekly blocks (team lead of the office, admin)",
    responses={409: PROBLEM_RESPONSES[422] | {"description": "The coach is deactivated"}},
)
def replace_agenda(
    coach_id: uuid.UUID,
    body: AgendaUpdate,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> AgendaRead:
    """Replace the blocks and regenerate the coach's slots; booked slots are kept."""
    settings = _settings(container)
    with container.uow() as uow:
        view = service.replace_blocks(
            uow=uow,
            coach_id=coach_id,
            data=body,
            principal=principal,
            offices=load_offices(),
            settings=settings,
            now=service.now_utc(),
        )
        return _read(view, settings)


@router.post(
    "/v1/coaches/{coach_id}/agenda/exceptions",
    status_code=status.HTTP_201_CREATED,
    response_model=AgendaExceptionRead,
    summary="Add leave, sickness or training days (team lead of the office, admin)",
    responses={409: PROBLEM_RESPONSES[422] | {"description": "The coach is deactivated"}},
)
def add_exception(
    coach_id: uuid.UUID,
    body: AgendaExceptionCreate,
    response: Response,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> AgendaExceptionRead:
    """Free slots on those days are withdrawn; booked appointments stay."""
    with container.uow() as uow:
        exc = service.add_exception(
            uow=uow,
            coach_id=coach_id,
            data=body,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=service.now_utc(),
        )
    response.headers["Location"] = f"/v1/coaches/{coach_id}/agenda/exceptions/{exc.id}"
    return _exception(exc)


@router.delete(
    "/v1/coaches/{coach_id}/agenda/exceptions/{exception_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove an agenda exception (team lead of the office, admin)",
)
def delete_exception(
    coach_id: uuid.UUID,
    exception_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Response:
    """The days get slots again."""
    with container.uow() as uow:
        service.delete_exception(
            uow=uow,
            coach_id=coach_id,
            exception_id=exception_id,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=service.now_utc(),
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/offices/{office_code}/capacity",
    response_model=CapacityRead,
    summary="Free intake slots of an office per day (staff)",
)
def capacity(
    office_code: str,
    start: Annotated[Day, Query(alias="from", description="First day (inclusive)")],
    end: Annotated[Day, Query(alias="to", description="Last day (inclusive; at most 62 days)")],
    _: Principal = Depends(requires(roles=STAFF_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> CapacityRead:
    """Each day of the range with its number of free future slots."""
    with container.uow() as uow:
        days = service.capacity(
            uow=uow,
            office_code=office_code,
            start=start,
            end=end,
            offices=load_offices(),
            now=service.now_utc(),
        )
    return CapacityRead(
        office_code=office_code, days=days, free_slots=sum(d.free_slots for d in days)
    )
