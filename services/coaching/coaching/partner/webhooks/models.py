"""Partner webhook endpoints and the delivery outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"

CONSENT_WITHDRAWN = "consent.withdrawn"
CANDIDATE_UNAVAILABLE = "candidate.unavailable"


class WebhookEndpoint(Base):
    """A partner client's webhook URL and signing secret (one per client).

    The secret is stored as issued: the dispatcher needs it to sign (HMAC), unlike a
    client secret, which only needs to be checked against a hash.
    """

    __tablename__ = "webhook_endpoints"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one client: written in the transaction of the change (outbox style),
    sent by `service.deliver_due`, retried with backoff until delivered or failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The dispatcher's due rows.
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        # A client's own delivery log, newest first.
        Index("ix_webhook_deliveries_client_created", "client_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
