"""Partner webhook endpoints and their deliveries on the shared delivery mechanism.

A webhook delivery is a `shared.delivery` row (ADR 0028): the same claim, send and record
steps, retries, give-up state and delivery log as the claimant messages, on coaching's
own tables `webhook_deliveries` and `webhook_attempts`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow
from shared.delivery import DeliveryAttemptMixin, DeliveryMixin, DeliveryStatus

# The delivery statuses stored (shared.delivery); the partner API shows them as
# pending / delivered / failed (`schemas.partner_status`).
PENDING = DeliveryStatus.PENDING.value
SENT = DeliveryStatus.SENT.value
FAILED = DeliveryStatus.FAILED.value
BOUNCED = DeliveryStatus.BOUNCED.value

# The channel of every webhook delivery (the key of its sender in `deliver_due`).
CHANNEL = "webhook"

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


class WebhookDelivery(DeliveryMixin, Base):
    """One event for one client: written in the transaction of the change (outbox style),
    sent by `service.deliver_due` through `shared.delivery`.

    `dedupe_key` is `"{event id}:{client_id}"`: the same event queued twice for a client
    adds nothing."""

    __tablename__ = "webhook_deliveries"
    # Replaces the mixin's table args (its one index is repeated here) to add the log's.
    __table_args__ = (
        # The dispatcher's due rows.
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        # A client's own delivery log, newest first.
        Index("ix_webhook_deliveries_client_created", "client_id", "created_at"),
    )

    client_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class WebhookAttempt(DeliveryAttemptMixin, Base):
    """The delivery log: one row per attempt of a webhook delivery (append-only)."""

    __tablename__ = "webhook_attempts"
