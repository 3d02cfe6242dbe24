"""Request and response models of the messages API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.bsn import FreeText
from shared.web.validation import MultiLine, RequestModel


class MessageRead(BaseModel):
    """A message a claim received: what, how and how it went. `subject` only for roles
    that may read what the claimant was told (the claimant, coaches, team leads, benefits
    officers)."""

    id: uuid.UUID
    claim_id: uuid.UUID
    kind: str = Field(description="invitation, rescheduled, cancelled, reminder, summons, ...")
    channel: str = Field(description="email, sms or letter")
    language: str
    status: str = Field(
        description="pending, sending, handed_over, sent, bounced, failed (given up), "
        "suppressed or unconfirmed (ADR 0028)"
    )
    attempts: int
    subject: str | None = None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    finished_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    last_error: str | None
    provider_message_id: str | None
    fallback_for_id: uuid.UUID | None = Field(
        description="The e-mail this letter replaces (it could not be delivered)"
    )
    resend_of_id: uuid.UUID | None
    requested_by: str = Field(description="`system`, or the staff member who resent it")
    has_letter: bool = Field(description="A letter PDF can be downloaded")


class MessageDetail(MessageRead):
    """A message with its text (roles that may read it)."""

    body_text: str | None = None
    body_html: str | None = None


class MessageAttemptRead(BaseModel):
    """One attempt of the delivery log."""

    model_config = ConfigDict(from_attributes=True)

    attempt: int
    outcome: str
    status_code: int | None
    provider_message_id: str | None
    error: str | None
    at: dt.datetime


class ResendRequest(RequestModel):
    """Why staff send a message again (audited)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Annotated[FreeText, MultiLine()] = Field(min_length=3, max_length=500)


class OfficeContactDetails(BaseModel):
    """An office's visiting address and contact details: the fields of the shipped reference
    data (`offices.OfficeContact`) and of the API's `OfficeContactRead`."""

    code: str
    name: str  # from the office table, e.g. "UWV Amsterdam"
    street: str
    house_number: str
    postcode: str  # normalised: "1234 AB"
    city: str
    phone: str
    email: str  # the Reply-To of the office's e-mail
    route_nl: str
    route_en: str
    opening_hours_nl: str
    opening_hours_en: str


class OfficeContactRead(OfficeContactDetails):
    """An office's visiting address and contact details, as messages show them."""

    model_config = ConfigDict(from_attributes=True)

    updated_at: dt.datetime


_Line = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class OfficeContactUpdate(RequestModel):
    """New contact details of an office (every field; admin)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: _Line
    street: _Line
    house_number: Annotated[
        str, StringConstraints(pattern=r"^[1-9][0-9]{0,4}(?:[ \-]?[A-Za-z0-9]{1,4})?$")
    ]
    postcode: Annotated[str, StringConstraints(max_length=8)]
    city: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    phone: Annotated[str, StringConstraints(min_length=3, max_length=20, pattern=r"^[0-9 +()\-]+$")]
    email: Annotated[
        str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    ]
    route_nl: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    route_en: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    opening_hours_nl: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    opening_hours_en: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PrintBatchRead(BaseModel):
    """One day's letters joined for the print room."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    day: dt.date
    path: str
    letters: int
    pages: int
    created_at: dt.datetime


class SendRunRead(BaseModel):
    """Counts of one sender run."""

    attempted: int
    sent: int
    retrying: int
    bounced: int
    failed: int
    suppressed: int
    recovered: int
    unconfirmed: int
