"""Claim table: the BSN only as ciphertext and keyed hash."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Index, LargeBinary, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base
from shared.db.types import UTCDateTime, utcnow


class Claim(Base):
    """A WW claim; at most one open claim per BSN (partial unique index)."""

    __tablename__ = "claims"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    bsn_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    bsn_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    first_ww_day: Mapped[dt.date] = mapped_column(Date)
    postcode: Mapped[str] = mapped_column(String(7))
    office_code: Mapped[str] = mapped_column(String(10), index=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    registered_by: Mapped[str] = mapped_column(String(200))
    claimant_subject: Mapped[str | None] = mapped_column(String(200), index=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (
        Index(
            "uq_claims_open_bsn",
            "bsn_hash",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_claims_bsn_hash", "bsn_hash"),
    )
