"""Request and response models of the partner webhooks."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.delivery import DeliveryStatus
from shared.web.validation import RequestModel

PartnerStatus = Literal["pending", "delivered", "failed"]

# The partner API keeps the three statuses it has always shown, whatever the shared
# delivery mechanism stores (ADR 0028): `sent` is shown as `delivered`; an attempt in
# flight (`sending`, `handed_over`) is still `pending`; every end without delivery
# (`failed` after the last retry, `bounced` when the endpoint was removed, and the
# `suppressed` / `unconfirmed` that webhooks never reach) is `failed`.
_PARTNER_STATUS: dict[str, PartnerStatus] = {
    DeliveryStatus.PENDING: "pending",
    DeliveryStatus.SENDING: "pending",
    DeliveryStatus.HANDED_OVER: "pending",
    DeliveryStatus.SENT: "delivered",
    DeliveryStatus.BOUNCED: "failed",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.SUPPRESSED: "failed",
    DeliveryStatus.UNCONFIRMED: "failed",
}


def partner_status(stored: str) -> PartnerStatus:
    """The status a partner sees for a stored delivery status."""
    return _PARTNER_STATUS[stored]


class WebhookUpdate(RequestModel):
    """Register or replace the client's endpoint (a new secret each time)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=2000,
        description="https URL receiving the events (http only to 127.0.0.1/localhost "
        "outside production)",
        examples=["https://agency.example.nl/hooks/ww"],
    )


class WebhookRead(BaseModel):
    """The registered endpoint (the secret is shown only when issued)."""

    model_config = ConfigDict(from_attributes=True)

    url: str
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookRegistered(WebhookRead):
    """The endpoint with its new signing secret: shown once, store it now."""

    secret: str = Field(description="HMAC-SHA256 key (its UTF-8 bytes); shown only once")


class WebhookDeliveryRead(BaseModel):
    """One event sent (or being sent) to the client's endpoint."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_type: Literal["consent.withdrawn", "candidate.unavailable"]
    payload: dict[str, Any]
    status: PartnerStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime

    @field_validator("status", mode="before")
    @classmethod
    def _partner_status(cls, value: str) -> str:
        # A stored status becomes the partner's; one already shown as such stays.
        return _PARTNER_STATUS.get(value, value)


class WebhookAttemptRead(BaseModel):
    """One attempt of one delivery (the attempts log)."""

    model_config = ConfigDict(from_attributes=True)

    attempt: int = Field(description="1 for the first attempt, then 2, 3, ...")
    outcome: Literal["sent", "retry", "bounced", "failed"] = Field(
        description="sent: your endpoint answered 2xx; retry: it did not (tried again "
        "after the backoff); failed: the last attempt did not either (given up); "
        "bounced: no endpoint was registered"
    )
    status_code: int | None = Field(description="your endpoint's HTTP status, if it answered")
    error: str | None
    at: dt.datetime


class WebhookAttemptsRead(BaseModel):
    """Every attempt of one delivery, first attempt first."""

    delivery_id: uuid.UUID
    items: list[WebhookAttemptRead]


class DeliveryRunRead(BaseModel):
    """What one dispatcher run did."""

    attempted: int
    delivered: int
    retrying: int
    failed: int
