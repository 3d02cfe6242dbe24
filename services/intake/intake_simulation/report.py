"""Printing a simulation: rich tables for people, JSON for scripts, a progress bar meanwhile."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from intake_simulation.results import Figures, SimulationResult

TOP_OFFICES = 10


def share(value: float | None) -> str:
    """A percentage with one decimal; 100% only when it is exactly 100%."""
    if value is None:
        return "-"
    if value >= 1:
        return "100%"
    return f"{min(value * 100, 99.9):.1f}%"


def _median(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}"


def _n(value: int) -> str:
    return f"{value:,}"


@contextmanager
def progress(console: Console, *, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A progress bar over the simulated working days; yields the engine's `on_day` callback."""
    with Progress(
        TextColumn("simulating working days"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not enabled,
    ) as bar:
        task = bar.add_task("simulate", total=None)

        def on_day(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield on_day


_FIGURE_COLUMNS = (
    "claims",
    "booked\nin time",
    "held in\nweek one",
    "short-\nfalls",
    "no-\nshows",
    "median\nwd",
    "utilised",
)


def _figures_cells(f: Figures) -> list[str]:
    return [
        _n(f.registrations),
        share(f.booked_in_time_share),
        share(f.week_one_share),
        _n(f.shortfalls),
        _n(f.no_shows),
        _median(f.median_working_days),
        share(f.utilisation),
    ]


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    table.add_column(columns[0], no_wrap=True)
    for header in columns[1:]:
        table.add_column(header, justify="right", no_wrap=True)
    return table


def weeks_table(result: SimulationResult) -> Table:
    """Per calendar week of the arrival period (claims registered, slots lying in it), and the
    total."""
    table = _table("Week one, by week of registration", ("week of", *_FIGURE_COLUMNS))
    for w in result.weeks:
        table.add_row(f"{w.first:%d %b}", *_figures_cells(w.figures))
    table.add_section()
    table.add_row("total", *_figures_cells(result.total), style="bold")
    return table


def offices_table(result: SimulationResult, top: int = TOP_OFFICES) -> Table | None:
    """The offices with the most shortfalls (None when no office had one)."""
    rows = [o for o in result.by_office if o.figures.shortfalls > 0][:top]
    if not rows:
        return None
    table = _table(
        f"Offices with the most shortfalls (top {top})",
        (
            "office",
            "coaches",
            "claims",
            "short-\nfalls",
            "held in\nweek one",
            "median\nwd",
            "utilised",
        ),
    )
    for o in rows:
        f = o.figures
        table.add_row(
            f"{o.office_code} {o.name.removeprefix('UWV ')}",
            _n(o.coaches),
            _n(f.registrations),
            _n(f.shortfalls),
            share(f.week_one_share),
            _median(f.median_working_days),
            share(f.utilisation),
        )
    return table


def render(result: SimulationResult, console: Console) -> None:
    """The parameters, the headline figures, the weekly table and the offices short of slots."""
    cfg, total = result.config, result.total
    part_time = sum(1 for c in result.coaches if c.part_time)
    demand = total.registrations
    ratio = f" ({total.slots / demand:.0%} of demand)" if demand else ""
    console.print(
        f"[bold]Intake simulation[/bold] (seed {cfg.seed}): registrations on {cfg.days} working "
        f"days, {result.start:%a %d %b %Y} to {result.last_arrival_day:%a %d %b %Y}; "
        f"followed until {result.end:%a %d %b %Y}."
    )
    console.print(
        f"Inflow {cfg.inflow:g} per working day ({cfg.arrivals}) over {len(result.offices)} "
        f"offices ({cfg.weighting}); {len(result.coaches)} coaches "
        f"({len(result.coaches) - part_time} full-time, {part_time} part-time); "
        f"no-show rate {cfg.no_show_rate:.0%}."
    )
    console.print(
        f"Capacity: {_n(total.slots)} intake slots for {_n(demand)} registrations in the "
        f"arrival period{ratio}."
    )
    console.print()
    console.print(
        f"[bold]Held within week one: {share(total.week_one_share)}[/bold]   "
        f"shortfalls: {_n(total.shortfalls)}   "
        f"coach utilisation: {share(total.utilisation)}"
    )
    console.print()
    console.print(weeks_table(result))
    offices = offices_table(result)
    if offices is not None:
        console.print()
        console.print(offices)
    console.print()
    console.print(
        f"booked in time: at registration, on or before the deadline (working day "
        f"{cfg.deadline_working_days} after registration); held in week one: attended on or "
        f"before it; shortfalls: bookings that found no slot (registrations and summonses); "
        f"median wd: working days from registration to the held intake, over held intakes; "
        f"utilised: booked / available slots."
    )
    if total.not_held == 0:
        console.print(f"By {result.end:%d %b %Y} every claim had its intake held.")
        return
    later = total.not_held - result.unplanned_at_end - result.flagged
    console.print(
        f"On {result.end:%d %b %Y}, {_n(total.not_held)} claims had no held intake yet: "
        f"{_n(result.unplanned_at_end)} still unplanned, {_n(later)} booked for a later day, "
        f"{_n(result.flagged)} flagged for their coach after "
        f"{cfg.no_shows_before_attention} no-shows."
    )


def to_json(result: SimulationResult) -> str:
    """The figures as indented JSON."""
    return json.dumps(result.as_dict(), indent=2)
