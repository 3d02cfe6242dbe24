"""Messages to claimants, their delivery log, print batches and office contact details."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, deferred, mapped_column

from intake.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow
from shared.delivery.models import DeliveryAttemptMixin, DeliveryMixin, delivery_indexes


class Message(DeliveryMixin, Base):
    """One message to one claimant on one channel, rendered when planned (ADR 0028).

    The delivery state comes from the shared mechanism (`DeliveryMixin`); `dedupe_key` is
    `<event id>:<kind>:<channel>`, so a redelivered event plans nothing twice. The body is
    kept as sent (staff may need to show what the claimant was told) and never leaves
    intake; it never holds a BSN."""

    __tablename__ = "messages"
    __table_args__ = (
        *delivery_indexes("messages"),
        Index("ix_messages_claim_created", "claim_id", "created_at"),
        Index("ix_messages_announced", "announced_appointment_id"),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("claims.id"))
    kind: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(2))
    # The e-mail address or E.164 phone number; None for a letter (the address is in it).
    recipient: Mapped[str | None] = mapped_column(String(254))
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source_event_type: Mapped[str | None] = mapped_column(String(80))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The time the message announces; a reminder whose appointment moved or was
    # cancelled before it went out is suppressed.
    appointment_starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The appointment this message told the claimant about (an invitation, or the new
    # slot of a service cancellation): a later invitation for it is not sent again.
    announced_appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    office_code: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = deferred(mapped_column(Text))
    body_html: Mapped[str | None] = deferred(mapped_column(Text))
    ics: Mapped[str | None] = deferred(mapped_column(Text))
    letter_pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    letter_pages: Mapped[int | None] = mapped_column(Integer)
    # A letter sent because this e-mail could not be delivered; a resend of this message.
    fallback_for_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    resend_of_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    requested_by: Mapped[str] = mapped_column(String(200), default="system")


class MessageTrigger(Base):
    """The facts of an event that made messages, kept so a fallback letter or a staff
    resend renders the same message again (events carry no personal data; neither does
    this)."""

    __tablename__ = "message_triggers"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(30))
    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class MessageAttempt(DeliveryAttemptMixin, Base):
    """The delivery log of messages: one row per attempt."""

    __tablename__ = "message_attempts"


class PrintBatch(Base):
    """One day's letters joined into one PDF for the print room."""

    __tablename__ = "print_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    path: Mapped[str] = mapped_column(String(500))
    letters: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficeContact(Base):
    """An office's visiting address and contact details, as messages and letters show them.

    Seeded by a migration from the shipped reference file; the agency keeps it current
    through `PUT /v1/offices/{code}/contact` (audited)."""

    __tablename__ = "office_contacts"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(100))
    house_number: Mapped[str] = mapped_column(String(12))
    postcode: Mapped[str] = mapped_column(String(7))
    city: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))
    route_nl: Mapped[str] = mapped_column(String(500))
    route_en: Mapped[str] = mapped_column(String(500))
    opening_hours_nl: Mapped[str] = mapped_column(String(200))
    opening_hours_en: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
