"""Outbox and processed-events (inbox) table mixins; each service maps them on its own base."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.db.types import BigIntPK, UTCDateTime, utcnow


class OutboxMixin:
    """Events written in the same transaction as the state change they describe."""

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    event_type: Mapped[str] = mapped_column(String(80))
    topic: Mapped[str] = mapped_column(String(200))
    message_key: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # The relay only ever scans unpublished rows: keep that index tiny.
        name = f"ix_{cls.__tablename__}_unpublished"  # type: ignore[attr-defined]
        return (
            Index(
                name,
                "seq",
                postgresql_where=text("published_at IS NULL"),
                sqlite_where=text("published_at IS NULL"),
            ),
        )


class ProcessedEventMixin:
    """One row per (consumer, event id) applied: the primary key makes effects idempotent."""

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(80))
    processed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    origin_topic: Mapped[str | None] = mapped_column(String(200))
    origin_partition: Mapped[int | None] = mapped_column(Integer)
    origin_offset: Mapped[int | None] = mapped_column(BigInteger)


@dataclass(frozen=True)
class MessagingTables:
    """The concrete mapped classes of one service."""

    outbox: type[Any]
    processed: type[Any]
    audit: type[Any]
