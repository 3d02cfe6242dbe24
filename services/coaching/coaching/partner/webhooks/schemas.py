"""Request and response models of the partner webhooks."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.web.validation import RequestModel


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
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime


class DeliveryRunRead(BaseModel):
    """What one dispatcher run did."""

    attempted: int
    delivered: int
    retrying: int
    failed: int
