"""`ww triage activate` and `ww triage import`: the model registry from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the registry commands to `ww triage`."""
    app.command("activate")(activate)
    app.command("import")(import_model)


def activate(
    version: Annotated[str, typer.Argument(help="a registered model version")],
    reason: Annotated[str, typer.Option("--reason", help="why (audited); mandatory")],
) -> None:
    """Make a registered model version the active one (audited as the CLI user)."""
    from pydantic import ValidationError
    from rich.console import Console

    from shared.db.types import utcnow
    from shared.web.problems import Problem
    from triage.cli.support import cli_actor, cli_container
    from triage.registry import service
    from triage.registry.schemas import ActivationCreate

    console = Console(stderr=True)
    try:
        checked = ActivationCreate(reason=reason)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint="--reason") from None
    with cli_container() as container, container.uow() as uow:
        try:
            row = service.activate(
                uow=uow, version=version, reason=checked.reason, actor=cli_actor(), now=utcnow()
            )
        except Problem as exc:
            console.print(f"[red]{exc.title}[/red]: {exc.detail}")
            raise typer.Exit(1) from None
    console.print(f"[green]active[/green] {row.version}")


def import_model(
    model_file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="a model file (JSON)")
    ],
) -> None:
    """Register a fitted model file (not active until `ww triage activate`)."""
    from rich.console import Console

    from shared.db.types import utcnow
    from shared.web.problems import Problem
    from triage.cli.support import cli_actor, cli_container
    from triage.registry import service

    console = Console(stderr=True)
    try:
        data = json.loads(model_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"not a JSON file: {exc}", param_hint="MODEL_FILE") from None
    with cli_container() as container, container.uow() as uow:
        try:
            row = service.register_model(uow=uow, data=data, actor=cli_actor(), now=utcnow())
        except Problem as exc:
            console.print(f"[red]{exc.title}[/red]: {exc.detail}")
            for err in exc.extra.get("errors", []):
                console.print(f"  {err['field']}: {err['message']}")
            raise typer.Exit(1) from None
    console.print(f"[green]registered[/green] {row.version} (checksum {row.checksum[:12]})")
