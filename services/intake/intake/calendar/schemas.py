"""Request and response models of the calendar API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.bsn import FreeText
from shared.web.validation import MultiLine, RequestModel

if TYPE_CHECKING:
    from intake.calendar.models import Closure


class WorkingDayRead(BaseModel):
    """One day of the calendar."""

    date: dt.date
    is_working_day: bool
    reason: str | None = Field(
        description="Why the day is not a working day: a rule name (e.g. `King's Day`, "
        "`Saturday`) or the reason of a closure; null on working days"
    )
    source: Literal["rule", "closure"] | None = Field(
        description="`rule` (Algemene termijnenwet), `closure` (ad-hoc), or null"
    )


class WorkingDaysRead(BaseModel):
    """The days of a range, in order."""

    office_code: str | None
    days: list[WorkingDayRead]
    working_days: int = Field(description="How many of the days are working days")


class DeadlineRead(BaseModel):
    """The n-th working day after a start date."""

    start: dt.date
    office_code: str | None
    working_days: int
    deadline: dt.date


class ClosureCreate(RequestModel):
    """An ad-hoc closure: national (office_code null, admins only) or one office."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: dt.date
    office_code: str | None = Field(
        default=None, max_length=10, description="Office code; null for a national closure"
    )
    reason: Annotated[FreeText, MultiLine()] = Field(min_length=3, max_length=200)


class ClosureRead(BaseModel):
    """A closure as stored."""

    id: uuid.UUID
    date: dt.date
    office_code: str | None = Field(description="Null for a national closure")
    reason: str
    created_by: str
    created_at: dt.datetime


class ClosureEffectRead(BaseModel):
    """What adding the closure did to that day's slots and intakes."""

    slots_withdrawn: int = Field(description="Slots of the day taken out of booking")
    appointments_cancelled: int = Field(
        description="Appointments on the day cancelled by the service (`intake.cancelled`, "
        "reason_code `office_closed`)"
    )
    appointments_rebooked: int = Field(
        description="Of those, rebooked at once on another day (`intake.scheduled`)"
    )
    appointments_unplanned: int = Field(
        description="Of those, without a free slot before the deadline: on the office's "
        "unplanned list with `intake.capacity_shortfall`"
    )


class ClosureCreatedRead(ClosureRead):
    """The stored closure and what it changed."""

    effect: ClosureEffectRead


def closure_read(closure: Closure) -> ClosureRead:
    """Response model of a closure; the national sentinel becomes null."""
    return ClosureRead(
        id=closure.id,
        date=closure.day,
        office_code=None if closure.is_national else closure.office_code,
        reason=closure.reason,
        created_by=closure.created_by,
        created_at=closure.created_at,
    )
