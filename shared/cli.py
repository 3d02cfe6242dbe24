"""The `ww` command line: run services, migrate, mint dev tokens, export the event catalogue."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from shared.mail.cli import app as mail_app
from shared.services import SERVICE_NAMES

if TYPE_CHECKING:
    from shared.db.audit import Actor
    from shared.runtime import ServiceContainer
    from shared.settings import ServiceSettings

app = typer.Typer(
    help="WW case handling: operations and development commands.", no_args_is_help=True
)
events_app = typer.Typer(help="The event catalogue.", no_args_is_help=True)
app.add_typer(events_app, name="events")
simulate_app = typer.Typer(help="Simulations for capacity planning.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")


jobs_app = typer.Typer(
    help="Scheduled jobs, run once against the service's database (for cron / CronJobs).",
    no_args_is_help=True,
)
app.add_typer(jobs_app, name="jobs")
app.add_typer(mail_app, name="mail")


def _job_container(service: str) -> ServiceContainer:
    from shared.messaging.embedded import EmbeddedBroker
    from shared.runtime import ServiceContainer
    from shared.services import load_spec

    spec = load_spec(service)
    # Events go to the outbox; the service's relay process publishes them.
    return ServiceContainer(spec, spec.settings_cls(), broker=EmbeddedBroker())


def _job_actor(job: str) -> Actor:
    from shared.db.audit import Actor

    return Actor(subject=f"job:{job}", kind="system", roles=("admin",))


@jobs_app.command("reminders")
def job_reminders() -> None:
    """Intake: emit the intake.reminder_due events due now (idempotent; every few minutes)."""
    from intake.appointments import service
    from shared.db.types import utcnow

    container = _job_container("intake")
    try:
        with container.uow() as uow:
            emitted = service.emit_due_reminders(uow=uow, now=utcnow())
    finally:
        container.stop()
    console.print(f"reminders emitted: {emitted}")


@jobs_app.command("planning")
def job_planning() -> None:
    """Intake: roll slot horizons forward and book the unplanned lists (idempotent)."""
    from intake.appointments import service
    from intake.settings import IntakeSettings
    from shared.db.types import utcnow
    from shared.reference import load_offices

    container = _job_container("intake")
    try:
        assert isinstance(container.settings, IntakeSettings)
        with container.uow() as uow:
            run = service.run_planning(
                uow=uow,
                offices=load_offices(),
                settings=container.settings,
                now=utcnow(),
                actor=_job_actor("planning"),
            )
    finally:
        container.stop()
    console.print(
        f"agendas extended: {run.agendas_extended}, slots until {run.slots_until}, "
        f"booked: {run.booked}, still unplanned: {run.still_unplanned}"
    )


@jobs_app.command("retriage")
def job_retriage() -> None:
    """Triage: re-triage the claims due after the configured time in WW (idempotent; daily)."""
    from shared.clock import local_today
    from shared.db.types import utcnow
    from triage.retriage import service
    from triage.settings import TriageSettings

    container = _job_container("triage")
    try:
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
                    actor=_job_actor("retriage"),
                    now=now,
                )
            total += run.rescored
            more = run.more and run.rescored > 0
    finally:
        container.stop()
    console.print(f"re-triaged: {total}")


@jobs_app.command("obligations")
def job_obligations() -> None:
    """Coaching: evaluate the closed job-search periods of every open case (idempotent; daily)."""
    from coaching.obligations import service
    from coaching.settings import CoachingSettings
    from shared.clock import local_today

    container = _job_container("coaching")
    try:
        settings = container.settings
        assert isinstance(settings, CoachingSettings)
        run = service.run_evaluation(
            uows=container.uow,
            policy=settings.obligation_policy(),
            today=local_today(),
            task_due_days=settings.obligation_task_due_days,
            chunk_size=settings.obligation_run_chunk_size,
            actor=_job_actor("obligations"),
        )
    finally:
        container.stop()
    console.print(
        f"cases examined: {run.cases_examined}, periods evaluated: {run.periods_evaluated}, "
        f"missed: {run.missed}, tasks created: {run.tasks_created}"
    )


@jobs_app.command("webhooks")
def job_webhooks(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="deliveries per run")] = 500,
) -> None:
    """Coaching: send the partner webhook deliveries due now, with retries (every minute)."""
    from coaching.partner.webhooks import service

    container = _job_container("coaching")
    try:
        run = service.deliver_due(
            container.uow,
            limit=limit,
            allow_local_http=container.settings.environment != "prod",
            registry=container.metrics.registry,
        )
    finally:
        container.stop()
    # failed: ended undelivered (given up, or bounced because the endpoint was removed).
    console.print(
        f"webhooks attempted: {run.attempted}, delivered: {run.delivered}, "
        f"retrying: {run.retrying}, failed: {run.failed + run.bounced}"
    )


@jobs_app.command("messages")
def job_messages(
    loop: Annotated[
        bool, typer.Option(help="keep sending every messages_poll_interval_s until stopped")
    ] = False,
) -> None:
    """Intake: send the messages to claimants that are due (e-mail, SMS, letters to the print
    spool), with retries and backoff. Once (a CronJob every minute) or as a loop."""
    import threading

    from intake.messages.runtime import channels_of, sender_loop
    from intake.messages.sending import send_due

    container = _job_container("intake")
    try:
        if loop:
            stop = threading.Event()
            import signal

            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            sender_loop(container, stop)
            return
        run = send_due(container.uow, channels_of(container))
    finally:
        container.stop()
    console.print(
        f"messages attempted: {run.attempted}, sent: {run.sent}, retrying: {run.retrying}, "
        f"bounced: {run.bounced}, failed: {run.failed}, suppressed: {run.suppressed}, "
        f"recovered: {run.recovered}, unconfirmed: {run.unconfirmed}"
    )


@jobs_app.command("print-batch")
def job_print_batch() -> None:
    """Intake: join today's spooled letters into one print batch PDF (daily, after the last
    sender run of the day)."""
    from intake.messages import service
    from intake.messages.runtime import channels_of
    from shared.db.types import utcnow

    container = _job_container("intake")
    try:
        with container.uow() as uow:
            batch = service.run_print_batch(
                uow=uow, letter_dir=channels_of(container).letter_dir, now=utcnow()
            )
    finally:
        container.stop()
    if batch is None:
        console.print("no letters to print")
    else:
        console.print(f"print batch: {batch.path} ({batch.letters} letters, {batch.pages} pages)")


@jobs_app.command("starters-reminders")
def job_starters_reminders() -> None:
    """Starters: remind missing start-period income statements, once per month (daily)."""
    from starters.jobs import run_reminders

    container = _job_container("starters")
    try:
        sent = run_reminders(container)
    finally:
        container.stop()
    console.print(f"income statement reminders: {sent}")


def _add_service_commands() -> None:
    # Service command groups register lazily-importing commands; the import of the group
    # itself is cheap (heavy libraries are imported inside the commands).
    from triage.cli import app as triage_app

    app.add_typer(triage_app, name="triage")


_add_service_commands()
console = Console(stderr=True)

ServiceArg = Annotated[str, typer.Argument(help=f"one of: {', '.join(SERVICE_NAMES)}")]


def _check(name: str) -> str:
    if name not in SERVICE_NAMES:
        raise typer.BadParameter(f"choose one of {', '.join(SERVICE_NAMES)}")
    return name


@app.command()
def serve(service: ServiceArg) -> None:
    """Run a service's HTTP API only (relay and consumer run as their own processes)."""
    from shared.runner import run_service

    run_service(_check(service), api=True, relay=False, consumer=False)


@app.command()
def relay(service: ServiceArg) -> None:
    """Run a service's outbox relay (Kafka transport)."""
    from shared.runner import run_service

    run_service(_check(service), api=False, relay=True, consumer=False)


@app.command()
def consume(service: ServiceArg) -> None:
    """Run a service's event consumer (Kafka transport)."""
    from shared.runner import run_service

    run_service(_check(service), api=False, relay=False, consumer=True)


@app.command()
def run(service: ServiceArg) -> None:
    """Run API, relay and consumer of one service in one process."""
    from shared.runner import run_service

    run_service(_check(service), api=True, relay=True, consumer=True)


@app.command()
def embedded(demo: Annotated[bool, typer.Option(help="load demo data")] = True) -> None:
    """Run all four services in one process: SQLite, in-process events (what `make run` does)."""
    from shared.runner import run_embedded

    run_embedded(demo=demo)


@app.command()
def web() -> None:
    """Run the web front end (WEB_* settings; the services at WEB_<SERVICE>_URL)."""
    from web.runner import run_web

    run_web()


@app.command()
def migrate(
    service: Annotated[str, typer.Argument(help="a service name or 'all'")] = "all",
) -> None:
    """Apply database migrations."""
    from shared.db.migrate import upgrade
    from shared.services import load_spec

    names = SERVICE_NAMES if service == "all" else (_check(service),)
    for name in names:
        spec = load_spec(name)
        settings = spec.settings_cls()
        assert settings.database_url is not None
        upgrade(settings.database_url, spec.migrations_dir, name)
        console.print(f"[green]migrated[/green] {name}")


@app.command()
def token(
    role: Annotated[list[str], typer.Option("--role", help="role(s) for a person's token")] = [],  # noqa: B006
    sub: Annotated[
        str, typer.Option(help="subject: user id (for coaches: the coach id)")
    ] = "dev-user",
    office: Annotated[str | None, typer.Option(help="office code (team leads)")] = None,
    client_id: Annotated[str | None, typer.Option(help="partner application: client id")] = None,
    scope: Annotated[list[str], typer.Option("--scope", help="partner scopes")] = [],  # noqa: B006
    ttl_minutes: Annotated[int, typer.Option(min=1, max=24 * 60)] = 480,
    bsn: Annotated[
        str | None,
        typer.Option(
            help="claimants: the BSN of the sign-in (DigiD), put in the token's `bsn` claim; "
            "a claimant registers only this BSN"
        ),
    ] = None,
) -> None:
    """Mint a dev token signed with the local key (embedded and dev modes only).

    If a system answers on the intake port and verifies with another key, a warning on
    stderr says so: the token was minted from another state dir and would be refused."""
    from shared.devkeys import key_id, load_or_create_local_key, mint_token
    from shared.roles import Role
    from shared.settings import ServiceSettings

    settings = ServiceSettings()
    if settings.auth_mode != "local":
        raise typer.BadParameter("tokens can only be minted with auth_mode=local")
    valid = {r.value for r in Role}
    for r in role:
        if r not in valid:
            raise typer.BadParameter(f"unknown role {r!r}; valid: {', '.join(sorted(valid))}")
    if not role and not client_id:
        raise typer.BadParameter(
            "give --role (a person) or --client-id with --scope (a partner application)"
        )
    if bsn is not None:
        from shared.bsn import InvalidBSNError, normalize_bsn

        if "claimant" not in role:
            raise typer.BadParameter("--bsn is for claimant tokens (--role claimant)")
        try:
            bsn = normalize_bsn(bsn)
        except InvalidBSNError:
            # The value itself is never echoed: it may be someone's BSN.
            raise typer.BadParameter("--bsn is not a valid BSN (9 digits, 11-proef)") from None
    assert settings.auth_local_key_file is not None
    key = load_or_create_local_key(settings.auth_local_key_file)
    typer.echo(
        mint_token(
            key,
            subject=client_id or sub,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            roles=role,
            scopes=scope,
            office=office,
            client_id=client_id,
            ttl=dt.timedelta(minutes=ttl_minutes),
            bsn=bsn,
        )
    )
    warning = state_dir_mismatch(key_id(key.public_key()), settings)
    if warning:
        typer.echo(warning, err=True)


def state_dir_mismatch(our_key_id: str, settings: ServiceSettings) -> str | None:
    """A warning when the system on the intake port verifies with another local key.

    Asks `/health` on 127.0.0.1 with a short timeout; nothing running (or a production
    system, which shows no local key) is no warning."""
    import json
    import os
    import urllib.request

    port = int(os.environ.get("INTAKE_PORT", "8001"))
    url = f"http://127.0.0.1:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=0.3) as response:  # loopback only
            theirs = json.loads(response.read()).get("local_key_id")
    except (OSError, ValueError):
        return None
    if theirs is None or theirs == our_key_id:
        return None
    return (
        f"warning: the system running at {url} verifies tokens with another key "
        f"({theirs}, this state dir's is {our_key_id}): it was started with another state "
        f"dir than {settings.state_dir} (WW_STATE_DIR), so it will refuse this token (401). "
        "Run `ww token` with the same WW_STATE_DIR as `make run`."
    )


@events_app.command("asyncapi")
def events_asyncapi(
    check: Annotated[bool, typer.Option(help="fail if the checked-in documents are stale")] = False,
    out: Annotated[Path, typer.Option(help="AsyncAPI document path")] = Path("docs/asyncapi.yaml"),
    schemas_dir: Annotated[Path, typer.Option(help="JSON Schema directory")] = Path("docs/events"),
) -> None:
    """Generate docs/asyncapi.yaml and docs/events/*.json from the pydantic models."""
    import tempfile

    from shared.events.asyncapi import render_asyncapi, write_json_schemas

    document = render_asyncapi()
    if check:
        stale = not out.exists() or out.read_text() != document
        with tempfile.TemporaryDirectory() as tmp:
            fresh = {p.name: p.read_text() for p in write_json_schemas(Path(tmp))}
            current = (
                {p.name: p.read_text() for p in schemas_dir.glob("*.json")}
                if schemas_dir.exists()
                else {}
            )
            stale = stale or fresh != current
        if stale:
            console.print("[red]stale[/red]: run `ww events asyncapi`")
            raise typer.Exit(1)
        console.print("[green]up to date[/green]")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document)
    for old in schemas_dir.glob("*.json") if schemas_dir.exists() else []:
        old.unlink()
    written = write_json_schemas(schemas_dir)
    console.print(f"wrote {out} and {len(written)} JSON Schemas in {schemas_dir}")


def render_openapi(service: str) -> str:
    """The OpenAPI document of one service, as stable, pretty JSON."""
    import json
    import tempfile

    from shared.messaging.embedded import EmbeddedBroker
    from shared.runtime import ServiceContainer
    from shared.services import load_spec
    from shared.web.app import build_app

    spec = load_spec(service)
    with tempfile.TemporaryDirectory() as tmp:
        settings = spec.settings_cls(state_dir=Path(tmp), transport="embedded")
        container = ServiceContainer(spec, settings, broker=EmbeddedBroker())
        try:
            document = build_app(container, manage_lifecycle=False).openapi()
        finally:
            container.engine.dispose()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


@app.command()
def openapi(
    check: Annotated[bool, typer.Option(help="fail if docs/api is stale")] = False,
    out_dir: Annotated[Path, typer.Option(help="output directory")] = Path("docs/api"),
) -> None:
    """Write each service's OpenAPI document to docs/api/<service>.openapi.json."""
    stale = []
    for name in SERVICE_NAMES:
        path = out_dir / f"{name}.openapi.json"
        document = render_openapi(name)
        if check:
            if not path.exists() or path.read_text() != document:
                stale.append(str(path))
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(document)
        console.print(f"wrote {path}")
    if stale:
        console.print(f"[red]stale[/red]: {', '.join(stale)}; run `ww openapi`")
        raise typer.Exit(1)


class InflowWeights(enum.StrEnum):
    """How registrations are spread over offices."""

    uniform = "uniform"
    postcodes = "postcodes"


class ArrivalModel(enum.StrEnum):
    """How many registrations a working day brings."""

    poisson = "poisson"
    fixed = "fixed"


@simulate_app.command("intake")
def simulate_intake(
    days: Annotated[int, typer.Option(min=1, max=260, help="working days of registrations")] = 20,
    inflow: Annotated[float, typer.Option(min=0, help="registrations per working day")] = 500,
    coaches: Annotated[int, typer.Option(min=0, help="coaches holding intakes")] = 40,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same run")] = 1,
    start_date: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="first day (default: next Monday)"),
    ] = None,
    no_show_rate: Annotated[
        float, typer.Option(min=0, max=1, help="share of appointments not attended")
    ] = 0.0,
    part_time: Annotated[
        float, typer.Option(min=0, max=1, help="share of coaches working 3 days a week")
    ] = 0.25,
    offices: Annotated[
        int | None, typer.Option(min=1, help="simulate only the first N offices (by code)")
    ] = None,
    weights: Annotated[
        InflowWeights, typer.Option(help="inflow per office: equal, or by postcodes served")
    ] = InflowWeights.uniform,
    arrivals: Annotated[
        ArrivalModel, typer.Option(help="registrations per day: Poisson or exactly the inflow")
    ] = ArrivalModel.poisson,
    drain_days: Annotated[
        int, typer.Option(min=1, max=260, help="working days followed after the last arrivals")
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
    progress: Annotated[bool, typer.Option(help="show a progress bar on stderr")] = True,
) -> None:
    """Run registrations against coach agendas; print the week-one share, shortfalls and
    coach utilisation (same rules as the intake service, in memory; see docs/simulation.md)."""
    from rich.console import Console as RichConsole

    # Imported here, like the services behind the other commands: shared never imports a
    # service at import time.
    from intake.simulation import SimulationConfig, report, simulate

    try:
        config = SimulationConfig(
            days=days,
            inflow=inflow,
            coaches=coaches,
            seed=seed,
            start=start_date.date() if start_date else None,
            no_show_rate=no_show_rate,
            part_time_share=part_time,
            office_limit=offices,
            weighting=weights.value,
            arrivals=arrivals.value,
            drain_days=drain_days,
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    with report.progress(console, enabled=progress) as on_day:
        try:
            result = simulate(config, on_day=on_day)
        except ValueError as e:  # a date outside the calendar's years
            raise typer.BadParameter(str(e)) from None
    if as_json:
        typer.echo(report.to_json(result))
        return
    report.render(result, RichConsole())


if __name__ == "__main__":
    app()
