"""Partner-client administration (`/v1/partner-clients`, admins) and the OAuth2 token
endpoint (`/partner/v1/oauth/token`, partner applications)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any, Literal
from urllib.parse import parse_qs, unquote

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from coaching.partner.access import partner_now, partner_signing_key
from coaching.partner.clients import service
from coaching.partner.clients.models import PartnerClient
from coaching.partner.clients.schemas import (
    OAuthError,
    PartnerClientCreate,
    PartnerClientRead,
    PartnerClientSuspend,
    PartnerClientUpdate,
    PartnerClientWithSecret,
    SecretRotate,
    TokenResponse,
)
from coaching.settings import CoachingSettings
from shared.logging import get_logger
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_JSON, PROBLEM_RESPONSES, RateLimited, problem_response

log = get_logger(__name__)

admin_router = APIRouter(
    prefix="/v1/partner-clients", tags=["partner admin"], responses=PROBLEM_RESPONSES
)
token_router = APIRouter(prefix="/partner/v1/oauth", tags=["partner"])

ADMIN = (Role.ADMIN,)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _settings(container: ServiceContainer) -> CoachingSettings:
    settings = container.settings
    assert isinstance(settings, CoachingSettings)
    return settings


def _defaults(container: ServiceContainer) -> service.Defaults:
    s = _settings(container)
    return service.Defaults(
        requests_per_minute=s.partner_default_requests_per_minute,
        daily_profile_cap=s.partner_default_daily_profile_cap,
        rotation_overlap_hours=s.partner_default_rotation_overlap_hours,
    )


def _with_secret(client: PartnerClient, secret: str) -> PartnerClientWithSecret:
    return PartnerClientWithSecret(**service.to_read(client).model_dump(), client_secret=secret)


@admin_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerClientWithSecret,
    summary="Register a partner client",
)
def create_client(
    body: PartnerClientCreate,
    response: Response,
    principal: Principal = Depends(requires(roles=ADMIN)),
    container: ServiceContainer = Depends(get_container),
) -> PartnerClientWithSecret:
    """Admins register a temp agency's application; the answer shows its secret, once."""
    with container.uow() as uow:
        client, secret = service.create_client(
            uow=uow,
            data=body,
            principal=principal,
            defaults=_defaults(container),
            now=partner_now(container),
        )
    response.headers.update(_NO_STORE)
    response.headers["Location"] = f"/v1/partner-clients/{client.client_id}"
    return _with_secret(client, secret)


@admin_router.get("", response_model=Page[PartnerClientRead], summary="List partner clients")
def list_clients(
    status_: Literal["active", "suspended"] | None = Query(None, alias="status"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=ADMIN)),
    container: ServiceContainer = Depends(get_container),
) -> Page[PartnerClientRead]:
    """Clients by name, optionally only active or suspended ones."""
    with container.uow() as uow:
        return service.list_clients(uow=uow, page=page, status=status_)


@admin_router.get("/{client_id}", response_model=PartnerClientRead, summary="Get a partner client")
def get_client(
    client_id: str,
    principal: Principal = Depends(requires(roles=ADMIN)),
    container: ServiceContainer = Depends(get_container),
) -> PartnerClientRead:
    """One client (without its secret)."""
    with container.uow() as uow:
        return service.to_read(service.get_client(uow=uow, client_id=client_id))


@admin_router.patch(
    "/{client_id}", response_model=PartnerClientRead, summary="Update a partner client"
)
def update_client(
    client_id: str,
    body: PartnerClientUpdate,
    principal: Principal = Depends(requires(roles=ADMIN)),
    container: ServiceContainer = Depends(get_container),
) -> PartnerClientRead:
    """Name, scopes and limits; a removed scope stops working on the next request."""
    with container.uow() as uow:
        return service.to_read(
            service.update_client(
                uow=uow,
                client_id=client_id,
                data=body,
                principal=principal,
                now=partner_now(container),
            )
        )


@admin_router.post(
    "/{client_id}/rotate-secret",
    response_model=PartnerClientWithSecret,
    summary="Rotate a partner client's secret",
)
def rotate_secret(
    client_id: str,
    response: Response,
    body: SecretRotate | None = None,
    principal: Principal = Depends(requires(roles=ADMIN)),
    container: ServiceContainer = Depends(get_container),
) -> PartnerClientWithSecret:
    """A new secret, shown once; the old one keeps working for `overlap_hours` (default 24,
    at most 168)."""
    overlap = body.overlap_hours if body and body.overlap_hours is not None else None
    if overlap is None:
        overlap = _defaults(container).rotation_overlap_hours
    with container.uow() as uow:
        client, secret = service.rotate_secret(
            uow=uow,
            client_id=client_id,
            overlap_hours=overlap,
            principal=principal,
            now=partner_now(container),
        )
    response.headers.update(_NO_STORE)
    return _with_secret(client, secret)


@admin_router.post(
    "/{client_id}/suspend",
    response_model=PartnerClientRead,
    summary="Suspend a partner client",
    responses={409: {"description": "Already suspended"}},
)
def suspend_client(
    client_id: str,
    body: PartnerClientSuspend,
    principal: Principal = Depends(requires(roles=ADMIN)),
    container: ServiceContainer = Depends(get_container),
) -> PartnerClientRead:
    """Refuse the client's next request and every token request until resumed."""
    with container.uow() as uow:
        return service.to_read(
            service.suspend_client(
                uow=uow,
                client_id=client_id,
                reason=body.reason,
                principal=principal,
                now=partner_now(container),
            )
        )


@admin_router.post(
    "/{client_id}/resume",
    response_model=PartnerClientRead,
    summary="Resume a suspended partner client",
    responses={409: {"description": "Not suspended"}},
)
def resume_client(
    client_id: str,
    principal: Principal = Depends(requires(roles=ADMIN)),
    container: ServiceContainer = Depends(get_container),
) -> PartnerClientRead:
    """Lift a suspension."""
    with container.uow() as uow:
        return service.to_read(
            service.resume_client(
                uow=uow, client_id=client_id, principal=principal, now=partner_now(container)
            )
        )


# --- token endpoint ---------------------------------------------------------------------------


def _oauth_error(exc: service.OAuthTokenError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="partner", charset="UTF-8"'
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers=headers,
    )


def _throttled(request: Request, exc: service.TokenThrottledError) -> JSONResponse:
    """429 problem+json: the one answer of this endpoint that is not OAuth2 JSON, since
    RFC 6749 defines no error for it and HTTP clients know 429 and Retry-After."""
    response = problem_response(
        status=RateLimited.status,
        slug=RateLimited.slug,
        title=RateLimited.title,
        detail=(
            f"more than {exc.limit} failed client authentications from this address in "
            f"{exc.window_s} s: retry after {exc.retry_after} s"
        ),
        instance=request.url.path,
    )
    response.headers.update({**_NO_STORE, "Retry-After": str(exc.retry_after)})
    return response


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """RFC 6749 2.3.1: Basic with form-urlencoded id and secret; None if not Basic."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise service.OAuthTokenError(
            "invalid_client", "malformed Basic credentials", status=401
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise service.OAuthTokenError("invalid_client", "malformed Basic credentials", status=401)
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def _form(raw: bytes, content_type: str) -> dict[str, str]:
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise service.OAuthTokenError(
            "invalid_request", "the body must be application/x-www-form-urlencoded"
        )
    try:
        parsed = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise service.OAuthTokenError("invalid_request", "the body is not UTF-8") from None
    if any(len(values) > 1 for values in parsed.values()):
        raise service.OAuthTokenError("invalid_request", "a parameter is repeated")
    return {k: v[0] for k, v in parsed.items()}


_TOKEN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {
                            "type": "string",
                            "description": "Unless sent with HTTP Basic authentication",
                        },
                        "client_secret": {
                            "type": "string",
                            "description": "Unless sent with HTTP Basic authentication",
                        },
                        "scope": {
                            "type": "string",
                            "description": "Space-separated subset of the client's scopes "
                            "(default: all of them)",
                        },
                    },
                }
            }
        },
    }
}


def _error_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": OAuthError,
    }


@token_router.post(
    "/token",
    response_model=TokenResponse,
    summary="Get an access token (OAuth2 client credentials)",
    openapi_extra=_TOKEN_BODY,
    responses={
        400: _error_doc(
            "OAuth2 error (RFC 6749 5.2): invalid_request, unsupported_grant_type, "
            "invalid_grant (suspended client) or invalid_scope"
        ),
        401: _error_doc("OAuth2 error invalid_client: unknown client or wrong secret"),
        429: {
            "description": "Too many failed client authentications from this address "
            "(problem+json, with Retry-After in seconds)",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    },
)
async def token(
    request: Request, container: ServiceContainer = Depends(get_container)
) -> JSONResponse:
    """Exchange client credentials (form fields or HTTP Basic) for a short-lived bearer token.

    This endpoint answers errors in the OAuth2 format `{"error", "error_description"}`
    (RFC 6749 section 5.2), not as problem+json, because OAuth2 client libraries expect it.
    """
    try:
        form = _form(await request.body(), request.headers.get("content-type", ""))
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic is not None and ("client_id" in form or "client_secret" in form):
            raise service.OAuthTokenError(
                "invalid_request", "use one client authentication method, not both"
            )
        client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
        settings = _settings(container)
        signer = service.TokenSigner(
            key=partner_signing_key(container),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            ttl=dt.timedelta(minutes=settings.partner_token_ttl_minutes),
        )

        throttle = service.TokenThrottle(
            failures=settings.partner_token_failures_per_window,
            window_s=settings.partner_token_failure_window_s,
            address=request.client.host if request.client else "unknown",
        )

        def run() -> service.IssuedToken:
            with container.uow() as uow:
                return service.issue_token(
                    uow=uow,
                    grant_type=form.get("grant_type"),
                    client_id=client_id,
                    client_secret=client_secret,
                    scope=form.get("scope"),
                    signer=signer,
                    now=partner_now(container),
                    throttle=throttle,
                )

        issued = await run_in_threadpool(run)
    except service.OAuthTokenError as exc:
        log.info("partner.token_refused", error=exc.error)
        return _oauth_error(exc)
    except service.TokenThrottledError as exc:
        return _throttled(request, exc)
    body = TokenResponse(
        access_token=issued.access_token,
        token_type="Bearer",
        expires_in=issued.expires_in,
        scope=" ".join(issued.scopes),
    )
    return JSONResponse(body.model_dump(), headers=_NO_STORE)
