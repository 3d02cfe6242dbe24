"""Response models of the week-one KPIs (definitions: docs/kpis.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class WeekKpisRead(BaseModel):
    """The week-one figures of one ISO week, for the claims registered in it."""

    week: str = Field(description="ISO week, e.g. 2026-W48", examples=["2026-W48"])
    week_start: dt.date = Field(description="Its Monday")
    week_end: dt.date = Field(description="Its Sunday")
    registrations: int = Field(description="Claims registered in the week (local day)")
    intakes_held: int = Field(description="Of those, claims with a completed intake")
    held_within_deadline: int = Field(description="Held on or before the claim's deadline")
    due: int = Field(description="Held, or not held with the deadline already past")
    pending: int = Field(description="Not held and the deadline is today or later")
    within_deadline_share: float | None = Field(
        description="held_within_deadline / due; null when nothing is due"
    )
    median_working_days_to_intake: float | None = Field(
        description="Median working days from registration day to the held intake; null when "
        "none is held"
    )
    completed_appointments: int = Field(description="Completed appointments of these claims")
    no_shows: int = Field(description="No-show appointments of these claims")
    no_show_rate: float | None = Field(
        description="no_shows / (no_shows + completed_appointments); null when both are 0"
    )
    capacity_shortfalls: int = Field(
        description="Shortfalls detected in the week (event time, by the claim's office)"
    )


class OfficeKpisRead(BaseModel):
    """The weeks of one office."""

    office_code: str
    weeks: list[WeekKpisRead]


class WeekOneKpisRead(BaseModel):
    """Week-one KPIs per ISO week: national and per office the caller may see."""

    from_week: str
    to_week: str
    as_of: dt.date = Field(description="Today (Europe/Amsterdam): deadlines before it are past")
    deadline_working_days: int = Field(
        description="The intake deadline in working days after the later of first WW day and "
        "registration day"
    )
    national: list[WeekKpisRead]
    offices: list[OfficeKpisRead]
