"""HTTP API for the job-search obligation (issue 5 item 7): activities, the obligation view,
regime changes, coach tasks and the evaluation run."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Body, Depends, Query

from coaching.obligations import service
from coaching.obligations.rules import DEFAULT_POLICY, ObligationPolicy
from coaching.obligations.schemas import (
    ActivityCreate,
    ActivityRead,
    EvaluationRunRead,
    ObligationRead,
    RegimeUpdate,
    TaskDone,
    TaskRead,
)
from coaching.settings import CoachingSettings
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc

router = APIRouter(tags=["obligations"], responses=PROBLEM_RESPONSES)

READ_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
REPORT_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD)
STAFF_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.ADMIN)


def _settings(container: ServiceContainer) -> CoachingSettings | None:
    settings = container.settings
    return settings if isinstance(settings, CoachingSettings) else None


def _policy(container: ServiceContainer) -> ObligationPolicy:
    settings = _settings(container)
    return settings.obligation_policy() if settings is not None else DEFAULT_POLICY


@router.post(
    "/v1/cases/{claim_id}/job-search-activities",
    responses=conflict_doc("the case is closed"),
    response_model=ActivityRead,
    status_code=201,
    summary="Report a job-search activity (the claimant's own case, or its coach)",
)
def report_activity(
    claim_id: uuid.UUID,
    data: ActivityCreate,
    principal: Principal = Depends(requires(roles=REPORT_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ActivityRead:
    """Duplicates are accepted and count once. 422 naming `activity_date` for a day in the
    future, before the first WW day or in an evaluated period; 409 on a closed case."""
    with container.uow() as uow:
        activity = service.report_activity(
            uow=uow, claim_id=claim_id, data=data, principal=principal, today=local_today()
        )
        return ActivityRead.model_validate(activity)


@router.get(
    "/v1/cases/{claim_id}/job-search-activities",
    response_model=Page[ActivityRead],
    summary="List the reported job-search activities of a case, newest first",
)
def list_activities(
    claim_id: uuid.UUID,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[ActivityRead]:
    """The claimant their own case; a coach, team lead or admin the cases they see."""
    with container.uow() as uow:
        rows, total = service.list_activities(
            uow=uow, claim_id=claim_id, principal=principal, limit=page.limit, offset=page.offset
        )
        items = [ActivityRead.model_validate(r) for r in rows]
    return Page[ActivityRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/v1/cases/{claim_id}/obligation",
    response_model=ObligationRead,
    summary="The job-search obligation: regime, the running period, evaluated periods",
)
def get_obligation(
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ObligationRead:
    """The claimant their own case; a coach, team lead or admin the cases they see."""
    with container.uow() as uow:
        return service.obligation_view(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            policy=_policy(container),
            today=local_today(),
        )


@router.put(
    "/v1/cases/{claim_id}/obligation/regime",
    responses=conflict_doc("the case is closed"),
    response_model=ObligationRead,
    summary="Set or change the claimant's job-search regime (audited with the reason)",
)
def set_regime(
    claim_id: uuid.UUID,
    data: RegimeUpdate,
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> ObligationRead:
    """The new regime's periods count from `effective_from` (default today); the previous
    regime ends the day before. 422 naming the field; 409 on a closed case."""
    with container.uow() as uow:
        return service.set_regime(
            uow=uow,
            claim_id=claim_id,
            data=data,
            principal=principal,
            policy=_policy(container),
            today=local_today(),
        )


@router.get("/v1/tasks", response_model=Page[TaskRead], summary="Coach tasks in the caller's scope")
def list_tasks(
    task_status: Literal["open", "done", "cancelled", "all"] = Query("open", alias="status"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[TaskRead]:
    """A coach the tasks of the cases they hold or cover; a team lead their office's
    (including tasks of cases without a coach); an admin all. Earliest due first."""
    with container.uow() as uow:
        rows, total = service.list_tasks(
            uow=uow,
            principal=principal,
            status=None if task_status == "all" else task_status,
            today=local_today(),
            limit=page.limit,
            offset=page.offset,
        )
        items = [TaskRead.model_validate(r) for r in rows]
    return Page[TaskRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/v1/tasks/{task_id}/done", response_model=TaskRead, summary="Mark a coach task done")
def complete_task(
    task_id: uuid.UUID,
    data: TaskDone | None = Body(None),
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> TaskRead:
    """404 when the caller does not see the task's case; 409 when it is already done."""
    with container.uow() as uow:
        task = service.complete_task(
            uow=uow,
            task_id=task_id,
            principal=principal,
            note=data.note if data is not None else None,
            today=local_today(),
        )
        return TaskRead.model_validate(task)


@router.post(
    "/v1/admin/obligations/evaluate",
    response_model=EvaluationRunRead,
    summary="Evaluate the closed job-search periods of every open case (admin; a scheduler)",
)
def run_evaluation(
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: ServiceContainer = Depends(get_container),
) -> EvaluationRunRead:
    """Idempotent: each period is evaluated and published once. Call it daily."""
    settings = container.settings
    assert isinstance(settings, CoachingSettings)
    run = service.run_evaluation(
        uows=container.uow,
        policy=settings.obligation_policy(),
        today=local_today(),
        task_due_days=settings.obligation_task_due_days,
        chunk_size=settings.obligation_run_chunk_size,
        actor=principal.as_actor(),
    )
    return EvaluationRunRead(
        today=run.today,
        cases_examined=run.cases_examined,
        periods_evaluated=run.periods_evaluated,
        missed=run.missed,
        tasks_created=run.tasks_created,
    )
