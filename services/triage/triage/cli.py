"""`ww triage ...`: model fitting, synthetic data, activation and batch re-scoring.

Commands live next to their feature: `triage.fitting.commands` (synth, fit, report) and
`triage.models_registry.commands` / `triage.batch.commands` (activate, score-all); each
module registers its commands on `app`.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help="Triage: synthetic data, model fitting, activation, batch scoring.", no_args_is_help=True
)

for _module in ("triage.fitting.commands", "triage.registry.commands", "triage.batch.commands"):
    try:
        importlib.import_module(_module).register(app)
    except ModuleNotFoundError as exc:  # a feature package not present in this build
        if exc.name is None or not _module.startswith(exc.name):
            raise
