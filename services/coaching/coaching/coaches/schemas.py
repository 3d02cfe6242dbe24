"""Request and response models of the roster API."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.bsn import FreeText
from shared.reference import load_offices
from shared.web.validation import MultiLine, RequestModel


class Specialism(StrEnum):
    """What a coach is specialised in (used by case assignment)."""

    OVER_55 = "over_55"
    UNDER_27 = "under_27"
    STARTERS = "starters"
    SECTOR_CARE = "sector_care"
    SECTOR_LOGISTICS = "sector_logistics"
    SECTOR_ICT = "sector_ict"
    SECTOR_HOSPITALITY = "sector_hospitality"
    SECTOR_CONSTRUCTION = "sector_construction"
    SECTOR_RETAIL = "sector_retail"
    SECTOR_INDUSTRY = "sector_industry"


def _office(value: str) -> str:
    value = value.upper()
    if load_offices().get(value) is None:
        raise ValueError("unknown office code")
    return value


class CoachCreate(RequestModel):
    """A new coach."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_name: FreeText = Field(min_length=1, max_length=200)
    office_code: str = Field(min_length=2, max_length=10)
    specialisms: list[Specialism] = Field(default_factory=list, max_length=10)
    # At least one hour: the caseload is floor(hours x cases per hour) and the relative load
    # divides by the hours, so a subnormal float (5e-324) broke both.
    contract_hours: float = Field(ge=1, le=40, description="Contracted hours per week (1-40)")
    holds_intakes: bool = True

    @field_validator("office_code")
    @classmethod
    def _office_code(cls, value: str) -> str:
        return _office(value)


class CoachUpdate(RequestModel):
    """Partial update; omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_name: FreeText | None = Field(default=None, min_length=1, max_length=200)
    office_code: str | None = Field(default=None, min_length=2, max_length=10)
    specialisms: list[Specialism] | None = Field(default=None, max_length=10)
    contract_hours: float | None = Field(default=None, ge=1, le=40)
    holds_intakes: bool | None = None

    @field_validator("office_code")
    @classmethod
    def _office_code(cls, value: str | None) -> str | None:
        return None if value is None else _office(value)


class CoachDeactivate(RequestModel):
    """Why a coach leaves the roster."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[FreeText, MultiLine()] = Field(min_length=3, max_length=500)


class CoachRead(BaseModel):
    """A coach on the roster."""

    id: uuid.UUID
    display_name: str
    office_code: str
    specialisms: list[str]
    contract_hours: float
    holds_intakes: bool
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None
