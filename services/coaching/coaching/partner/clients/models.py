"""Partner client, rate-limit window and token-failure window tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import JSONType, UTCDateTime, utcnow

ACTIVE = "active"
SUSPENDED = "suspended"


class PartnerClient(Base):
    """A temp agency's application, registered by an admin (secrets stored as hashes only)."""

    __tablename__ = "partner_clients"

    client_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(200))
    # After a rotation the previous secret keeps working until previous_secret_expires_at.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    requests_per_minute: Mapped[int] = mapped_column(Integer)
    daily_profile_cap: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE, index=True)
    suspension_reason: Mapped[str | None] = mapped_column(String(500))
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    secret_rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PartnerRateWindow(Base):
    """Requests of one client in one fixed rate-limit window (shared by every replica)."""

    __tablename__ = "partner_rate_windows"

    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("partner_clients.client_id"), primary_key=True
    )
    # Start of the window in whole seconds since the epoch (a multiple of the window length).
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(Integer)


# The client key of token requests that name no registered client (their id is not kept:
# it is whatever the caller typed).
UNKNOWN_CLIENT = "~unknown"


class PartnerTokenFailureWindow(Base):
    """Unproven client authentications at the token endpoint, per client and caller address
    in one fixed window (docs/partner-api.md, "Token throttling"; ADR 0023).

    No foreign key: requests naming an unknown client count under UNKNOWN_CLIENT."""

    __tablename__ = "partner_token_failure_windows"

    client_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    attempts: Mapped[int] = mapped_column(Integer)
