"""HTTP API for claims (`/v1/claims`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal, NamedTuple

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status

from intake.access import service as access
from intake.claims import lifecycle, service
from intake.claims.idempotency import IdempotencyRequest, RegistrationResponse
from intake.claims.models import Claim
from intake.claims.refusals import RegistrationCaller, RegistrationThrottledError
from intake.claims.schemas import (
    ClaimCreate,
    ClaimFilter,
    ClaimRead,
    ClaimSearch,
    ClaimSort,
    ClaimUpdate,
    ClaimWithdraw,
)
from intake.deps import Container, Settings, Today
from intake.settings import IntakeSettings
from shared.bsn import BsnVault, InvalidBSNError, mask_bsn, normalize_bsn
from shared.events.common import RegistrationChannel
from shared.reference import load_offices
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import MAX_LIMIT, Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES
from shared.web.validation import Day, Moment

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
REGISTER_ENDPOINT = "POST /v1/claims"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{1,100}$"


def to_read(claim: Claim, vault: BsnVault) -> ClaimRead:
    """Response model with the BSN masked."""
    return service.read_model(claim, bsn_masked=mask_bsn(vault.decrypt(claim.bsn_ciphertext)))


def _channel(principal: Principal) -> RegistrationChannel:
    if principal.kind == "application":
        return RegistrationChannel.TEMP_AGENCY
    if principal.roles == {Role.CLAIMANT}:
        return RegistrationChannel.CLAIMANT
    return RegistrationChannel.STAFF


def _office_scope(principal: Principal) -> str | None:
    """The office a team lead is confined to; None when the caller's view is not office-bound.

    Only a caller whose sole staff role is team lead is confined, and only when the token
    names an office; other staff roles (and admins) see every office.
    """
    staff_roles = principal.roles & set(STAFF_READ_ROLES)
    if staff_roles == {Role.TEAM_LEAD} and principal.office:
        return principal.office
    return None


def _caller(
    principal: Principal, channel: RegistrationChannel, settings: IntakeSettings
) -> RegistrationCaller:
    """Staff, or a claimant (with the BSN of their sign-in) or partner application, whose
    refusals are rate-limited and whose 409 names no claim (ADR 0025)."""
    if channel is not RegistrationChannel.CLAIMANT:
        return RegistrationCaller(
            staff=channel is RegistrationChannel.STAFF,
            limited=(channel is not RegistrationChannel.STAFF),
        )
    raw = principal.claims.get(settings.claimant_bsn_claim)
    try:
        signed_in = normalize_bsn(raw) if isinstance(raw, str) else None
    except InvalidBSNError:
        signed_in = None  # a broker sending junk: treated as no BSN (403), never echoed
    return RegistrationCaller(staff=False, limited=True, signed_in_bsn=signed_in)


_CREATED_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Registered; `Location` names the claim. A retry with the same "
        "`Idempotency-Key` and body replays this response (same status, body and Location) "
        "with `Idempotent-Replayed: true`",
    },
    403: PROBLEM_RESPONSES[422]
    | {
        "description": "`forbidden`: the role or scope may not register, or a claimant token "
        "carries no BSN; `not-own-bsn`: a claimant sent a BSN other than their sign-in's"
    },
    409: PROBLEM_RESPONSES[422]
    | {
        "description": "`open-claim-exists`: the BSN has an open claim (`existing_claim_id` "
        "only for staff; claimants and partner applications learn nothing about the claim); "
        "`idempotency-key-in-progress`: retry shortly"
    },
    429: PROBLEM_RESPONSES[422]
    | {
        "description": "`rate-limited`: a claimant or partner application had too many refused "
        "registrations in the window (settings); `Retry-After` says how many seconds to wait"
    },
    422: PROBLEM_RESPONSES[422]
    | {
        "description": "`validation-error` naming each field, or `idempotency-key-reuse` when "
        "the key was used for a different body"
    },
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimRead,
    summary="Register a WW claim",
    responses=_CREATED_RESPONSES,
)
def register_claim(
    body: ClaimCreate,
    container: Container,
    settings: Settings,
    today: Today,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Optional; 1-100 characters `A-Z a-z 0-9 _ - : .`. A retry with the same "
        "key and body replays the first response for 24 hours (configurable); the same key "
        "with another body is 422 `idempotency-key-reuse`. Keys are private to the caller.",
    ),
    principal: Principal = Depends(requires(roles=REGISTER_ROLES, scopes=[PARTNER_REGISTER_SCOPE])),
) -> Response:
    """Register a claim; emits `claim.registered` through the outbox.

    The channel follows from the caller: `claimant` (the claimant's own token), `staff`,
    `employer` (staff with `registered_by_employer`) or `temp_agency` (partner application).
    A claimant registers the BSN of their sign-in (the token's `bsn` claim), never another;
    claimants and partner applications learn no claim id from a 409, and their refused
    attempts are audited and rate-limited (ADR 0025).
    """
    channel = _channel(principal)
    actor = principal.as_actor()
    try:
        with container.uow() as uow:
            result = service.register_claim(
                uow=uow,
                data=body,
                actor=actor,
                channel=channel,
                claimant_subject=principal.subject
                if channel is RegistrationChannel.CLAIMANT
                else None,
                vault=container.bsn,
                offices=load_offices(),
                settings=settings,
                today=today,
                idempotency=_idempotency(
                    idempotency_key, container, settings, subject=actor.subject
                ),
                caller=_caller(principal, channel, settings),
            )
    except RegistrationThrottledError as exc:
        # The one problem with a header: Retry-After (RFC 9110), as the partner API does.
        raise HTTPException(
            status_code=429, detail=exc.detail, headers={"Retry-After": str(exc.retry_after)}
        ) from None
    return _registered(result)


def _idempotency(
    idempotency_key: str | None, container: Container, settings: IntakeSettings, *, subject: str
) -> IdempotencyRequest | None:
    """The registration's `Idempotency-Key`, scoped to the caller; None without one."""
    if idempotency_key is None:
        return None
    return IdempotencyRequest(
        # Stored and looked up as a keyed hash: the key as sent never reaches the table.
        key=container.idempotency_keys.digest(idempotency_key),
        subject=subject,
        endpoint=REGISTER_ENDPOINT,
        ttl=dt.timedelta(hours=settings.idempotency_key_ttl_hours),
        now=dt.datetime.now(dt.UTC),
    )


def _registered(result: RegistrationResponse) -> Response:
    """The 201 as registered or as replayed (`Idempotent-Replayed: true`), body verbatim."""
    headers = {"Location": result.location} if result.location else {}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        content=result.body,
        status_code=result.status,
        media_type="application/json",
        headers=headers,
    )


@router.get("/{claim_id}", response_model=ClaimRead, summary="Get one claim")
def get_claim(
    claim_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=(*STAFF_READ_ROLES, Role.CLAIMANT))),
) -> ClaimRead:
    """Need to know (ADR 0022): a claimant their own claim; a coach their office's, their
    caseload's and the claims whose intake they hold; a team lead their office's; benefits
    officers, triage analysts and admins every claim. Others do not exist for the caller
    (404), unless a coach or team lead states a reason in `X-Break-Glass-Reason` (audited as
    `claim.read.break_glass`, shown in the claim's access log)."""
    own_only = principal.subject if not principal.has_role(*STAFF_READ_ROLES) else None
    with container.uow() as uow:
        claim = service.get_claim(
            uow=uow,
            claim_id=claim_id,
            actor=principal.as_actor(),
            claimant_subject=own_only,
            scope=access.scope_for(uow, principal),
        )
    return to_read(claim, container.bsn)


class ClaimQuery(NamedTuple):
    """The filters and the sort order of `GET /v1/claims`."""

    filters: ClaimFilter
    sort: ClaimSort


def claim_query(
    office_code: str | None = Query(None, max_length=10),
    claim_status: Literal["open", "closed", "withdrawn"] | None = Query(None, alias="status"),
    first_ww_day_from: Day | None = None,
    first_ww_day_to: Day | None = None,
    registered_from: Moment | None = Query(
        None, description="Registered at or after (ISO 8601 with offset)"
    ),
    registered_to: Moment | None = Query(
        None, description="Registered before (ISO 8601 with offset)"
    ),
    channel: RegistrationChannel | None = None,
    family_name: str | None = Query(
        None, min_length=1, max_length=100, description="Case-insensitive prefix"
    ),
    needs_attention: bool | None = Query(
        None, description="Only claims flagged for the coach (e.g. a repeated no-show), or not"
    ),
    claim_ids: list[uuid.UUID] | None = Query(
        None,
        alias="id",
        max_length=MAX_LIMIT,
        description="Only these claims (repeat the parameter, at most 200): one call for the "
        "names of a page of cases, e.g. the web's caseload",
    ),
    sort: ClaimSort = "-registered_at",
) -> ClaimQuery:
    """The list's query parameters (their names and order are the OpenAPI document's)."""
    filters = ClaimFilter(
        office_code=office_code,
        status=claim_status,
        first_ww_day_from=first_ww_day_from,
        first_ww_day_to=first_ww_day_to,
        registered_from=registered_from,
        registered_to=registered_to,
        channel=channel,
        family_name=family_name,
        needs_attention=needs_attention,
        ids=claim_ids,
    )
    return ClaimQuery(filters, sort)


@router.get(
    "",
    response_model=Page[ClaimRead],
    summary="List claims (staff; a claimant their own)",
)
def list_claims(
    container: Container,
    query: ClaimQuery = Depends(claim_query),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=(*STAFF_READ_ROLES, Role.CLAIMANT))),
) -> Page[ClaimRead]:
    """Filtered, sorted, paginated list of the claims the caller may see (as `GET
    /v1/claims/{id}`: a claimant the claims they registered themselves); with
    `X-Break-Glass-Reason` every claim, each one on the page outside the caller's scope
    audited as `claim.list.break_glass`."""
    with container.uow() as uow:
        rows, total = service.list_claims(
            uow=uow,
            filters=query.filters,
            sort=query.sort,
            limit=page.limit,
            offset=page.offset,
            actor=principal.as_actor(),
            scope=access.scope_for(uow, principal),
        )
    return Page[ClaimRead](
        items=[to_read(c, container.bsn) for c in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/search", response_model=list[ClaimRead], summary="Find claims by BSN (staff)")
def search_claims(
    body: ClaimSearch,
    container: Container,
    principal: Principal = Depends(requires(roles=STAFF_READ_ROLES)),
) -> list[ClaimRead]:
    """Look up by BSN via its keyed hash; POST so the BSN never appears in a URL."""
    with container.uow() as uow:
        claims = service.search_by_bsn(
            uow=uow,
            bsn=body.bsn,
            actor=principal.as_actor(),
            vault=container.bsn,
            scope=access.scope_for(uow, principal),
        )
    return [to_read(c, container.bsn) for c in claims]


WRITE_ROLES = (Role.CLAIMANT, *lifecycle.STAFF_WRITE_ROLES)
_STATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: PROBLEM_RESPONSES[422]
    | {"description": "`conflict`: not allowed in the claim's state (`current_status`, `allowed`)"}
}


@router.post(
    "/{claim_id}/withdraw",
    response_model=ClaimRead,
    summary="Withdraw a claim (the claimant, or staff on their behalf)",
    responses=_STATE_RESPONSES,
)
def withdraw_claim(
    claim_id: uuid.UUID,
    body: ClaimWithdraw,
    container: Container,
    today: Today,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
) -> ClaimRead:
    """Withdraw an open claim: future intakes are cancelled, `claim.withdrawn` lets coaching
    close the case. Repeating it answers the same; a closed claim is 409."""
    now = dt.datetime.now(dt.UTC)
    with container.uow() as uow:
        claim = lifecycle.withdraw(
            uow=uow,
            claim_id=claim_id,
            data=body,
            principal=principal,
            today=today,
            now=now,
        )
    return to_read(claim, container.bsn)


@router.patch(
    "/{claim_id}",
    response_model=ClaimRead,
    summary="Change the claimant's details (address, phone, e-mail, language, unavailability)",
    responses=_STATE_RESPONSES,
)
def update_claim(
    claim_id: uuid.UUID,
    body: ClaimUpdate,
    container: Container,
    settings: Settings,
    principal: Principal = Depends(requires(roles=WRITE_ROLES)),
) -> ClaimRead:
    """Only the fields sent change; audited with old and new values; `claim.updated` names the
    changed fields. A move to another office's area re-plans a not-yet-held intake there."""
    with container.uow() as uow:
        claim = lifecycle.update(
            uow=uow,
            claim_id=claim_id,
            data=body,
            principal=principal,
            offices=load_offices(),
            settings=settings,
            now=dt.datetime.now(dt.UTC),
        )
    return to_read(claim, container.bsn)
