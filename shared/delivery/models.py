"""The columns every outbound delivery has, and the delivery log of its attempts.

A service maps `DeliveryMixin` on its own table next to what the delivery carries (a
message's template and recipient, a webhook's client and payload) and one
`DeliveryAttemptMixin` table as the log. Migrations create the same columns with
`delivery_columns()` and `attempt_log_columns()`, so the shape is written once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Integer, String, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.db.types import UTCDateTime, utcnow


class DeliveryStatus(StrEnum):
    """Where a delivery stands.

    pending: waiting for its (next) attempt. sending: an attempt was recorded and the
    provider is being called. handed_over: the provider has (or is being given) the
    complete message, e.g. the SMTP end-of-data was sent; a crash now leaves the outcome
    unknown. sent: the provider accepted it. bounced: the provider refused it for good
    (unknown address, invalid number). failed: given up after the last retry.
    suppressed: no longer wanted (e.g. the appointment was cancelled before the
    reminder went out). unconfirmed: a sender died after handing it over; it is not
    sent again by itself (that could send it twice), staff can resend.
    """

    PENDING = "pending"
    SENDING = "sending"
    HANDED_OVER = "handed_over"
    SENT = "sent"
    BOUNCED = "bounced"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    UNCONFIRMED = "unconfirmed"


FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.BOUNCED,
        DeliveryStatus.FAILED,
        DeliveryStatus.SUPPRESSED,
        DeliveryStatus.UNCONFIRMED,
    }
)


class DeliveryMixin:
    """The delivery state of one row (a message, a webhook call)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # One delivery per (event, channel, recipient): a redelivered event inserts nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # While an attempt is in flight: after this moment a sender presumes it died.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return delivery_indexes(cls.__tablename__)  # type: ignore[attr-defined]


def delivery_indexes(table: str) -> tuple[sa.Index, ...]:
    """The indexes every delivery table has (a table with its own `__table_args__` adds
    these to them)."""
    # The dispatcher's due rows.
    return (sa.Index(f"ix_{table}_status_next", "status", "next_attempt_at"),)


class DeliveryAttemptMixin:
    """One attempt of one delivery: the delivery log (append-only)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def delivery_columns() -> list[sa.Column[Any]]:
    """The `DeliveryMixin` columns, for a migration's `create_table`."""
    t = UTCDateTime(timezone=True)
    return [
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", t, nullable=True),
        sa.Column("lease_until", t, nullable=True),
        sa.Column("last_attempt_at", t, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("provider_message_id", sa.String(200), nullable=True),
        sa.Column("delivered_at", t, nullable=True),
        sa.Column("finished_at", t, nullable=True),
        sa.Column("created_at", t, nullable=False),
    ]


def attempt_log_columns() -> list[sa.Column[Any]]:
    """The `DeliveryAttemptMixin` columns, for a migration's `create_table`."""
    return [
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("delivery_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("provider_message_id", sa.String(200), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    ]
