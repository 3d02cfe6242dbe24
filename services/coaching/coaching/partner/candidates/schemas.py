"""Request and response models of partner profiles and the candidate search.

Partner-facing models (`CandidateRead`) carry no BSN, claim id, case id or office, and a
name only for `named` consent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from coaching.text import NoBsn
from shared.reference.sectors import SectorCode
from shared.web.validation import RequestModel


@dataclass(frozen=True)
class CandidateFilters:
    """Validated search filters (skills normalised to lower case)."""

    sector: str | None = None
    region: str | None = None
    skills: tuple[str, ...] = ()
    skills_match: str = "any"
    min_hours: int | None = None
    max_hours: int | None = None
    available_before: dt.date | None = None

    def as_log(self) -> dict[str, Any]:
        """The filters for the search log (JSON)."""
        return {
            "sector": self.sector,
            "region": self.region,
            "skills": list(self.skills),
            "skills_match": self.skills_match,
            "min_hours": self.min_hours,
            "max_hours": self.max_hours,
            "available_before": None
            if self.available_before is None
            else self.available_before.isoformat(),
        }


Visibility = Literal["none", "anonymous", "named"]
Skill = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=40,
        pattern=r"^[\w .+#/&'-]+$",
    ),
    NoBsn,
]
Region = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]$")]
# No control characters (a NUL cannot even be stored in PostgreSQL text).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
# A code of the controlled list (shared/reference/sectors.json), as for vacancies.
Sector = SectorCode
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=_PRINTABLE),
    NoBsn,
]


class PartnerProfileUpdate(RequestModel):
    """The claimant's choice: who may see their profile, and what it says.

    `anonymous` and `named` need hours and availability; the region defaults to the case
    office's first postcode region, the sector (a code of GET /v1/sectors) to the case's. `display_name` is kept only
    for `named` (dropped otherwise); `none` hides the profile at once.
    """

    model_config = ConfigDict(extra="forbid")

    visibility: Visibility
    skills: list[Skill] = Field(default_factory=list, max_length=20)
    hours_per_week: int | None = Field(None, ge=1, le=48)
    available_from: dt.date | None = None
    region: Region | None = Field(None, description="2-digit postcode region, e.g. `10`")
    sector: Sector | None = None
    display_name: DisplayName | None = Field(None, description="Shown to agencies only if named")


class PartnerProfileRead(BaseModel):
    """The claimant's profile and consent as stored (`visible`: partners can find it now)."""

    visibility: Visibility
    visible: bool
    candidate_ref: uuid.UUID | None
    skills: list[str]
    hours_per_week: int | None
    available_from: dt.date | None
    region: str | None
    sector: str | None
    display_name: str | None
    consent_changed_at: dt.datetime | None
    updated_at: dt.datetime | None


class CandidateRead(BaseModel):
    """A consenting claimant as a temp agency sees them: no BSN, claim or case id; a name
    only with `named` consent."""

    candidate_ref: uuid.UUID
    visibility: Literal["anonymous", "named"]
    display_name: str | None = Field(description="Only for `named` consent, else null")
    skills: list[str]
    hours_per_week: int | None
    available_from: dt.date | None
    region: str | None
    sector: str | None


class CandidatePage(BaseModel):
    """One page of candidates in `candidate_ref` order; pass `next_cursor` as `after`."""

    items: list[CandidateRead]
    limit: int
    next_cursor: uuid.UUID | None
