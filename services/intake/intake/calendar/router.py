"""HTTP API of the working-day calendar (`/v1/calendar`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from intake.calendar import service
from intake.calendar.rules import DayInfo
from intake.calendar.schemas import (
    ClosureRead,
    DeadlineRead,
    WorkingDayRead,
    WorkingDaysRead,
    closure_read,
)
from intake.settings import IntakeSettings
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES
from shared.web.validation import Day

router = APIRouter(prefix="/v1/calendar", tags=["calendar"], responses=PROBLEM_RESPONSES)

READ_ROLES = (
    Role.COACH,
    Role.TEAM_LEAD,
    Role.BENEFITS_OFFICER,
    Role.TRIAGE_ANALYST,
    Role.ADMIN,
    Role.CLAIMANT,
)
OFFICE_QUERY = Query(
    None,
    max_length=10,
    description="Office code: its closures count as well as national ones (none: national only)",
)


def _day(info: DayInfo) -> WorkingDayRead:
    return WorkingDayRead(
        date=info.day, is_working_day=info.is_working_day, reason=info.reason, source=info.source
    )


@router.get("/working-days", response_model=WorkingDaysRead, summary="Working days of a range")
def working_days(
    start: Annotated[Day, Query(alias="from", description="First day (inclusive)")],
    end: Annotated[Day, Query(alias="to", description="Last day (inclusive; at most 366 days)")],
    office_code: str | None = OFFICE_QUERY,
    _: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> WorkingDaysRead:
    """Each day with whether it is a working day and, if not, the rule or closure reason."""
    with container.uow() as uow:
        days = service.working_days(
            uow=uow, start=start, end=end, office_code=office_code, offices=load_offices()
        )
    return WorkingDaysRead(
        office_code=office_code,
        days=[_day(d) for d in days],
        working_days=sum(d.is_working_day for d in days),
    )


@router.get("/deadline", response_model=DeadlineRead, summary="The n-th working day after a date")
def deadline(
    start: Annotated[Day, Query(description="Counting starts the day after this date")],
    office_code: str | None = OFFICE_QUERY,
    working_days: int | None = Query(
        None, ge=1, le=100, description="n; default: the intake deadline setting (5)"
    ),
    _: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> DeadlineRead:
    """The intake deadline rule: the n-th working day strictly after `start`."""
    settings = container.settings
    assert isinstance(settings, IntakeSettings)
    n = working_days if working_days is not None else settings.intake_deadline_working_days
    with container.uow() as uow:
        day = service.deadline(
            uow=uow, start=start, working_days=n, office_code=office_code, offices=load_offices()
        )
    return DeadlineRead(start=start, office_code=office_code, working_days=n, deadline=day)


@router.get("/closures", response_model=Page[ClosureRead], summary="List closures")
def list_closures(
    office_code: str | None = Query(None, max_length=10, description="Only this office's"),
    include_national: bool = Query(True, description="With office_code: include national closures"),
    start: Day | None = Query(None, alias="from", description="From this date (inclusive)"),
    end: Day | None = Query(None, alias="to", description="Up to this date (inclusive)"),
    page: PageParams = Depends(page_params),
    _: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[ClosureRead]:
    """Closures sorted by date, paginated."""
    with container.uow() as uow:
        rows, total = service.list_closures(
            uow=uow,
            office_code=office_code,
            include_national=include_national,
            start=start,
            end=end,
            limit=page.limit,
            offset=page.offset,
            offices=load_offices(),
        )
        items = [closure_read(c) for c in rows]
    return Page[ClosureRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/closures/{closure_id}", response_model=ClosureRead, summary="Get one closure")
def get_closure(
    closure_id: uuid.UUID,
    _: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ClosureRead:
    """One closure by id."""
    with container.uow() as uow:
        return closure_read(service.get_closure(uow=uow, closure_id=closure_id))
