"""Starters' scheduled job (`ww jobs starters-reminders`; the CronJob in
deploy/k8s/starters.yaml runs it daily): the same service call as the admin endpoint in
`starters.jobs_router`.

Sits above `starters.main` (it builds the service's container from `SPEC`); the service
modules are imported inside the command, so `ww --help` stays cheap.
"""

from __future__ import annotations

import typer

from shared.commands import console, job_container

app = typer.Typer(help="Starters' scheduled jobs.")


@app.command("starters-reminders")
def job_starters_reminders() -> None:
    """Starters: remind missing start-period income statements, once per month (daily)."""
    from shared.clock import local_today
    from starters.applications import service
    from starters.main import SPEC

    with job_container(SPEC) as container, container.uow() as uow:
        sent = service.remind_missing_statements(
            uow, today=local_today(), grace_days=container.settings.statement_grace_days
        )
    console.print(f"income statement reminders: {sent}")
