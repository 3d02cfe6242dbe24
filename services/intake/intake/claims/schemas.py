"""Request and response models of the claims API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.bsn import BSN, FreeText
from shared.reference import InvalidPostcodeError, normalize_postcode


class ClaimCreate(BaseModel):
    """A new WW claim (minimal registration; the intake questionnaire comes later)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bsn: BSN = Field(description="Citizen service number; 9 digits passing the 11-proef")
    first_ww_day: dt.date = Field(description="First day of unemployment (first WW day)")
    postcode: str = Field(
        description="Dutch postcode of the claimant's address, e.g. 1234 AB", max_length=8
    )
    date_of_birth: dt.date | None = None
    years_work_history: int | None = Field(default=None, ge=0, le=60)
    hours_lost_per_week: float | None = Field(default=None, gt=0, le=80)
    education_level: (
        Literal[
            "primary",
            "lower_secondary",
            "upper_secondary",
            "vocational",
            "bachelor",
            "master_or_higher",
        ]
        | None
    ) = None
    sector: FreeText | None = Field(default=None, max_length=80)
    preferred_language: Literal["nl", "en"] | None = None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str) -> str:
        try:
            return normalize_postcode(value)
        except InvalidPostcodeError as exc:
            raise ValueError(str(exc)) from None


class ClaimRead(BaseModel):
    """A claim as staff and the claimant see it; the BSN only masked."""

    id: uuid.UUID
    status: str
    bsn_masked: str
    first_ww_day: dt.date
    postcode: str
    office_code: str
    date_of_birth: dt.date | None
    channel: str
    registered_at: dt.datetime


class ClaimSearch(BaseModel):
    """Find claims by BSN; the BSN travels in the body, never in a URL."""

    model_config = ConfigDict(extra="forbid")

    bsn: BSN
