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
    from shared.db.types import utcnow
    from triage.main import SPEC
    from triage.retriage import service

    with job_container(SPEC) as container:
        more, total = True, 0
        while more:
            with container.uow() as uow:
                run = service.run_due(
                    uow=uow, settings=container.settings, actor=job_actor("retriage"), now=utcnow()
                )
            total += run.rescored
            more = run.more and run.rescored > 0
    console.print(f"re-triaged: {total}")
