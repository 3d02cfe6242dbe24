"""HTTP API for work plans (issue 5 item 5)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response, status

from coaching.workplans import models as _models  # noqa: F401  (register the table)
from coaching.workplans import service
from coaching.workplans.schemas import (
    ActivityCreate,
    ActivityKind,
    ActivityRead,
    ActivityStatus,
    ActivityUpdate,
    WorkPlanPage,
)
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/cases", tags=["work plans"], responses=PROBLEM_RESPONSES)

ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
"""Everyone on the case: staff within their reach, the claimant on their own case."""

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{1,100}$"
IF_MATCH_PATTERN = r'^(W/)?"?[1-9][0-9]{0,8}"?$'

_409: dict[int | str, dict[str, Any]] = {
    409: PROBLEM_RESPONSES[404]
    | {
        "description": "`conflict`: the case is closed, the status transition is not allowed "
        "(`allowed_statuses`), or the version is stale (`current_version`)"
    }
}


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    return int(value.removeprefix("W/").strip('"'))


@router.get(
    "/{claim_id}/work-plan",
    response_model=WorkPlanPage,
    summary="The work plan of a case: its activities",
)
def list_work_plan(
    claim_id: uuid.UUID,
    activity_status: list[ActivityStatus] = Query(
        [], alias="status", description="Only these statuses (repeat for several)"
    ),
    kind: ActivityKind | None = None,
    sort: Literal["due_on", "-due_on", "created_at", "-created_at"] = "due_on",
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> WorkPlanPage:
    """A coach their own and covered cases, a team lead their office, an admin all, the
    claimant their own plan; others get 404. Audited (`workplan.read`)."""
    with container.uow() as uow:
        return service.list_activities(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            statuses=list(activity_status),
            kind=kind,
            sort=sort,
            limit=page.limit,
            offset=page.offset,
            today=local_today(),
        )


@router.post(
    "/{claim_id}/work-plan/activities",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityRead,
    summary="Add an activity to the work plan",
    responses={
        200: {"description": "A retry with the same `Idempotency-Key` and body: the activity"},
        **_409,
    },
)
def create_activity(
    claim_id: uuid.UUID,
    body: ActivityCreate,
    response: Response,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Optional; 1-100 characters `A-Z a-z 0-9 _ - : .`, scoped to the case. "
        "A retry with the same key and body answers the activity (200, "
        "`Idempotent-Replayed: true`); the same key with another body is 422 "
        "`idempotency-key-reuse`.",
    ),
    principal: Principal = Depends(requires(roles=ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ActivityRead:
    """Staff of the case add any kind; the claimant adds to their own plan, except a trial
    placement (403). The activity starts as `planned`, version 1."""
    with container.uow() as uow:
        created = service.create_activity(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            data=body,
            # Stored as a keyed hash, never as sent (ADR 0025).
            idempotency_key=container.idempotency_keys.digest(idempotency_key)
            if idempotency_key is not None
            else None,
            today=local_today(),
        )
    activity = created.activity
    if created.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/cases/{claim_id}/work-plan/activities/{activity.id}"
    response.headers["ETag"] = _etag(activity.version)
    return activity


@router.get(
    "/{claim_id}/work-plan/activities/{activity_id}",
    response_model=ActivityRead,
    summary="One activity of the work plan",
)
def get_activity(
    claim_id: uuid.UUID,
    activity_id: uuid.UUID,
    response: Response,
    principal: Principal = Depends(requires(roles=ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ActivityRead:
    """The activity with its version (also as `ETag`). Audited (`workplan.activity_read`)."""
    with container.uow() as uow:
        activity = service.get_activity(
            uow=uow,
            claim_id=claim_id,
            activity_id=activity_id,
            principal=principal,
            today=local_today(),
        )
    response.headers["ETag"] = _etag(activity.version)
    return activity


@router.patch(
    "/{claim_id}/work-plan/activities/{activity_id}",
    response_model=ActivityRead,
    summary="Update an activity: status, outcome or terms",
    responses=_409,
)
def update_activity(
    claim_id: uuid.UUID,
    activity_id: uuid.UUID,
    body: ActivityUpdate,
    response: Response,
    if_match: str | None = Header(
        None,
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        description='The version last read, e.g. `"3"` (the `ETag`); instead of `version`',
    ),
    principal: Principal = Depends(requires(roles=ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ActivityRead:
    """Status transitions: planned -> in_progress | done | cancelled; in_progress -> done |
    cancelled; done and cancelled are final (only the outcome still changes). The claimant
    reports progress on their plan (docs/coaching-workbench.md). A closed case is 409."""
    with container.uow() as uow:
        activity = service.update_activity(
            uow=uow,
            claim_id=claim_id,
            activity_id=activity_id,
            principal=principal,
            data=body,
            if_match=_if_match(if_match),
            today=local_today(),
        )
    response.headers["ETag"] = _etag(activity.version)
    return activity
