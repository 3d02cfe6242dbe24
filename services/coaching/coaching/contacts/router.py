"""HTTP API for contact moments (issue 5 item 6)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse

from coaching.contacts import models as _models  # noqa: F401  (register the table)
from coaching.contacts import service
from coaching.contacts.schemas import (
    ClaimantContactMomentPage,
    ClaimantContactMomentRead,
    ContactMomentCancel,
    ContactMomentCreate,
    ContactMomentHeld,
    ContactMomentNoShow,
    ContactMomentPage,
    ContactMomentRead,
    ContactStatus,
)
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/cases", tags=["contact moments"], responses=PROBLEM_RESPONSES)

READ_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
"""Staff within their reach; the claimant their own contact moments, without notes."""
WRITE_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
"""Only staff plan contact moments and record what became of them."""

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{1,100}$"

_409: dict[int | str, dict[str, Any]] = {
    409: PROBLEM_RESPONSES[404]
    | {
        "description": "`conflict`: the case is closed, the transition is not allowed "
        "(`allowed_statuses`), the version is stale (`current_version`), or a no-show "
        "before the planned time"
    }
}

_CLAIMANT_VIEW = (
    "The claimant (on their own case) gets the same shape without `notes`, `planned_by` and "
    "`recorded_by`."
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _location(claim_id: uuid.UUID, moment_id: uuid.UUID) -> str:
    return f"/v1/cases/{claim_id}/contact-moments/{moment_id}"


@router.get(
    "/{claim_id}/contact-moments",
    response_model=ContactMomentPage,
    summary="The contact moments of a case",
    description=_CLAIMANT_VIEW,
)
def list_contact_moments(
    claim_id: uuid.UUID,
    moment_status: list[ContactStatus] = Query(
        [], alias="status", description="Only these statuses (repeat for several)"
    ),
    sort: Literal["planned_at", "-planned_at"] = "planned_at",
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Any:
    """Paginated, by planned time; `no_shows` counts the case's no-shows. Audited."""
    with container.uow() as uow:
        result = service.list_moments(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            statuses=list(moment_status),
            sort=sort,
            limit=page.limit,
            offset=page.offset,
        )
    if isinstance(result, ClaimantContactMomentPage):
        return JSONResponse(result.model_dump(mode="json"))
    return result


@router.post(
    "/{claim_id}/contact-moments",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactMomentRead,
    summary="Plan a contact moment",
    responses={
        200: {"description": "A retry with the same `Idempotency-Key` and body"},
        **_409,
    },
)
def plan_contact_moment(
    claim_id: uuid.UUID,
    body: ContactMomentCreate,
    response: Response,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Optional, scoped to the case: a retry with the same key and body answers "
        "the contact moment (200, `Idempotent-Replayed: true`); another body is 422 "
        "`idempotency-key-reuse`.",
    ),
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ContactMomentRead:
    """A coach on their own or covered cases, a team lead in their office, an admin."""
    with container.uow() as uow:
        planned = service.plan_contact(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            data=body,
            # Stored as a keyed hash, never as sent (ADR 0025).
            idempotency_key=container.idempotency_keys.digest(idempotency_key)
            if idempotency_key is not None
            else None,
            now=_now(),
        )
    if planned.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = _location(claim_id, planned.moment.id)
    return planned.moment


@router.get(
    "/{claim_id}/contact-moments/{moment_id}",
    response_model=ContactMomentRead,
    summary="One contact moment",
    description=_CLAIMANT_VIEW,
)
def get_contact_moment(
    claim_id: uuid.UUID,
    moment_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Any:
    """Audited (`contact.read`)."""
    with container.uow() as uow:
        result = service.get_moment(
            uow=uow, claim_id=claim_id, moment_id=moment_id, principal=principal
        )
    if isinstance(result, ClaimantContactMomentRead) and not isinstance(result, ContactMomentRead):
        return JSONResponse(result.model_dump(mode="json"))
    return result


@router.post(
    "/{claim_id}/contact-moments/{moment_id}/held",
    response_model=ContactMomentRead,
    summary="Record that a contact moment took place",
    responses=_409,
)
def record_held(
    claim_id: uuid.UUID,
    moment_id: uuid.UUID,
    body: ContactMomentHeld,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ContactMomentRead:
    """From planned (or correcting a no-show); `notes` are coach-only."""
    with container.uow() as uow:
        return service.record_held(
            uow=uow,
            claim_id=claim_id,
            moment_id=moment_id,
            principal=principal,
            data=body,
            now=_now(),
        )


@router.post(
    "/{claim_id}/contact-moments/{moment_id}/no-show",
    response_model=ContactMomentRead,
    summary="Record that the claimant did not appear",
    responses=_409,
)
def record_no_show(
    claim_id: uuid.UUID,
    moment_id: uuid.UUID,
    body: ContactMomentNoShow | None = Body(None),
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ContactMomentRead:
    """From planned, once the planned time has come. The body is optional."""
    with container.uow() as uow:
        return service.record_no_show(
            uow=uow,
            claim_id=claim_id,
            moment_id=moment_id,
            principal=principal,
            version=body.version if body is not None else None,
            now=_now(),
        )


@router.post(
    "/{claim_id}/contact-moments/{moment_id}/cancel",
    response_model=ContactMomentRead,
    summary="Cancel a planned contact moment",
    responses=_409,
)
def cancel_contact_moment(
    claim_id: uuid.UUID,
    moment_id: uuid.UUID,
    body: ContactMomentCancel | None = Body(None),
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ContactMomentRead:
    """From planned only. The body is optional."""
    with container.uow() as uow:
        return service.cancel(
            uow=uow,
            claim_id=claim_id,
            moment_id=moment_id,
            principal=principal,
            data=body or ContactMomentCancel(),
            now=_now(),
        )
