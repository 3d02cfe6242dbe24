"""The `ww triage` command group: this package's offline model commands (synth, fit, report)
and the service's operations commands (`triage.cli`: activate, import, score-all).

Composed here because the runtime package `triage` must not import the offline tool, while
the tool may import the service.
"""

from __future__ import annotations

import typer

import triage.cli
from triage_fitting import commands

app = typer.Typer(
    help="Triage: synthetic data, model fitting, activation, batch scoring.", no_args_is_help=True
)
commands.register(app)
triage.cli.register(app)
