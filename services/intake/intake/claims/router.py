"""HTTP API for claims (`/v1/claims`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response, status

from intake.claims import repository, service
from intake.claims.models import Claim
from intake.claims.schemas import ClaimCreate, ClaimRead, ClaimSearch
from intake.settings import IntakeSettings
from shared.bsn import BsnVault
from shared.events.common import RegistrationChannel
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=PROBLEM_RESPONSES)

REGISTER_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.ADMIN)
STAFF_READ_ROLES = (
    Role.COACH,
    Role.TEAM_LEAD,
    Role.BENEFITS_OFFICER,
    Role.TRIAGE_ANALYST,
    Role.ADMIN,
)
PARTNER_REGISTER_SCOPE = "claims:register"


def to_read(claim: Claim, vault: BsnVault) -> ClaimRead:
    """Response model with the BSN masked."""
    return ClaimRead(
        id=claim.id,
        status=claim.status,
        bsn_masked="******" + vault.decrypt(claim.bsn_ciphertext)[-3:],
        first_ww_day=claim.first_ww_day,
        postcode=claim.postcode,
        office_code=claim.office_code,
        date_of_birth=claim.date_of_birth,
        channel=claim.channel,
        registered_at=claim.registered_at,
    )


def _channel(principal: Principal) -> RegistrationChannel:
    if principal.kind == "application":
        return RegistrationChannel.TEMP_AGENCY
    if principal.roles == {Role.CLAIMANT}:
        return RegistrationChannel.CLAIMANT
    return RegistrationChannel.STAFF


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimRead,
    summary="Register a WW claim",
    responses={409: PROBLEM_RESPONSES[422] | {"description": "An open claim exists for this BSN"}},
)
def register_claim(
    body: ClaimCreate,
    response: Response,
    principal: Principal = Depends(requires(roles=REGISTER_ROLES, scopes=[PARTNER_REGISTER_SCOPE])),
    container: ServiceContainer = Depends(get_container),
) -> ClaimRead:
    """Register a claim; emits `claim.registered` through the outbox."""
    settings = container.settings
    assert isinstance(settings, IntakeSettings)
    channel = _channel(principal)
    with container.uow() as uow:
        claim = service.register_claim(
            uow=uow,
            data=body,
            actor=principal.as_actor(),
            channel=channel,
            claimant_subject=principal.subject if channel is RegistrationChannel.CLAIMANT else None,
            vault=container.bsn,
            offices=load_offices(),
            settings=settings,
            today=dt.date.today(),
        )
    response.headers["Location"] = f"/v1/claims/{claim.id}"
    return to_read(claim, container.bsn)


@router.get("/{claim_id}", response_model=ClaimRead, summary="Get one claim")
def get_claim(
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=(*STAFF_READ_ROLES, Role.CLAIMANT))),
    container: ServiceContainer = Depends(get_container),
) -> ClaimRead:
    """Staff see any claim; a claimant only their own (others answer 404)."""
    own_only = principal.subject if not principal.has_role(*STAFF_READ_ROLES) else None
    with container.uow() as uow:
        claim = service.get_claim(
            uow=uow, claim_id=claim_id, actor=principal.as_actor(), claimant_subject=own_only
        )
    return to_read(claim, container.bsn)


@router.get("", response_model=Page[ClaimRead], summary="List claims (staff)")
def list_claims(
    office_code: str | None = Query(None, max_length=10),
    claim_status: Literal["open", "closed"] | None = Query(None, alias="status"),
    first_ww_day_from: dt.date | None = None,
    first_ww_day_to: dt.date | None = None,
    sort: Literal[
        "registered_at", "-registered_at", "first_ww_day", "-first_ww_day"
    ] = "-registered_at",
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=STAFF_READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[ClaimRead]:
    """Filtered, sorted, paginated list."""
    with container.uow() as uow:
        rows, total = repository.list_claims(
            uow.session,
            office_code=office_code,
            status=claim_status,
            first_ww_day_from=first_ww_day_from,
            first_ww_day_to=first_ww_day_to,
            sort=sort,
            limit=page.limit,
            offset=page.offset,
        )
        uow.audit(
            actor=principal.as_actor(),
            action="claim.list",
            resource_type="claim",
            resource_id=f"page:{page.offset}",
        )
        uow.commit()
    return Page[ClaimRead](
        items=[to_read(c, container.bsn) for c in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/search", response_model=list[ClaimRead], summary="Find claims by BSN (staff)")
def search_claims(
    body: ClaimSearch,
    principal: Principal = Depends(requires(roles=STAFF_READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> list[ClaimRead]:
    """Look up by BSN via its keyed hash; POST so the BSN never appears in a URL."""
    with container.uow() as uow:
        claims = service.search_by_bsn(
            uow=uow, bsn=body.bsn, actor=principal.as_actor(), vault=container.bsn
        )
    return [to_read(c, container.bsn) for c in claims]
