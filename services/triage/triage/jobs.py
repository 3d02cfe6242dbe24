"""Triage's scheduled job (`ww jobs retriage`; a CronJob runs it daily).

Sits above `triage.main` (it builds the service's container from `SPEC`); the service
modules are imported inside the command, so `ww --help` stays cheap.
"""

from __future__ import annotations

import typer

from shared.commands import console, job_actor, job_container

app = typer.Typer(help="Triage's scheduled jobs.")


@app.command("retriage")
def job_retriage() -> None:
    """Triage: re-triage the claims due after the configured time in WW (idempotent; daily)."""
    from shared.clock import local_today
    from shared.db.types import utcnow
    from triage.main import SPEC
    from triage.retriage import service
    from triage.settings import TriageSettings

    with job_container(SPEC) as container:
        settings = container.settings
        assert isinstance(settings, TriageSettings)
        more, total = True, 0
        while more:
            now = utcnow()
            with container.uow() as uow:
                run = service.run_time_retriage(
                    uow=uow,
                    today=local_today(now),
                    weeks=settings.retriage_after_weeks,
                    limit=settings.retriage_run_limit,
                    threshold=settings.segment_threshold,
                    actor=job_actor("retriage"),
                    now=now,
                )
            total += run.rescored
            more = run.more and run.rescored > 0
    console.print(f"re-triaged: {total}")
