"""Request and response models of partner-client administration and the token endpoint."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.bsn import FreeText
from shared.web.validation import MultiLine, RequestModel


class Scope(StrEnum):
    """What a partner client may do."""

    VACANCIES_WRITE = "vacancies:write"
    PLACEMENTS_WRITE = "placements:write"
    CANDIDATES_READ = "candidates:read"


MAX_OVERLAP_HOURS = 168  # a week: longer overlaps leave a leaked secret usable too long


class PartnerClientCreate(RequestModel):
    """A new partner client; omitted limits take the configured defaults."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: FreeText = Field(min_length=2, max_length=200, description="The agency's name")
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    requests_per_minute: int | None = Field(default=None, ge=1, le=100_000)
    daily_profile_cap: int | None = Field(default=None, ge=0, le=1_000_000)


class PartnerClientUpdate(RequestModel):
    """Partial update; omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: FreeText | None = Field(default=None, min_length=2, max_length=200)
    scopes: list[Scope] | None = Field(default=None, min_length=1, max_length=3)
    requests_per_minute: int | None = Field(default=None, ge=1, le=100_000)
    daily_profile_cap: int | None = Field(default=None, ge=0, le=1_000_000)


class SecretRotate(RequestModel):
    """How long the previous secret keeps working (default: the configured overlap)."""

    model_config = ConfigDict(extra="forbid")

    overlap_hours: int | None = Field(default=None, ge=0, le=MAX_OVERLAP_HOURS)


class PartnerClientSuspend(RequestModel):
    """Why a client is suspended."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[FreeText, MultiLine()] = Field(min_length=3, max_length=500)


class PartnerClientRead(BaseModel):
    """A partner client (never its secret or the secret's hash)."""

    client_id: str
    name: str
    scopes: list[str]
    requests_per_minute: int
    daily_profile_cap: int
    status: str
    suspension_reason: str | None
    suspended_at: dt.datetime | None
    previous_secret_expires_at: dt.datetime | None = Field(
        description="Until when the secret before the last rotation still works"
    )
    secret_rotated_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PartnerClientWithSecret(PartnerClientRead):
    """Creation and rotation answer: the only time the secret is ever shown."""

    client_secret: str = Field(description="Store it now: it cannot be retrieved later")


class TokenResponse(BaseModel):
    """RFC 6749 section 5.1 access token response."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    scope: str = Field(description="Granted scopes, space-separated")


class OAuthError(BaseModel):
    """RFC 6749 section 5.2 error response (not problem+json: OAuth2 clients expect this)."""

    error: str = Field(
        description="invalid_request, invalid_client, invalid_grant, unauthorized_client, "
        "unsupported_grant_type or invalid_scope"
    )
    error_description: str | None = None
