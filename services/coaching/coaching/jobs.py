"""Coaching's scheduled jobs (`ww jobs obligations|webhooks`; the CronJobs in
deploy/k8s/coaching.yaml run them).

Sits above `coaching.main` (it builds the service's container from `SPEC`); the service
modules are imported inside the commands, so `ww --help` stays cheap.
"""

from __future__ import annotations

from typing import Annotated

import typer

from shared.commands import console, job_actor, job_container

app = typer.Typer(help="Coaching's scheduled jobs.")


@app.command("obligations")
def job_obligations() -> None:
    """Coaching: evaluate the closed job-search periods of every open case (idempotent; daily)."""
    from coaching.main import SPEC
    from coaching.obligations import service
    from coaching.settings import CoachingSettings
    from shared.clock import local_today

    with job_container(SPEC) as container:
        settings = container.settings
        assert isinstance(settings, CoachingSettings)
        run = service.run_evaluation(
            uows=container.uow,
            policy=settings.obligation_policy(),
            today=local_today(),
            task_due_days=settings.obligation_task_due_days,
            chunk_size=settings.obligation_run_chunk_size,
            actor=job_actor("obligations"),
        )
    console.print(
        f"cases examined: {run.cases_examined}, periods evaluated: {run.periods_evaluated}, "
        f"missed: {run.missed}, tasks created: {run.tasks_created}"
    )


@app.command("webhooks")
def job_webhooks(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="deliveries per run")] = 500,
) -> None:
    """Coaching: send the partner webhook deliveries due now, with retries (every minute)."""
    from coaching.main import SPEC
    from coaching.partner.webhooks import service

    with job_container(SPEC) as container:
        run = service.deliver_due(
            container.uow,
            limit=limit,
            allow_local_http=container.settings.environment != "prod",
            registry=container.metrics.registry,
        )
    # failed: ended undelivered (given up, or bounced because the endpoint was removed).
    console.print(
        f"webhooks attempted: {run.attempted}, delivered: {run.delivered}, "
        f"retrying: {run.retrying}, failed: {run.failed + run.bounced}"
    )
