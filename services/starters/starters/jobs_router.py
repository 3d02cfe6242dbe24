"""Scheduled work of the starters service as an admin endpoint (a scheduler calls it;
`ww jobs starters-reminders`, in `starters.jobs`, runs the same work from a CronJob)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES
from starters.applications import service
from starters.settings import StartersSettings

router = APIRouter(tags=["jobs"], responses=PROBLEM_RESPONSES)


class ReminderRun(BaseModel):
    """How many reminders were published."""

    reminders: int


def run_reminders(container: ServiceContainer) -> int:
    """Remind every missing start-period statement once (idempotent per month)."""
    settings = container.settings
    grace = settings.statement_grace_days if isinstance(settings, StartersSettings) else 14
    with container.uow() as uow:
        return service.remind_missing_statements(uow, today=local_today(), grace_days=grace)


@router.post(
    "/v1/admin/starters/reminders/run",
    response_model=ReminderRun,
    summary="Publish reminders for missing income statements (admin; a scheduler)",
)
def reminders(
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: ServiceContainer = Depends(get_container),
) -> ReminderRun:
    """`starters.income_statement_missing` once per start-period month whose statement is
    more than STARTERS_STATEMENT_GRACE_DAYS past the month's end."""
    return ReminderRun(reminders=run_reminders(container))
