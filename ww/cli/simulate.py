"""`ww simulate intake`: registrations against coach agendas, in memory (docs/simulation.md)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import typer

from shared.commands import console

app = typer.Typer(help="Simulations for capacity planning.", no_args_is_help=True)


class InflowWeights(enum.StrEnum):
    """How registrations are spread over offices."""

    uniform = "uniform"
    postcodes = "postcodes"


class ArrivalModel(enum.StrEnum):
    """How many registrations a working day brings."""

    poisson = "poisson"
    fixed = "fixed"


@app.command("intake")
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

    # Imported here, like the services behind the other commands: `ww --help` stays cheap.
    from intake_simulation import SimulationConfig, report, simulate

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
