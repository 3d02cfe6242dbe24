"""HTTP API of partner profiles (claimant consent), the partner candidate search and the
partner webhooks. One module so `coaching.main` registers one router (`router`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from coaching.partner.access import partner_access
from coaching.partner.candidates import service
from coaching.partner.candidates.schemas import (
    CandidateFilters,
    CandidatePage,
    CandidateRead,
    PartnerProfileRead,
    PartnerProfileUpdate,
    Region,
    Sector,
    Skill,
)
from coaching.partner.candidates.service import DailyCapReached
from coaching.partner.webhooks import service as webhooks
from coaching.partner.webhooks.schemas import (
    DeliveryRunRead,
    WebhookAttemptRead,
    WebhookAttemptsRead,
    WebhookDeliveryRead,
    WebhookRead,
    WebhookRegistered,
    WebhookUpdate,
)
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc, problem_response
from shared.web.validation import Day

router = APIRouter(responses=PROBLEM_RESPONSES)

PROFILE_READ_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)
CANDIDATES_READ = "candidates:read"
TAG_PARTNER = "partner"
TAG_ADMIN = "partner admin"

_partner = partner_access(CANDIDATES_READ)
_RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Daily cap of profiles reached; `Retry-After` says until local midnight",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


def _client(principal: Principal) -> str:
    return principal.client_id or principal.subject


def _too_many(request: Request, exc: DailyCapReached) -> JSONResponse:
    # The shared Problem handler sends no headers but WWW-Authenticate; the 429 needs
    # Retry-After, so this one response is built here (same body as the handler's).
    response = problem_response(
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        **exc.extra,
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


# -- the claimant's consent and profile -------------------------------------------------


@router.get(
    "/v1/cases/{claim_id}/partner-profile",
    response_model=PartnerProfileRead,
    tags=["cases"],
    summary="The claimant's profile for temp agencies and their consent",
)
def get_partner_profile(
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=PROFILE_READ_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> PartnerProfileRead:
    """The claimant their own case; a coach, team lead or admin who may see the case
    (read-only). `none` and empty until the claimant sets it. Audited."""
    with container.uow() as uow:
        return service.get_profile(uow=uow, claim_id=claim_id, principal=principal)


@router.put(
    "/v1/cases/{claim_id}/partner-profile",
    responses=conflict_doc(
        "the case is closed: a profile is shown (anonymous, named) only while open"
    ),
    response_model=PartnerProfileRead,
    tags=["cases"],
    summary="Set the consent (none, anonymous, named) and the profile temp agencies see",
)
def put_partner_profile(
    claim_id: uuid.UUID,
    body: PartnerProfileUpdate,
    principal: Principal = Depends(requires(roles=(Role.CLAIMANT,))),
    container: ServiceContainer = Depends(get_container),
) -> PartnerProfileRead:
    """The claimant only, for their own case (others 404): consent is theirs to give.
    Effective at once and audited; `none` withdraws consent (agencies that saw the
    candidate get `consent.withdrawn`). 409 showing a profile of a closed case."""
    with container.uow() as uow:
        return service.set_profile(uow=uow, claim_id=claim_id, principal=principal, body=body)


# -- the partner candidate search -------------------------------------------------------


@router.get(
    "/partner/v1/candidates",
    response_model=CandidatePage,
    tags=[TAG_PARTNER],
    summary="Search consenting candidates",
    responses=_RATE_LIMITED,
)
def search_candidates(
    request: Request,
    response: Response,
    sector: Annotated[Sector | None, Query()] = None,
    region: Annotated[Region | None, Query(description="2-digit postcode region")] = None,
    skills: Annotated[list[Skill], Query(max_length=10)] = [],  # noqa: B006 (FastAPI copies)
    skills_match: Annotated[
        Literal["any", "all"], Query(description="any: one of the skills; all: every one")
    ] = "any",
    min_hours: Annotated[int | None, Query(ge=1, le=48)] = None,
    max_hours: Annotated[int | None, Query(ge=1, le=48)] = None,
    available_before: Annotated[
        Day | None, Query(description="available on or before this day")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 20,
    after: Annotated[
        uuid.UUID | None, Query(description="`next_cursor` of the page before")
    ] = None,
    principal: Principal = Depends(_partner),
    container: ServiceContainer = Depends(get_container),
) -> CandidatePage | JSONResponse:
    """Consenting claimants with open cases only, without BSN, claim or case id, and
    without a name unless they chose `named`. Sorted by `candidate_ref` (stable); page
    with `after`. Every query is logged; the profiles shown count towards the client's
    daily cap (429 with `Retry-After` once reached)."""
    filters = CandidateFilters(
        sector=sector,
        region=region,
        skills=tuple(dict.fromkeys(skills)),
        skills_match=skills_match,
        min_hours=min_hours,
        max_hours=max_hours,
        available_before=available_before,
    )
    response.headers["Cache-Control"] = "no-store"
    with container.uow() as uow:
        try:
            items, cursor = service.search(
                uow=uow, client_id=_client(principal), filters=filters, after=after, limit=limit
            )
        except DailyCapReached as exc:
            return _too_many(request, exc)
    return CandidatePage(items=items, limit=limit, next_cursor=cursor)


@router.get(
    "/partner/v1/candidates/{candidate_ref}",
    response_model=CandidateRead,
    tags=[TAG_PARTNER],
    summary="One consenting candidate",
    responses=_RATE_LIMITED,
)
def get_candidate(
    candidate_ref: uuid.UUID,
    request: Request,
    response: Response,
    principal: Principal = Depends(_partner),
    container: ServiceContainer = Depends(get_container),
) -> CandidateRead | JSONResponse:
    """404 unless the candidate can be found now (consent, open case). Counts towards the
    daily cap unless shown to the client today already; logged."""
    response.headers["Cache-Control"] = "no-store"
    with container.uow() as uow:
        try:
            return service.view(uow=uow, client_id=_client(principal), candidate_ref=candidate_ref)
        except DailyCapReached as exc:
            return _too_many(request, exc)


# -- partner webhooks --------------------------------------------------------------------


@router.put(
    "/partner/v1/webhook",
    response_model=WebhookRegistered,
    tags=[TAG_PARTNER],
    summary="Register (or replace) the webhook endpoint; returns a new signing secret",
)
def put_webhook(
    body: WebhookUpdate,
    principal: Principal = Depends(_partner),
    container: ServiceContainer = Depends(get_container),
) -> WebhookRegistered:
    """https only (http to 127.0.0.1/localhost outside production). The secret is shown
    once; PUT again to rotate it (effective at once)."""
    with container.uow() as uow:
        row, secret = webhooks.register(
            uow=uow,
            client_id=_client(principal),
            url=body.url,
            allow_local_http=container.settings.environment != "prod",
            actor=principal.as_actor(),
        )
        return WebhookRegistered(
            url=row.url, created_at=row.created_at, updated_at=row.updated_at, secret=secret
        )


@router.get(
    "/partner/v1/webhook",
    response_model=WebhookRead,
    tags=[TAG_PARTNER],
    summary="The registered webhook endpoint (without the secret)",
)
def get_webhook(
    principal: Principal = Depends(_partner),
    container: ServiceContainer = Depends(get_container),
) -> WebhookRead:
    """404 when none is registered."""
    with container.uow() as uow:
        return WebhookRead.model_validate(webhooks.get(uow=uow, client_id=_client(principal)))


@router.delete(
    "/partner/v1/webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=[TAG_PARTNER],
    summary="Remove the webhook endpoint",
)
def delete_webhook(
    principal: Principal = Depends(_partner),
    container: ServiceContainer = Depends(get_container),
) -> Response:
    """404 when none is registered; deliveries still pending then fail."""
    with container.uow() as uow:
        webhooks.remove(uow=uow, client_id=_client(principal), actor=principal.as_actor())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/partner/v1/webhook-deliveries",
    response_model=Page[WebhookDeliveryRead],
    tags=[TAG_PARTNER],
    summary="The client's own webhook delivery log",
)
def list_webhook_deliveries(
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(_partner),
    container: ServiceContainer = Depends(get_container),
) -> Page[WebhookDeliveryRead]:
    """Newest first, with every attempt's outcome."""
    with container.uow() as uow:
        rows, total = webhooks.list_deliveries(
            uow=uow, client_id=_client(principal), limit=page.limit, offset=page.offset
        )
        items = [WebhookDeliveryRead.model_validate(r) for r in rows]
    return Page[WebhookDeliveryRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/partner/v1/webhook-deliveries/{delivery_id}/attempts",
    response_model=WebhookAttemptsRead,
    tags=[TAG_PARTNER],
    summary="Every attempt of one of the client's webhook deliveries (the attempts log)",
)
def list_webhook_attempts(
    delivery_id: uuid.UUID,
    principal: Principal = Depends(_partner),
    container: ServiceContainer = Depends(get_container),
) -> WebhookAttemptsRead:
    """One entry per attempt with its outcome, your endpoint's status code or the error;
    404 when the delivery is not yours."""
    with container.uow() as uow:
        rows = webhooks.list_attempts(
            uow=uow, client_id=_client(principal), delivery_id=delivery_id
        )
        items = [WebhookAttemptRead.model_validate(r) for r in rows]
    return WebhookAttemptsRead(delivery_id=delivery_id, items=items)


@router.post(
    "/v1/admin/partner-webhooks/run",
    response_model=DeliveryRunRead,
    tags=[TAG_ADMIN],
    summary="Send the webhook deliveries due now (as the `ww jobs webhooks` job does)",
)
def run_webhooks(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: ServiceContainer = Depends(get_container),
) -> DeliveryRunRead:
    """Admin only."""
    run = webhooks.deliver_due(
        container.uow,
        limit=limit,
        allow_local_http=container.settings.environment != "prod",
        registry=container.metrics.registry,
    )
    # `failed` counts every delivery that ended undelivered in this run: given up after the
    # last retry or bounced (no endpoint), as this endpoint always has.
    return DeliveryRunRead(
        attempted=run.attempted,
        delivered=run.delivered,
        retrying=run.retrying,
        failed=run.failed + run.bounced,
    )
