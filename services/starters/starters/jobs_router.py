"""Scheduled work of the starters service as an admin endpoint (a scheduler calls it;
`ww jobs starters-reminders`, in `starters.jobs`, runs the same service call from a CronJob)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES
from starters.applications import service
from starters.applications.schemas import ReminderRun
from starters.deps import Container, Settings, Today

router = APIRouter(tags=["jobs"], responses=PROBLEM_RESPONSES)


@router.post(
    "/v1/admin/starters/reminders/run",
    response_model=ReminderRun,
    summary="Publish reminders for missing income statements (admin; a scheduler)",
)
def reminders(
    container: Container,
    settings: Settings,
    today: Today,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
) -> ReminderRun:
    """`starters.income_statement_missing` once per start-period month whose statement is
    more than STARTERS_STATEMENT_GRACE_DAYS past the month's end."""
    with container.uow() as uow:
        sent = service.remind_missing_statements(
            uow, today=today, grace_days=settings.statement_grace_days
        )
    return ReminderRun(reminders=sent)
