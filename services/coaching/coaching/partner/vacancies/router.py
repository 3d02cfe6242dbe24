"""Vacancy APIs: partners manage their own (`/partner/v1/vacancies`), staff read the open
ones (`/v1/vacancies`)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from coaching.partner import idempotency
from coaching.partner.access import partner_access, partner_now
from coaching.partner.vacancies import service
from coaching.partner.vacancies.schemas import (
    Sector,
    Skill,
    StaffVacancyRead,
    VacancyClose,
    VacancyCreate,
    VacancyRead,
    VacancyUpdate,
)
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_JSON, PROBLEM_RESPONSES

SCOPE = "vacancies:write"
STAFF_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)

_PARTNER_RESPONSES = {
    **PROBLEM_RESPONSES,
    429: {
        "description": "Rate limit exceeded; retry after `Retry-After` seconds",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
}

partner_router = APIRouter(
    prefix="/partner/v1/vacancies", tags=["partner"], responses=_PARTNER_RESPONSES
)
staff_router = APIRouter(prefix="/v1/vacancies", tags=["vacancies"], responses=PROBLEM_RESPONSES)


@partner_router.post(
    "",
    status_code=201,
    response_model=VacancyRead,
    summary="Publish a vacancy",
    responses={201: {"description": "Published (or the first response replayed for a reused key)"}},
)
def create_vacancy(
    body: VacancyCreate,
    request: Request,
    idempotency_key: str = Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Unique per vacancy (e.g. a UUID): a retry with the same key and body "
        "gets the first response; the same key with another body is a 422",
    ),
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> JSONResponse:
    """Publish a vacancy (idempotent with `Idempotency-Key`); publishes vacancy.published."""
    path = request.url.path
    status, content, replayed = idempotency.run_idempotent(
        container.uow,
        lambda uow: service.create_vacancy(
            uow=uow,
            data=body,
            principal=principal,
            # Stored as a keyed hash, never as sent (ADR 0025).
            idempotency_key=container.idempotency_keys.digest(idempotency_key),
            path=path,
            now=partner_now(container),
        ),
    )
    headers = {"Location": f"/partner/v1/vacancies/{content.get('id')}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(content, status_code=status, headers=headers)


@partner_router.get("", response_model=Page[VacancyRead], summary="List own vacancies")
def list_own(
    status: Literal["open", "closed"] | None = None,
    sector: Sector | None = None,
    region: str | None = Query(None, pattern=r"^[1-9][0-9]$"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> Page[VacancyRead]:
    """The client's own vacancies, newest first."""
    with container.uow() as uow:
        return service.list_own(
            uow=uow, principal=principal, page=page, status=status, sector=sector, region=region
        )


@partner_router.get("/{vacancy_id}", response_model=VacancyRead, summary="Get an own vacancy")
def get_vacancy(
    vacancy_id: uuid.UUID,
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> VacancyRead:
    """One of the client's vacancies (404 for another client's)."""
    with container.uow() as uow:
        return service.read(
            service.get_vacancy(uow=uow, vacancy_id=vacancy_id, principal=principal)
        )


@partner_router.patch(
    "/{vacancy_id}",
    response_model=VacancyRead,
    summary="Update an own vacancy",
    responses={409: {"description": "The vacancy is closed"}},
)
def update_vacancy(
    vacancy_id: uuid.UUID,
    body: VacancyUpdate,
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> VacancyRead:
    """Partial update of an open vacancy."""
    with container.uow() as uow:
        return service.read(
            service.update_vacancy(
                uow=uow,
                vacancy_id=vacancy_id,
                data=body,
                principal=principal,
                now=partner_now(container),
            )
        )


@partner_router.post(
    "/{vacancy_id}/close",
    response_model=VacancyRead,
    summary="Close an own vacancy",
    responses={409: {"description": "Already closed"}},
)
def close_vacancy(
    vacancy_id: uuid.UUID,
    body: VacancyClose,
    principal: Principal = Depends(partner_access(SCOPE)),
    container: ServiceContainer = Depends(get_container),
) -> VacancyRead:
    """Close with a reason; publishes vacancy.closed."""
    with container.uow() as uow:
        return service.read(
            service.close_vacancy(
                uow=uow,
                vacancy_id=vacancy_id,
                reason=body.reason,
                principal=principal,
                now=partner_now(container),
            )
        )


@staff_router.get("", response_model=Page[StaffVacancyRead], summary="Open partner vacancies")
def list_open(
    response: Response,
    sector: Sector | None = None,
    region: str | None = Query(None, pattern=r"^[1-9][0-9]$"),
    skills: list[Skill] = Query(
        default_factory=list, max_length=20, description="Vacancies asking any of these skills"
    ),
    min_hours: float | None = Query(None, ge=0, le=80),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[StaffVacancyRead]:
    """Open vacancies of active agencies, newest first, for matching a caseload."""
    with container.uow() as uow:
        return service.list_open(
            uow=uow, page=page, sector=sector, region=region, skills=skills, min_hours=min_hours
        )
