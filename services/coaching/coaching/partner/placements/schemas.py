"""Request and response models of placements and the reward ledger."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.web.validation import RequestModel

QUARTER_PATTERN = r"^[1-9][0-9]{3}-Q[1-4]$"


class ContractType(StrEnum):
    """The kind of contract of a placement."""

    TEMP = "temp"
    FIXED_TERM = "fixed_term"
    PERMANENT = "permanent"
    ON_CALL = "on_call"
    OTHER = "other"


class PlacementCreate(RequestModel):
    """A temp agency reports that it placed a candidate in work."""

    model_config = ConfigDict(extra="forbid")

    candidate_ref: uuid.UUID = Field(
        description="The opaque candidate reference from `GET /partner/v1/candidates`"
    )
    start_date: dt.date = Field(
        description="The first working day: not before the claimant's first WW day, at most "
        "the case-closure window ahead"
    )
    hours_per_week: float = Field(gt=0, le=80, description="Contract hours per week")
    hourly_wage: float = Field(
        ge=0.01, le=1000, description="Gross hourly wage in euros (stored rounded to cents)"
    )
    contract_type: ContractType
    resumption: Literal["full", "partial"] = Field(
        description="full: the claimant leaves WW (the case closes with result work_resumed); "
        "partial: fewer hours than were lost, the case stays open. The agency decides: "
        "coaching does not know the hours the claimant lost"
    )
    new_registration: bool = Field(
        default=False,
        description="The claimant newly registered with this agency; counts as a job-search "
        "activity (temp_agency_registration) on the day of the report",
    )


class PlacementRead(BaseModel):
    """A placement as the agency that reported it sees it (no claim or case ids)."""

    id: uuid.UUID
    candidate_ref: uuid.UUID
    start_date: dt.date
    hours_per_week: float
    hourly_wage: float = Field(description="Gross hourly wage in euros")
    contract_type: ContractType
    resumption: Literal["full", "partial"]
    new_registration: bool
    activity_counted: bool = Field(
        description="The new registration was counted as a job-search activity"
    )
    closed_case: bool = Field(description="The placement ended the claimant's WW case")
    reported_at: dt.datetime


class CasePlacementRead(PlacementRead):
    """A placement as staff see it on the case."""

    claim_id: uuid.UUID
    partner_client_id: str
    work_resumption_id: uuid.UUID
    activity_id: uuid.UUID | None


class RewardRead(BaseModel):
    """One agency's placements of WW claimants in a quarter, with a page of them."""

    quarter: str = Field(description="YYYY-Qn, by the placements' start dates")
    starts_on: dt.date
    ends_on: dt.date = Field(description="Inclusive")
    partner_client_id: str
    placements: int = Field(ge=0, description="Placements starting in the quarter")
    full: int = Field(ge=0)
    partial: int = Field(ge=0)
    claimants: int = Field(ge=0, description="Distinct claimants among them")
    items: list[PlacementRead] = Field(description="A page of the placements, earliest first")
    limit: int
    offset: int


class RewardLine(BaseModel):
    """One agency's line of the ledger."""

    partner_client_id: str
    placements: int = Field(ge=0)
    full: int = Field(ge=0)
    partial: int = Field(ge=0)
    claimants: int = Field(ge=0)


class RewardLedgerRead(BaseModel):
    """Every agency's placements in a quarter, most placements first."""

    quarter: str
    starts_on: dt.date
    ends_on: dt.date
    items: list[RewardLine]
    total: int = Field(ge=0, description="Agencies with a placement in the quarter")
    limit: int
    offset: int
