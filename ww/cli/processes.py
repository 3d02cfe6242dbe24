"""`ww serve|relay|consume|run|embedded|web|migrate`: the processes of the system."""

from __future__ import annotations

from typing import Annotated

import typer

from shared.commands import console
from ww.registry import SERVICE_NAMES

app = typer.Typer()

ServiceArg = Annotated[str, typer.Argument(help=f"one of: {', '.join(SERVICE_NAMES)}")]


def _check(name: str) -> str:
    if name not in SERVICE_NAMES:
        raise typer.BadParameter(f"choose one of {', '.join(SERVICE_NAMES)}")
    return name


@app.command()
def serve(service: ServiceArg) -> None:
    """Run a service's HTTP API only (relay and consumer run as their own processes)."""
    from ww.runner import run_service

    run_service(_check(service), api=True, relay=False, consumer=False)


@app.command()
def relay(service: ServiceArg) -> None:
    """Run a service's outbox relay (Kafka transport)."""
    from ww.runner import run_service

    run_service(_check(service), api=False, relay=True, consumer=False)


@app.command()
def consume(service: ServiceArg) -> None:
    """Run a service's event consumer (Kafka transport)."""
    from ww.runner import run_service

    run_service(_check(service), api=False, relay=False, consumer=True)


@app.command()
def run(service: ServiceArg) -> None:
    """Run API, relay and consumer of one service in one process."""
    from ww.runner import run_service

    run_service(_check(service), api=True, relay=True, consumer=True)


@app.command()
def embedded(demo: Annotated[bool, typer.Option(help="load demo data")] = True) -> None:
    """Run all four services in one process: SQLite, in-process events (what `make run` does)."""
    from ww.runner import run_embedded

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
    from ww.registry import load_spec

    names = SERVICE_NAMES if service == "all" else (_check(service),)
    for name in names:
        spec = load_spec(name)
        settings = spec.settings_cls()
        assert settings.database_url is not None
        upgrade(settings.database_url, spec.migrations_dir, name)
        console.print(f"[green]migrated[/green] {name}")
