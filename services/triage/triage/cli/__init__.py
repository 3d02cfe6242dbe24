"""The service's operations commands of `ww triage`: model activation, import, batch re-scoring.

A package above `triage.main` (its commands build the service's container from `SPEC`), so no
feature imports it. The commands import the service modules inside their bodies: registering
them is cheap and `ww --help` stays fast. The offline model fitting (`ww triage synth | fit |
report`) is a separate package, `triage_fitting`, which composes the whole `ww triage` group.
"""

from __future__ import annotations

import typer

from triage.cli import batch, registry


def register(app: typer.Typer) -> None:
    """Add the service's commands (activate, import, score-all) to `ww triage`."""
    registry.register(app)
    batch.register(app)
