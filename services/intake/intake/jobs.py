"""Intake's scheduled jobs (`ww jobs reminders|planning|messages|print-batch`; the CronJobs in
deploy/k8s/intake.yaml run them). Each runs once against intake's database, or as a loop.

Sits above `intake.main` (it builds the service's container from `SPEC`); the service
modules are imported inside the commands, so `ww --help` stays cheap.
"""

from __future__ import annotations

from typing import Annotated

import typer

from shared.commands import console, job_actor, job_container

app = typer.Typer(help="Intake's scheduled jobs.")


@app.command("reminders")
def job_reminders() -> None:
    """Intake: emit the intake.reminder_due events due now (idempotent; every few minutes)."""
    from intake.appointments import reminders as service
    from intake.main import SPEC
    from shared.db.types import utcnow

    with job_container(SPEC) as container, container.uow() as uow:
        emitted = service.emit_due_reminders(uow=uow, now=utcnow())
    console.print(f"reminders emitted: {emitted}")


@app.command("planning")
def job_planning() -> None:
    """Intake: roll slot horizons forward and book the unplanned lists (idempotent)."""
    from intake.appointments import runs as service
    from intake.main import SPEC
    from intake.settings import IntakeSettings
    from shared.db.types import utcnow
    from shared.reference import load_offices

    with job_container(SPEC) as container:
        assert isinstance(container.settings, IntakeSettings)
        with container.uow() as uow:
            run = service.run_planning(
                uow=uow,
                offices=load_offices(),
                settings=container.settings,
                now=utcnow(),
                actor=job_actor("planning"),
            )
    console.print(
        f"agendas extended: {run.agendas_extended}, slots until {run.slots_until}, "
        f"booked: {run.booked}, still unplanned: {run.still_unplanned}"
    )


@app.command("messages")
def job_messages(
    loop: Annotated[
        bool, typer.Option(help="keep sending every messages_poll_interval_s until stopped")
    ] = False,
) -> None:
    """Intake: send the messages to claimants that are due (e-mail, SMS, letters to the print
    spool), with retries and backoff. Once (a CronJob every minute) or as a loop."""
    import signal
    import threading

    from intake.main import SPEC
    from intake.messages.runtime import channels_of, sender_loop
    from intake.messages.sending import send_due

    with job_container(SPEC) as container:
        if loop:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            sender_loop(container, stop)
            return
        run = send_due(container.uow, channels_of(container))
    console.print(
        f"messages attempted: {run.attempted}, sent: {run.sent}, retrying: {run.retrying}, "
        f"bounced: {run.bounced}, failed: {run.failed}, suppressed: {run.suppressed}, "
        f"recovered: {run.recovered}, unconfirmed: {run.unconfirmed}"
    )


@app.command("print-batch")
def job_print_batch() -> None:
    """Intake: join today's spooled letters into one print batch PDF (daily, after the last
    sender run of the day)."""
    from intake.main import SPEC
    from intake.messages import service
    from intake.messages.runtime import channels_of
    from shared.db.types import utcnow

    with job_container(SPEC) as container, container.uow() as uow:
        batch = service.run_print_batch(
            uow=uow, letter_dir=channels_of(container).letter_dir, now=utcnow()
        )
    if batch is None:
        console.print("no letters to print")
    else:
        console.print(f"print batch: {batch.path} ({batch.letters} letters, {batch.pages} pages)")
