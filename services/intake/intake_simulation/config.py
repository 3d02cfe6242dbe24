"""What a simulation run is asked for: its parameters, their checks and the fixed model constants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from intake.settings import IntakeSettings

Weighting = Literal["uniform", "postcodes"]
ArrivalModel = Literal["poisson", "fixed"]
Purpose = Literal["intake", "summons"]
Outcome = Literal["held", "no_show"]
Trigger = Literal["registration", "no_show", "planning_run"]

WEIGHTINGS: tuple[Weighting, ...] = ("uniform", "postcodes")
ARRIVAL_MODELS: tuple[ArrivalModel, ...] = ("poisson", "fixed")

# A coach's intake hours on a working weekday: two blocks around a lunch break. With the
# default 45-minute slot and 15-minute buffer they give 3 + 4 = 7 slots a day.
DAY_BLOCKS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9), dt.time(12)),
    (dt.time(13), dt.time(17)),
)
FULL_TIME_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
# Registrations arrive uniformly between these local times on a working day.
ARRIVALS_FROM = dt.time(8)
ARRIVALS_UNTIL = dt.time(20)
# The unplanned list is worked through each working day at this local time.
RETRY_AT = dt.time(7)


def _setting(name: str) -> int:
    """The default of an IntakeSettings field (not the environment: runs stay reproducible)."""
    value = IntakeSettings.model_fields[name].default
    assert isinstance(value, int)
    return value


def next_monday(today: dt.date) -> dt.date:
    """The first Monday after `today` (a week later when `today` is a Monday)."""
    return today + dt.timedelta(days=7 - today.weekday())


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate. Rule parameters default to the intake service's settings."""

    days: int = 20
    inflow: float = 500.0
    coaches: int = 40
    seed: int = 1
    start: dt.date | None = None
    no_show_rate: float = 0.0
    part_time_share: float = 0.25
    office_limit: int | None = None
    weighting: Weighting = "uniform"
    arrivals: ArrivalModel = "poisson"
    drain_days: int = 10
    deadline_working_days: int = field(
        default_factory=lambda: _setting("intake_deadline_working_days")
    )
    slot_minutes: int = field(default_factory=lambda: _setting("slot_minutes"))
    buffer_minutes: int = field(default_factory=lambda: _setting("slot_buffer_minutes"))
    max_travel_minutes: int = field(default_factory=lambda: _setting("intake_max_travel_minutes"))
    no_show_rebook_working_days: int = field(
        default_factory=lambda: _setting("no_show_rebook_working_days")
    )
    no_shows_before_attention: int = field(
        default_factory=lambda: _setting("no_shows_before_attention")
    )
    slot_horizon_working_days: int = field(
        default_factory=lambda: _setting("slot_horizon_working_days")
    )

    def __post_init__(self) -> None:
        checks = [
            (self.days >= 1, "days must be at least 1"),
            (self.inflow >= 0, "inflow must not be negative"),
            (self.coaches >= 0, "coaches must not be negative"),
            (0 <= self.no_show_rate <= 1, "no_show_rate must lie between 0 and 1"),
            (0 <= self.part_time_share <= 1, "part_time_share must lie between 0 and 1"),
            (self.office_limit is None or self.office_limit >= 1, "office_limit must be >= 1"),
            (self.weighting in WEIGHTINGS, f"weighting must be one of {WEIGHTINGS}"),
            (self.arrivals in ARRIVAL_MODELS, f"arrivals must be one of {ARRIVAL_MODELS}"),
            (self.deadline_working_days >= 1, "deadline_working_days must be at least 1"),
            (
                self.drain_days >= self.deadline_working_days,
                "drain_days must be at least the deadline (every deadline inside the run)",
            ),
            (self.slot_minutes >= 1 and self.buffer_minutes >= 0, "bad slot length or buffer"),
            (self.no_shows_before_attention >= 1, "no_shows_before_attention must be >= 1"),
            (self.no_show_rebook_working_days >= 1, "no_show_rebook_working_days must be >= 1"),
            (self.slot_horizon_working_days >= 1, "slot_horizon_working_days must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
