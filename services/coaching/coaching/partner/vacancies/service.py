"""Vacancy rules: a partner manages only its own vacancies; coaches see the open ones."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from coaching.partner import idempotency
from coaching.partner.vacancies import repository
from coaching.partner.vacancies.models import CLOSED, OPEN, PartnerVacancy
from coaching.partner.vacancies.schemas import (
    StaffVacancyRead,
    VacancyCreate,
    VacancyRead,
    VacancyUpdate,
)
from shared.db.uow import UnitOfWork
from shared.events.coaching import VacancyClosed, VacancyPublished
from shared.reference import InvalidPostcodeError, load_offices
from shared.web.auth import Principal
from shared.web.pagination import Page, PageParams
from shared.web.problems import Conflict, InvalidField, NotFound


def _snapshot(v: PartnerVacancy) -> dict[str, Any]:
    return {
        "title": v.title,
        "sector": v.sector,
        "postcode": v.postcode,
        "region": v.region,
        "hours_per_week": v.hours_per_week,
        "wage_min": v.wage_min,
        "wage_max": v.wage_max,
        "skills": list(v.skills),
        "start_date": v.start_date.isoformat() if v.start_date else None,
        "status": v.status,
    }


def _office_for(postcode: str | None) -> str | None:
    """The office serving the workplace, when a postcode is known and served."""
    if not postcode:
        return None
    try:
        return load_offices().for_postcode(postcode).code
    except InvalidPostcodeError:
        return None


def read(vacancy: PartnerVacancy) -> VacancyRead:
    """The agency's view of a vacancy."""
    return VacancyRead.model_validate(vacancy, from_attributes=True)


def _client_id(principal: Principal) -> str:
    assert principal.client_id is not None
    return principal.client_id


def list_own(
    *,
    uow: UnitOfWork,
    principal: Principal,
    page: PageParams,
    status: str | None,
    sector: str | None,
    region: str | None,
) -> Page[VacancyRead]:
    """A page of the calling client's own vacancies, newest first."""
    rows, total = repository.list_own(
        uow.session,
        client_id=_client_id(principal),
        status=status,
        sector=sector,
        region=region,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[VacancyRead](
        items=[read(v) for v in rows], total=total, limit=page.limit, offset=page.offset
    )


def list_open(
    *,
    uow: UnitOfWork,
    page: PageParams,
    sector: str | None,
    region: str | None,
    skills: Sequence[str],
    min_hours: float | None,
) -> Page[StaffVacancyRead]:
    """A page of open vacancies of active agencies, newest first, with the agency's name
    (for staff matching a caseload). `skills`: vacancies asking any of them."""
    rows, total = repository.list_open(
        uow.session,
        sector=sector,
        region=region,
        skills=list(dict.fromkeys(skills)),
        min_hours=min_hours,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[StaffVacancyRead](
        items=[StaffVacancyRead(**read(v).model_dump(), agency_name=name) for v, name in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def create_vacancy(
    *,
    uow: UnitOfWork,
    data: VacancyCreate,
    principal: Principal,
    idempotency_key: str,
    path: str,
    now: dt.datetime,
) -> tuple[int, dict[str, Any], bool]:
    """Publish a vacancy once per idempotency key: (status, response, replayed)."""
    client_id = _client_id(principal)
    body = data.model_dump(mode="json")
    stored = idempotency.replay(
        uow, client_id=client_id, key=idempotency_key, method="POST", path=path, body=body
    )
    if stored is not None:
        return stored[0], stored[1], True
    vacancy = PartnerVacancy(
        id=uuid.uuid4(),
        client_id=client_id,
        title=data.title,
        sector=data.sector,
        postcode=data.postcode,
        region=data.region,
        office_code=_office_for(data.postcode),
        hours_per_week=data.hours_per_week,
        wage_min=data.wage_min,
        wage_max=data.wage_max,
        skills=list(data.skills),
        start_date=data.start_date,
        status=OPEN,
        created_at=now,
        updated_at=now,
    )
    repository.add(uow.session, vacancy)
    uow.publish(
        VacancyPublished(
            vacancy_id=vacancy.id,
            partner_client_id=client_id,
            title=vacancy.title,
            office_code=vacancy.office_code,
            hours_per_week=vacancy.hours_per_week,
            published_at=now,
        )
    )
    uow.audit(
        actor=principal.as_actor(),
        action="vacancy.create",
        resource_type="vacancy",
        resource_id=vacancy.id,
        new=_snapshot(vacancy),
    )
    response = read(vacancy).model_dump(mode="json")
    idempotency.remember(
        uow,
        client_id=client_id,
        key=idempotency_key,
        method="POST",
        path=path,
        body=body,
        status_code=201,
        response=response,
    )
    uow.commit()
    return 201, response, False


def _own(uow: UnitOfWork, vacancy_id: uuid.UUID, principal: Principal) -> PartnerVacancy:
    vacancy = repository.get_own(uow.session, vacancy_id, _client_id(principal))
    if vacancy is None:
        raise NotFound("no such vacancy")
    return vacancy


def get_vacancy(*, uow: UnitOfWork, vacancy_id: uuid.UUID, principal: Principal) -> PartnerVacancy:
    """One of the client's own vacancies."""
    return _own(uow, vacancy_id, principal)


def update_vacancy(
    *,
    uow: UnitOfWork,
    vacancy_id: uuid.UUID,
    data: VacancyUpdate,
    principal: Principal,
    now: dt.datetime,
) -> PartnerVacancy:
    """Change an open vacancy of the client; postcode, region and wages stay consistent."""
    vacancy = _own(uow, vacancy_id, principal)
    if vacancy.status != OPEN:
        raise Conflict("a closed vacancy cannot be changed")
    changes = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    old = _snapshot(vacancy)
    if "postcode" in changes:
        postcode = changes["postcode"]
        if "region" in changes and changes["region"] != postcode[:2]:
            raise InvalidField("region", "must be the first two digits of the postcode")
        changes["region"] = postcode[:2]
        changes["office_code"] = _office_for(postcode)
    elif "region" in changes and changes["region"] != vacancy.region:
        # A region without a postcode: the old postcode no longer describes the workplace.
        changes["postcode"] = None
        changes["office_code"] = None
    if "skills" in changes:
        changes["skills"] = list(dict.fromkeys(changes["skills"]))
    if "start_date" in changes:
        changes["start_date"] = data.start_date
    wage_min = changes.get("wage_min", vacancy.wage_min)
    wage_max = changes.get("wage_max", vacancy.wage_max)
    if wage_min is not None and wage_max is not None and wage_min > wage_max:
        raise InvalidField("wage_min", "must not exceed wage_max")
    for field, value in changes.items():
        setattr(vacancy, field, value)
    vacancy.updated_at = now
    if "skills" in changes:
        repository.set_skills(uow.session, vacancy)
    uow.audit(
        actor=principal.as_actor(),
        action="vacancy.update",
        resource_type="vacancy",
        resource_id=vacancy.id,
        old=old,
        new=_snapshot(vacancy),
    )
    uow.commit()
    return vacancy


def close_vacancy(
    *,
    uow: UnitOfWork,
    vacancy_id: uuid.UUID,
    reason: str,
    principal: Principal,
    now: dt.datetime,
) -> PartnerVacancy:
    """Close an open vacancy of the client and publish vacancy.closed."""
    vacancy = _own(uow, vacancy_id, principal)
    if vacancy.status != OPEN:
        raise Conflict("the vacancy is already closed")
    old = _snapshot(vacancy)
    vacancy.status = CLOSED
    vacancy.close_reason = reason
    vacancy.closed_at = vacancy.updated_at = now
    uow.publish(
        VacancyClosed(
            vacancy_id=vacancy.id,
            partner_client_id=vacancy.client_id,
            reason=reason,
            closed_at=now,
        )
    )
    uow.audit(
        actor=principal.as_actor(),
        action="vacancy.close",
        resource_type="vacancy",
        resource_id=vacancy.id,
        reason=reason,
        old=old,
        new=_snapshot(vacancy),
    )
    uow.commit()
    return vacancy
