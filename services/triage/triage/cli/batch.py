"""`ww triage score-all`: re-score the running stock with the active model, resumable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from shared.runtime import ServiceContainer
    from triage.scoring.model import ModelFile
    from triage.settings import TriageSettings


def register(app: typer.Typer) -> None:
    """Add the batch commands to `ww triage`."""
    app.command("score-all")(score_all)


def score_all(
    resume: Annotated[bool, typer.Option("--resume", help="continue the unfinished run")] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="abandon an unfinished run and start over")
    ] = False,
    chunk_size: Annotated[
        int | None,
        typer.Option(min=1, max=100_000, help="claims per transaction (default: setting)"),
    ] = None,
    max_chunks: Annotated[
        int | None, typer.Option(min=1, help="stop after this many chunks (resume later)")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar on stderr")] = True,
) -> None:
    """Re-score every open claim that has a complete questionnaire with the active model.

    One transaction per chunk (scores, triage.scored events with trigger `batch`, and the
    run's cursor), so an interrupted run continues with --resume where it stopped.
    """
    from rich.console import Console

    from triage.batch import vectorised
    from triage.cli.support import cli_container

    console = Console(stderr=True)
    if resume and restart:
        raise typer.BadParameter("give --resume or --restart, not both")
    with cli_container() as container:
        run = _open_run(container, console, resume=resume, restart=restart, chunk_size=chunk_size)
        path = "NumPy" if vectorised.numpy_available() else "pure Python"
        console.print(
            f"run {run.run_id}: model {run.model.version}, {run.total} open claims ({path})"
        )
        finished, scored, skipped = _score_chunks(
            container, console, run, max_chunks=max_chunks, progress=progress
        )
    state = "finished" if finished else "paused (continue with --resume)"
    console.print(
        f"[green]{state}[/green]: {scored} re-scored, {skipped} skipped "
        "(no complete questionnaire) in this session"
    )


@dataclass(frozen=True)
class _Run:
    """The batch run this session works on."""

    run_id: uuid.UUID
    total: int
    done_before: int
    model: ModelFile


def _open_run(
    container: ServiceContainer[TriageSettings],
    console: Console,
    *,
    resume: bool,
    restart: bool,
    chunk_size: int | None,
) -> _Run:
    """Resume the unfinished run or start one (exit 1 on a refusal, e.g. no active model)."""
    from shared.db.types import utcnow
    from shared.web.problems import Problem
    from triage.batch import service
    from triage.cli.support import cli_actor

    try:
        with container.uow() as uow:
            if resume:
                run = service.resume(uow=uow)
            else:
                run = service.start(
                    uow=uow,
                    chunk_size=chunk_size or container.settings.batch_chunk_size,
                    actor=cli_actor(),
                    restart=restart,
                    now=utcnow(),
                )
            model = service.model_of(uow=uow, run=run)
            return _Run(run.id, run.total, run.scored + run.skipped, model)
    except Problem as exc:
        console.print(f"[red]{exc.title}[/red]: {exc.detail}")
        raise typer.Exit(1) from None


def _score_chunks(
    container: ServiceContainer[TriageSettings],
    console: Console,
    run: _Run,
    *,
    max_chunks: int | None,
    progress: bool,
) -> tuple[bool, int, int]:
    """Score chunk after chunk, one transaction each: (finished, scored, skipped)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from triage.batch import service

    chunks = scored = skipped = 0
    with Progress(
        TextColumn("[bold]score-all"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not progress,
    ) as bar:
        task = bar.add_task(
            "claims", total=max(run.total, run.done_before), completed=run.done_before
        )
        while max_chunks is None or chunks < max_chunks:
            with container.uow() as uow:
                result = service.score_chunk(uow=uow, run_id=run.run_id, model=run.model)
            if result.done:
                return True, scored, skipped
            chunks += 1
            scored += result.scored
            skipped += result.skipped
            bar.advance(task, result.claims)
    return False, scored, skipped
