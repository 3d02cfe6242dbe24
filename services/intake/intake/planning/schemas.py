"""Request and response models of intake capacity planning."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from shared.web.validation import RequestModel

MAX_PLAN_DAYS = 92
"""Registration days may lie at most this many days after today (a quarter)."""
MAX_OFFICES = 50
MAX_REGISTRATIONS_PER_DAY = 100_000


class DayForecastCreate(RequestModel):
    """Expected registrations of one office on one day."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date = Field(description="A day after today, at most 92 days ahead")
    registrations: int = Field(ge=0, le=MAX_REGISTRATIONS_PER_DAY)


class OfficeForecastCreate(RequestModel):
    """Expected registrations per day of one office (days not listed: none expected)."""

    model_config = ConfigDict(extra="forbid")

    office_code: str = Field(min_length=1, max_length=10)
    days: list[DayForecastCreate] = Field(min_length=1, max_length=MAX_PLAN_DAYS)


class IntakeCapacityPlanCreate(RequestModel):
    """Expected registrations per office per day for the coming weeks."""

    model_config = ConfigDict(extra="forbid")

    offices: list[OfficeForecastCreate] = Field(min_length=1, max_length=MAX_OFFICES)


class PlanDayRead(BaseModel):
    """One day of an office's plan."""

    date: dt.date
    is_working_day: bool
    registrations: int = Field(description="Expected registrations (input)")
    needed_slots: int = Field(
        description="Intakes held this day in the plan with the lowest daily peak that meets "
        "every deadline, holding intakes as early as that peak allows"
    )
    needed_coach_hours: float
    available_slots: int = Field(description="Free slots the current agendas give this day")
    available_coach_hours: float
    shortfall_slots: int = Field(
        description="Registrations whose deadline is this day that the current agendas cannot "
        "hold in time: extra slots needed by this day"
    )
    shortfall_coach_hours: float


class PlanWeekRead(BaseModel):
    """The days of one ISO week added up."""

    week: str
    week_start: dt.date
    week_end: dt.date
    registrations: int
    needed_slots: int
    needed_coach_hours: float
    available_slots: int
    available_coach_hours: float
    shortfall_slots: int
    shortfall_coach_hours: float


class OfficePlanRead(BaseModel):
    """An office's plan, from its first registration day to the last deadline."""

    office_code: str
    registrations: int
    peak_needed_slots_per_day: int = Field(
        description="The fewest slots per working day that hold every registration in time"
    )
    shortfall_slots: int = Field(description="Minimum extra slots the current agendas need")
    shortfall_coach_hours: float
    days: list[PlanDayRead]
    weeks: list[PlanWeekRead]


class IntakeCapacityPlanRead(BaseModel):
    """Coach-hours needed for the week-one target, per office, day and week."""

    slot_minutes: int
    buffer_minutes: int
    coach_hours_per_slot: float = Field(description="(slot_minutes + buffer_minutes) / 60")
    deadline_working_days: int
    offices: list[OfficePlanRead]
    weeks: list[PlanWeekRead] = Field(description="All offices of the request added up")
