"""`ww triage score-all`: re-score the running stock with the active model, resumable."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the batch commands to `ww triage`."""

    @app.command("score-all")
    def score_all(
        resume: Annotated[
            bool, typer.Option("--resume", help="continue the unfinished run")
        ] = False,
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
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from shared.db.types import utcnow
        from shared.web.problems import Problem
        from triage.batch import service, vectorised
        from triage.cli_support import cli_actor, cli_container
        from triage.settings import TriageSettings

        console = Console(stderr=True)
        if resume and restart:
            raise typer.BadParameter("give --resume or --restart, not both")
        with cli_container() as container:
            settings = container.settings
            assert isinstance(settings, TriageSettings)
            try:
                with container.uow() as uow:
                    if resume:
                        run = service.resume(uow=uow)
                    else:
                        run = service.start(
                            uow=uow,
                            chunk_size=chunk_size or settings.batch_chunk_size,
                            actor=cli_actor(),
                            restart=restart,
                            now=utcnow(),
                        )
                    model = service.model_of(uow=uow, run=run)
                    run_id, total, done_before = run.id, run.total, run.scored + run.skipped
            except Problem as exc:
                console.print(f"[red]{exc.title}[/red]: {exc.detail}")
                raise typer.Exit(1) from None
            path = "NumPy" if vectorised.numpy_available() else "pure Python"
            console.print(f"run {run_id}: model {model.version}, {total} open claims ({path})")
            chunks = scored = skipped = 0
            finished = False
            with Progress(
                TextColumn("[bold]score-all"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                disable=not progress,
            ) as bar:
                task = bar.add_task("claims", total=max(total, done_before), completed=done_before)
                while max_chunks is None or chunks < max_chunks:
                    with container.uow() as uow:
                        result = service.score_chunk(uow=uow, run_id=run_id, model=model)
                    if result.done:
                        finished = True
                        break
                    chunks += 1
                    scored += result.scored
                    skipped += result.skipped
                    bar.advance(task, result.claims)
            state = "finished" if finished else "paused (continue with --resume)"
            console.print(
                f"[green]{state}[/green]: {scored} re-scored, {skipped} skipped "
                "(no complete questionnaire) in this session"
            )
