"""The sector codes with their labels: for partner applications (`partner_router`) and for
people (`router`: staff and claimants, who send a code in a partner profile or a claim).

Reference data without personal data: not audited (like the calendar's working days) and
the same for every caller, so no row-level rule applies.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from coaching.partner.access import partner_access
from coaching.partner.sectors.schemas import SectorListRead
from shared.reference.sectors import load_sectors
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES

# Any partner scope: publishing vacancies, searching candidates and reporting placements
# all use these codes (or show them).
PARTNER_SCOPES = ("candidates:read", "vacancies:write", "placements:write")
PEOPLE = tuple(Role)
_CACHE = "private, max-age=3600"

router = APIRouter(tags=["reference"], responses=PROBLEM_RESPONSES)
partner_router = APIRouter(tags=["partner"], responses=PROBLEM_RESPONSES)


@router.get(
    "/v1/sectors",
    response_model=SectorListRead,
    summary="The sector codes with their Dutch and English labels",
)
def list_sectors(
    response: Response,
    principal: Principal = Depends(requires(roles=PEOPLE)),
) -> SectorListRead:
    """Every code a claim, a partner profile or a vacancy filter accepts."""
    response.headers["Cache-Control"] = _CACHE
    return SectorListRead.of(load_sectors())


@partner_router.get(
    "/partner/v1/sectors",
    response_model=SectorListRead,
    summary="The sector codes with their Dutch and English labels",
)
def list_partner_sectors(
    response: Response,
    principal: Principal = Depends(partner_access(*PARTNER_SCOPES)),
) -> SectorListRead:
    """Every code vacancies, partner profiles and the candidate search use (any partner
    scope; counts towards the rate limit like every partner request)."""
    response.headers["Cache-Control"] = _CACHE
    return SectorListRead.of(load_sectors())
