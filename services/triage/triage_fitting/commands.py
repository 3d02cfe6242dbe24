"""`ww triage synth | fit | report`: synthetic outcomes, fitting a new version, the fairness report.

numpy and scikit-learn (and the modules of this package that use them) are imported inside
the commands, so `ww` starts without them. None of these commands activates a model:
that is `ww triage activate`, an audited admin action.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from triage.scoring.model import ModelFile
    from triage_fitting.data import Progress
    from triage_fitting.fit import FitResult


def register(app: typer.Typer) -> None:
    """Add the fitting commands to the `ww triage` group."""
    app.command("synth")(synth)
    app.command("fit")(fit)
    app.command("report")(report)


def _consoles() -> tuple[Console, Console]:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped or redirected: do not squeeze the tables into 80 columns
        console = Console(width=160)
    return console, Console(stderr=True)


@contextmanager
def _progress(console: Console) -> Iterator[Progress]:
    """A rich progress display; yields `progress(description, total) -> advance(k)`."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    with RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:

        def start(description: str, total: int | None) -> Callable[[int], None]:
            task = bar.add_task(description, total=total)

            def advance(k: int) -> None:
                if total is None:
                    bar.update(task, total=1, completed=1)
                else:
                    bar.advance(task, k)

            return advance

        yield start


def _fail(err: Console, message: str) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code=1)


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _describe(csv_path: Path, sha: str) -> str:
    """The data description for a model card: the synth settings when the CSV is synthetic."""
    from triage_fitting.synth import read_meta

    meta = read_meta(csv_path)
    if meta is not None:
        return (
            f"Synthetic claimants from `ww triage synth` ({csv_path.name}: n={meta['n']}, "
            f"seed {meta['seed']}, scenario '{meta['scenario']}', outcomes drawn from "
            f"{meta['true_model']}); not real outcome data"
        )
    return f"Outcome data {csv_path.name} (sha256 {sha[:12]})"


def synth(
    n: Annotated[int, typer.Option("--n", min=1, help="number of claimants")] = 100_000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same CSV)")] = 1,
    out: Annotated[Path, typer.Option(help="CSV to write")] = Path("outcomes.csv"),
    model: Annotated[
        str, typer.Option(help="true model the outcomes are drawn from (version or file)")
    ] = "werkverkenner-2026.1",
    scenario: Annotated[
        str,
        typer.Option(
            help="model: outcomes from the model alone; regional: plus a hidden regional effect"
        ),
    ] = "model",
) -> None:
    """Generate synthetic claimants with outcomes drawn from a known model."""
    from triage_fitting import synth as synthetic
    from triage_fitting.data import DataError, resolve_model

    console, err = _consoles()
    if scenario not in synthetic.SCENARIOS:
        raise _fail(err, f"unknown scenario {scenario!r}; choose {', '.join(synthetic.SCENARIOS)}")
    try:
        true_model = resolve_model(model)
    except DataError as exc:
        raise _fail(err, str(exc)) from exc
    with _progress(err) as progress:
        rows = synthetic.generate(
            n, seed=seed, true_model=true_model, scenario=scenario, progress=progress
        )
        done = progress(f"writing {out}", None)
        out.parent.mkdir(parents=True, exist_ok=True)
        meta_path = synthetic.write(out, rows, seed=seed, scenario=scenario, true_model=true_model)
        done(1)
    found = sum(int(str(r["found_work_12m"])) for r in rows)
    console.print(
        f"Wrote {n} synthetic claimants to {out} (description: {meta_path}); "
        f"found work within 12 months: {found / n:.3f}; true model {true_model.version}, "
        f"scenario {scenario}, seed {seed}."
    )


def fit(
    outcomes: Annotated[Path, typer.Argument(help="outcomes CSV (see docs/triage-model.md)")],
    version: Annotated[str, typer.Option(help="version of the new model file")],
    out_dir: Annotated[Path, typer.Option(help="directory for the model file and report")],
    base: Annotated[
        str, typer.Option(help="base model (version or file): encoding and comparison")
    ] = "werkverkenner-2026.1",
    seed: Annotated[int, typer.Option(help="seed of the train/held-out split")] = 1,
    test_fraction: Annotated[
        float, typer.Option(min=0.05, max=0.5, help="share held out for the metrics")
    ] = 0.2,
    penalty_c: Annotated[
        float | None,
        typer.Option(min=1e-6, help="weak L2 penalty (scikit-learn C); default: none"),
    ] = None,
    data_description: Annotated[
        str | None, typer.Option(help="what the data is, for the model card")
    ] = None,
    min_group_size: Annotated[
        int, typer.Option(min=1, help="smallest group compared in the fairness report")
    ] = 100,
    overwrite: Annotated[bool, typer.Option(help="replace existing output files")] = False,
) -> None:
    """Fit a new model version on outcome data; write the model file and the fit report.

    The new version is not activated: that is `ww triage activate`, an audited admin action.
    """
    from triage_fitting import fit as fitting
    from triage_fitting.data import DataError, read_csv, sha256

    console, err = _consoles()
    base_model, paths = _fit_targets(err, outcomes, version, out_dir, base, overwrite=overwrite)
    sha = sha256(outcomes)
    description = data_description or _describe(outcomes, sha)
    try:
        with _progress(err) as progress:
            data = read_csv(
                outcomes, questionnaire_version=base_model.questionnaire_version, progress=progress
            )
            result = fitting.fit(
                base_model,
                data,
                version=version,
                data_description=description,
                seed=seed,
                test_fraction=test_fraction,
                penalty_c=penalty_c,
                min_group_size=min_group_size,
                data_sha256=sha,
                progress=progress,
            )
    except (DataError, ValueError) as exc:
        raise _fail(err, f"cannot fit: {exc}") from exc
    _write_fit(console, paths, result, version)


def _fit_targets(
    err: Console, outcomes: Path, version: str, out_dir: Path, base: str, *, overwrite: bool
) -> tuple[ModelFile, dict[str, Path]]:
    """The base model and the output paths of a fit, after checking the new version is new,
    the data exists and nothing would be overwritten unasked."""
    from pydantic import ValidationError

    from triage.scoring import model as m
    from triage_fitting.data import DataError, resolve_model

    try:
        base_model = resolve_model(base)
        m.ModelFile.model_validate({**base_model.model_dump(), "version": version})
    except (DataError, ValidationError) as exc:
        raise _fail(err, f"cannot fit: {exc}") from exc
    if version in m.shipped() or version == base_model.version:
        raise _fail(err, f"version {version!r} exists already; choose a new one")
    if not outcomes.is_file():
        raise _fail(err, f"no file {outcomes}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "model": out_dir / f"{version}.json",
        "md": out_dir / f"{version}.fit-report.md",
        "json": out_dir / f"{version}.fit-report.json",
    }
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise _fail(err, f"would overwrite {', '.join(existing)} (use --overwrite)")
    return base_model, paths


def _write_fit(console: Console, paths: dict[str, Path], result: FitResult, version: str) -> None:
    """Write the model file and the fit report (Markdown, JSON); print the report's tables."""
    from triage.scoring import model as m
    from triage_fitting import render

    paths["model"].write_text(m.dump(result.model), encoding="utf-8")
    paths["md"].write_text(render.fit_markdown(result.report), encoding="utf-8")
    _write_json(paths["json"], result.report)
    held_out = result.report["held_out"]["fitted"]
    render.print_tables(
        render.fit_tables(result.report),
        console=console,
        definitions=render.DEFINITIONS.format(min_group_size=held_out["min_group_size"]),
    )
    console.print(
        f"Wrote {paths['model']}, {paths['md']} and {paths['json']}. Not activated: register "
        f"it with `ww triage import {paths['model']}`; an admin activates it with "
        f"`ww triage activate {version}`."
    )


def report(
    model: Annotated[str, typer.Argument(help="model version or model file")],
    outcomes: Annotated[Path, typer.Argument(help="outcomes CSV")],
    out_dir: Annotated[
        Path | None, typer.Option(help="also write the report as Markdown and JSON here")
    ] = None,
    min_group_size: Annotated[
        int, typer.Option(min=1, help="smallest group compared in the fairness report")
    ] = 100,
) -> None:
    """Evaluate an existing model on outcome data (no fitting): metrics, calibration, fairness."""
    from triage_fitting import render
    from triage_fitting.data import DataError, read_csv, resolve_model, sha256
    from triage_fitting.evaluate import model_report

    console, err = _consoles()
    if not outcomes.is_file():
        raise _fail(err, f"no file {outcomes}")
    try:
        scored_model = resolve_model(model)
        sha = sha256(outcomes)
        with _progress(err) as progress:
            data = read_csv(
                outcomes,
                questionnaire_version=scored_model.questionnaire_version,
                progress=progress,
            )
            result = model_report(
                scored_model,
                data,
                name=outcomes.name,
                description=_describe(outcomes, sha),
                sha256=sha,
                min_group_size=min_group_size,
                progress=progress,
            )
    except (DataError, ValueError) as exc:
        raise _fail(err, f"cannot report: {exc}") from exc
    render.print_tables(
        render.model_tables(result),
        console=console,
        definitions=render.DEFINITIONS.format(min_group_size=min_group_size),
    )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{scored_model.version}--{outcomes.stem}.report"
        (out_dir / f"{stem}.md").write_text(render.model_markdown(result), encoding="utf-8")
        _write_json(out_dir / f"{stem}.json", result)
        console.print(f"Wrote {out_dir / stem}.md and .json")
