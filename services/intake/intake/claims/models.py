"""Claim table (the BSN only as ciphertext and keyed hash) and stored idempotent responses."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow


class Claim(Base):
    """A WW claim; at most one open claim per BSN (partial unique index).

    Name, e-mail, phone and last employer are personal data kept in intake only: they are
    never put in an event and never logged. Columns added after the first release are
    nullable in the database (older rows lack them); the API requires what it requires.
    """

    __tablename__ = "claims"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    bsn_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    bsn_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    preferred_language: Mapped[str | None] = mapped_column(String(2))
    # The postal address for letters (ADR 0028); the postcode below is part of it.
    street: Mapped[str | None] = mapped_column(String(100))
    house_number: Mapped[str | None] = mapped_column(String(12))
    city: Mapped[str | None] = mapped_column(String(80))
    # How the claimant wants to hear from us: "email" or "post" (paper); None: e-mail when
    # there is an address, else post. SMS notices go in addition when there is a phone.
    contact_preference: Mapped[str | None] = mapped_column(String(10))
    sms_notifications: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    first_ww_day: Mapped[dt.date] = mapped_column(Date)
    postcode: Mapped[str] = mapped_column(String(7))
    office_code: Mapped[str] = mapped_column(String(10), index=True)
    last_employer: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(80))
    hours_lost_per_week: Mapped[float | None] = mapped_column(Float)
    years_work_history: Mapped[int | None] = mapped_column(Integer)
    education_level: Mapped[str | None] = mapped_column(String(30))
    questionnaire_answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    channel: Mapped[str] = mapped_column(String(20))
    registered_by: Mapped[str] = mapped_column(String(200))
    claimant_subject: Mapped[str | None] = mapped_column(String(200), index=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Times the claimant declared they cannot attend: a list of {"weekday" | "date",
    # "start_time", "end_time"} (local time); booking skips slots overlapping them.
    unavailable: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    # No-shows so far (item 8): the first books a summons, the second flags the case.
    no_show_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attention_reason: Mapped[str | None] = mapped_column(String(40))
    attention_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The end of the claim (issue 12): closed after coaching closed the case, or withdrawn
    # by the claimant. `close_reason` is the case result or the withdrawal reason code.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(40))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    # A case.reopened that could not reopen this claim (the BSN has a newer open claim).
    reopen_refused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "uq_claims_open_bsn",
            "bsn_hash",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_claims_bsn_hash", "bsn_hash"),
        # Case-insensitive prefix search on the family name (LIKE 'abc%' needs pattern ops).
        Index(
            "ix_claims_family_name_lower",
            func.lower(family_name).label("family_name_lower"),
            postgresql_ops={"family_name_lower": "text_pattern_ops"},
        ),
    )


class IdempotencyKey(Base):
    """The first successful response to a request sent with an `Idempotency-Key` header.

    Keys belong to one caller (`subject`: the token's client id or subject), so two
    callers can use the same key independently. The row is inserted in the transaction
    that creates the claim: the primary key decides between concurrent duplicates.
    `request_hash` is SHA-256 over the canonical JSON of the validated body with the BSN
    replaced by its keyed lookup hash, so the hash is no oracle for guessing a BSN.
    The body is the exact response (BSN masked) so that a replay is byte-identical.
    """

    __tablename__ = "idempotency_keys"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    response_location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
