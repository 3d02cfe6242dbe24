"""Request and response models of the vacancy APIs."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.bsn import FreeText, contains_bsn
from shared.reference import InvalidPostcodeError, normalize_postcode
from shared.reference.sectors import SectorCode
from shared.web.validation import MultiLine, RequestModel

# The controlled list in shared/reference/sectors.json (the same codes as profiles and search).
Sector = SectorCode


_REGION = r"^[1-9][0-9]$"
_SKILL = re.compile(r"^[\w][\w .+#/&-]{0,49}$")


def _skill(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not _SKILL.match(value):
        raise ValueError("a skill is 1-50 letters, digits, spaces or . + # / & -")
    # Skills are shown to coaches and searched; a BSN must not ride along in one.
    if contains_bsn(value):
        raise ValueError("must not contain a BSN")
    return value


Skill = Annotated[str, AfterValidator(_skill)]


def _postcode(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_postcode(value)
    except InvalidPostcodeError as exc:
        raise ValueError(str(exc)) from None


Postcode = Annotated[str, AfterValidator(_postcode)]


def _cents(value: float) -> float:
    return round(value, 2)


# Stored as NUMERIC(8, 2): rounded here so that the first answer equals every later read.
Wage = Annotated[float, AfterValidator(_cents)]


def _dedupe(skills: list[str]) -> list[str]:
    return list(dict.fromkeys(skills))


class _VacancyFields(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: FreeText = Field(min_length=3, max_length=200)
    sector: Sector
    postcode: Postcode | None = Field(
        default=None, max_length=7, description="Dutch postcode of the workplace, e.g. 1234 AB"
    )
    region: str | None = Field(
        default=None,
        pattern=_REGION,
        description="Two-digit postcode region; derived from the postcode when given",
    )
    hours_per_week: float = Field(gt=0, le=80)
    wage_min: Wage | None = Field(
        default=None, ge=0, le=1000, description="Gross wage in euros per hour"
    )
    wage_max: Wage | None = Field(
        default=None, ge=0, le=1000, description="Gross wage in euros per hour"
    )
    skills: list[Skill] = Field(default_factory=list, max_length=30)
    start_date: dt.date | None = None


class VacancyCreate(_VacancyFields):
    """A new vacancy: a postcode or a region; wages per hour with min <= max."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self.skills = _dedupe(self.skills)
        if self.postcode:
            if self.region and self.region != self.postcode[:2]:
                raise ValueError("region must be the first two digits of the postcode")
            self.region = self.postcode[:2]
        if not self.region:
            raise ValueError("give a postcode or a region")
        if self.wage_min is not None and self.wage_max is not None:
            if self.wage_min > self.wage_max:
                raise ValueError("wage_min must not exceed wage_max")
        return self


class VacancyUpdate(RequestModel):
    """Partial update; omitted fields keep their value (a closed vacancy cannot change)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: FreeText | None = Field(default=None, min_length=3, max_length=200)
    sector: Sector | None = None
    postcode: Postcode | None = Field(default=None, max_length=7)
    region: str | None = Field(default=None, pattern=_REGION)
    hours_per_week: float | None = Field(default=None, gt=0, le=80)
    wage_min: Wage | None = Field(default=None, ge=0, le=1000)
    wage_max: Wage | None = Field(default=None, ge=0, le=1000)
    skills: list[Skill] | None = Field(default=None, max_length=30)
    start_date: dt.date | None = None


class VacancyClose(RequestModel):
    """Why a vacancy closes (filled, withdrawn, ...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Annotated[FreeText, MultiLine()] = Field(min_length=3, max_length=500)


class VacancyRead(BaseModel):
    """A vacancy as its agency sees it."""

    id: uuid.UUID
    title: str
    sector: str
    postcode: str | None
    region: str
    hours_per_week: float
    wage_min: float | None
    wage_max: float | None
    wage_period: Literal["hour"] = "hour"
    skills: list[str]
    start_date: dt.date | None
    status: str
    close_reason: str | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class StaffVacancyRead(VacancyRead):
    """A vacancy as coaches see it: with the agency's name."""

    agency_name: str
