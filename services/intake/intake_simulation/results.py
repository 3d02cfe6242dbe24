"""The figures of a run: week-one KPIs per week, per office and in total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from intake_simulation.config import SimulationConfig
from intake_simulation.world import Attempt, Booking, Claim, Coach, Slot

# Figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Week-one figures over a set of claims and the slots of a period.

    The definitions follow the week-one KPIs (issue 3, item 10) at the end of the run, when every
    deadline has passed: `shortfalls` counts failed bookings (at registration and for a
    summons) of these claims, `median_working_days` is over the claims whose intake was held
    (working days after registration up to the held day; same day = 0).
    """

    registrations: int
    booked_in_time: int
    held_in_week_one: int
    shortfalls: int
    no_shows: int
    not_held: int
    median_working_days: float | None
    slots: int
    booked_slots: int

    @property
    def held(self) -> int:
        """Claims whose intake was held (at the first appointment or a summons)."""
        return self.registrations - self.not_held

    @property
    def booked_in_time_share(self) -> float | None:
        """Booked at registration, on or before the deadline."""
        return self.booked_in_time / self.registrations if self.registrations else None

    @property
    def week_one_share(self) -> float | None:
        """Intake held (attended) on or before the deadline: the week-one KPI."""
        return self.held_in_week_one / self.registrations if self.registrations else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows / (no-shows + held intakes)."""
        seen = self.no_shows + self.held
        return self.no_shows / seen if seen else None

    @property
    def utilisation(self) -> float | None:
        """Booked slots / available slots."""
        return self.booked_slots / self.slots if self.slots else None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, shares included."""
        return {
            "registrations": self.registrations,
            "booked_in_time": self.booked_in_time,
            "booked_in_time_share": self.booked_in_time_share,
            "held_in_week_one": self.held_in_week_one,
            "week_one_share": self.week_one_share,
            "shortfalls": self.shortfalls,
            "no_shows": self.no_shows,
            "no_show_rate": self.no_show_rate,
            "held": self.held,
            "not_held": self.not_held,
            "median_working_days": self.median_working_days,
            "slots": self.slots,
            "booked_slots": self.booked_slots,
            "utilisation": self.utilisation,
        }


@dataclass(frozen=True)
class WeekFigures:
    """The figures of one calendar week: claims registered in it, slots lying in it."""

    week: int
    first: dt.date
    last: dt.date
    figures: Figures


@dataclass(frozen=True)
class OfficeFigures:
    """The figures of one office: its claims and its slots in the arrival period."""

    office_code: str
    name: str
    coaches: int
    figures: Figures


@dataclass
class SimulationResult:
    """Everything a run produced: figures for the report, and the raw log for tests."""

    config: SimulationConfig
    start: dt.date
    last_arrival_day: dt.date
    end: dt.date
    offices: list[str]
    coaches: list[Coach]
    slots: list[Slot]
    claims: list[Claim]
    bookings: list[Booking]
    attempts: list[Attempt]
    unplanned_at_end: int
    flagged: int
    weeks: list[WeekFigures]
    total: Figures
    by_office: list[OfficeFigures]

    def as_dict(self) -> dict[str, Any]:
        """The parameters and figures as JSON-able data (no per-claim records)."""
        cfg = self.config
        return {
            "parameters": {
                "days": cfg.days,
                "inflow": cfg.inflow,
                "coaches": cfg.coaches,
                "seed": cfg.seed,
                "start": self.start.isoformat(),
                "no_show_rate": cfg.no_show_rate,
                "part_time_share": cfg.part_time_share,
                "offices": len(self.offices),
                "weighting": cfg.weighting,
                "arrivals": cfg.arrivals,
                "drain_days": cfg.drain_days,
                "deadline_working_days": cfg.deadline_working_days,
                "slot_minutes": cfg.slot_minutes,
                "buffer_minutes": cfg.buffer_minutes,
                "max_travel_minutes": cfg.max_travel_minutes,
                "no_show_rebook_working_days": cfg.no_show_rebook_working_days,
                "no_shows_before_attention": cfg.no_shows_before_attention,
                "slot_horizon_working_days": cfg.slot_horizon_working_days,
            },
            "period": {
                "start": self.start.isoformat(),
                "last_arrival_day": self.last_arrival_day.isoformat(),
                "end": self.end.isoformat(),
            },
            "coaches": {
                "total": len(self.coaches),
                "part_time": sum(1 for c in self.coaches if c.part_time),
            },
            "total": self.total.as_dict(),
            "weeks": [
                {"week": w.week, "first": w.first.isoformat(), "last": w.last.isoformat()}
                | w.figures.as_dict()
                for w in self.weeks
            ],
            "offices": [
                {"office_code": o.office_code, "name": o.name, "coaches": o.coaches}
                | o.figures.as_dict()
                for o in self.by_office
            ],
            "unplanned_at_end": self.unplanned_at_end,
            "flagged_after_no_shows": self.flagged,
        }
