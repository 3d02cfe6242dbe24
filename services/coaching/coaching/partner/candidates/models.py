"""Consented partner profiles, the partner search log and the daily profile views."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base
from shared.db.types import BigIntPK, JSONType, UTCDateTime, utcnow

NONE = "none"
ANONYMOUS = "anonymous"
NAMED = "named"
VISIBILITIES = (NONE, ANONYMOUS, NAMED)

# The partial indexes cover searchable rows only (consent given and the case open): the
# 500k-profile search walks one of them in `candidate_ref` order and stops after a page.
_SEARCHABLE_PG = text("searchable")
_SEARCHABLE_SQLITE = text("searchable = 1")


class PartnerProfile(Base):
    """A claimant's profile for temp agencies and their consent (one per case).

    Denormalised for the partner search: `searchable` is `visibility != 'none' and
    case_open`, kept by the consent change and by `hooks.on_case_status_changed`.
    Partners only ever see `candidate_ref`, a random UUID, never the case or claim id.
    """

    __tablename__ = "partner_profiles"
    __table_args__ = (
        Index(
            "ix_partner_profiles_search_ref",
            "candidate_ref",
            postgresql_where=_SEARCHABLE_PG,
            sqlite_where=_SEARCHABLE_SQLITE,
        ),
        Index(
            "ix_partner_profiles_search_sector",
            "sector",
            "candidate_ref",
            postgresql_where=_SEARCHABLE_PG,
            sqlite_where=_SEARCHABLE_SQLITE,
        ),
        Index(
            "ix_partner_profiles_search_region",
            "region",
            "candidate_ref",
            postgresql_where=_SEARCHABLE_PG,
            sqlite_where=_SEARCHABLE_SQLITE,
        ),
        # Region and sector together (a narrow combination would otherwise scan the whole
        # region and sort; the partner bench measured 30-65 ms at 500k).
        Index(
            "ix_partner_profiles_search_region_sector",
            "region",
            "sector",
            "candidate_ref",
            postgresql_where=_SEARCHABLE_PG,
            sqlite_where=_SEARCHABLE_SQLITE,
        ),
        # Skills filters (`?|` any, `@>` all) on PostgreSQL's JSONB; SQLite scans json_each.
        Index(
            "ix_partner_profiles_search_skills",
            "skills",
            postgresql_using="gin",
            postgresql_where=_SEARCHABLE_PG,
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), unique=True)
    candidate_ref: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    visibility: Mapped[str] = mapped_column(String(12), default=NONE)
    case_open: Mapped[bool] = mapped_column(Boolean, default=True)
    searchable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    display_name: Mapped[str | None] = mapped_column(String(100))
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    region: Mapped[str | None] = mapped_column(String(2))
    sector: Mapped[str | None] = mapped_column(String(80))
    consent_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartnerSearchLog(Base):
    """Every partner query (search or single profile), also the refused ones (`outcome`)."""

    __tablename__ = "partner_search_log"
    __table_args__ = (Index("ix_partner_search_log_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # search | profile
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | capped | not_found
    result_count: Mapped[int] = mapped_column(Integer)
    candidate_refs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartnerProfileView(Base):
    """A profile returned to a client on a Dutch calendar day (the daily cap counts these;
    the webhooks go to every client that has one for the candidate)."""

    __tablename__ = "partner_profile_views"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    candidate_ref: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
