"""Request and response models of agendas and office capacity."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.bsn import FreeText
from shared.web.validation import MultiLine, RequestModel

ExceptionKind = Literal["leave", "sickness", "training"]


class AgendaBlockCreate(RequestModel):
    """A weekly block of intake hours, local Europe/Amsterdam time."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start_time: dt.time = Field(description="Local time, e.g. 09:00")
    end_time: dt.time = Field(description="Local time, after start_time")
    office_code: str = Field(min_length=1, max_length=10)


class AgendaUpdate(RequestModel):
    """The complete set of weekly blocks; replaces the previous set."""

    model_config = ConfigDict(extra="forbid")

    blocks: list[AgendaBlockCreate] = Field(max_length=100)


class AgendaBlockRead(BaseModel):
    """A weekly block."""

    weekday: int
    start_time: dt.time
    end_time: dt.time
    office_code: str


class AgendaExceptionCreate(RequestModel):
    """Days without intakes (inclusive range)."""

    model_config = ConfigDict(extra="forbid")

    start_date: dt.date
    end_date: dt.date
    kind: ExceptionKind
    reason: Annotated[FreeText | None, MultiLine()] = Field(default=None, max_length=200)


class AgendaExceptionRead(BaseModel):
    """An exception of a coach's agenda."""

    id: uuid.UUID
    start_date: dt.date
    end_date: dt.date
    kind: str
    reason: str | None
    created_by: str
    created_at: dt.datetime


class AgendaRead(BaseModel):
    """A coach's agenda: blocks, exceptions, the slot grid and the generated horizon."""

    coach_id: uuid.UUID
    office_code: str
    slot_minutes: int
    buffer_minutes: int
    blocks: list[AgendaBlockRead]
    exceptions: list[AgendaExceptionRead]
    slots_until: dt.date | None = Field(description="Slots exist up to this day (inclusive)")
    free_slots: int = Field(description="Free future slots of this coach")


class CapacityDay(BaseModel):
    """Free slots of an office on one day."""

    date: dt.date
    free_slots: int


class CapacityRead(BaseModel):
    """Free intake slots of an office per day."""

    office_code: str
    days: list[CapacityDay]
    free_slots: int
