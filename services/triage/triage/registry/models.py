"""Model versions: the JSON body of each model file; at most one version is active."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import JSONType, UTCDateTime, utcnow
from triage.db import Base

SHIPPED = "shipped"
FITTED = "fitted"
# The partial-index predicate, identical on PostgreSQL and SQLite (and in the migration).
ACTIVE_PREDICATE = "active"


class ModelVersion(Base):
    """One registered model file. Versions are immutable: a change is a new version."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # SHA-256 of the canonical model file text: a cache key and an integrity check.
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    activated_by: Mapped[str | None] = mapped_column(String(200))
    activation_reason: Mapped[str | None] = mapped_column(Text)

    # At most one active version, enforced by the database (concurrent activations race here).
    __table_args__ = (
        Index(
            "uq_model_versions_active",
            "active",
            unique=True,
            postgresql_where=text(ACTIVE_PREDICATE),
            sqlite_where=text(ACTIVE_PREDICATE),
        ),
        CheckConstraint(f"source IN ('{SHIPPED}', '{FITTED}')", name="source"),
    )
