"""Queries over model versions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.registry.models import ModelVersion


def add(session: Session, row: ModelVersion) -> None:
    """Stage a new model version."""
    session.add(row)


def get(session: Session, version: str) -> ModelVersion | None:
    """A model version by its version string."""
    return session.get(ModelVersion, version)


def active(session: Session) -> ModelVersion | None:
    """The active model version, if any."""
    return session.scalars(select(ModelVersion).where(ModelVersion.active.is_(True))).first()


def active_checksum(session: Session) -> str | None:
    """The checksum of the active version (cheap: no model body is read)."""
    return session.scalar(select(ModelVersion.checksum).where(ModelVersion.active.is_(True)))


def body_by_checksum(session: Session, checksum: str) -> dict[str, Any] | None:
    """The model file body with this checksum."""
    return session.scalar(
        select(ModelVersion.body).where(ModelVersion.checksum == checksum).limit(1)
    )


def versions(session: Session) -> set[str]:
    """Every registered version string."""
    return set(session.scalars(select(ModelVersion.version)))


def page(session: Session, *, limit: int, offset: int) -> tuple[Sequence[ModelVersion], int]:
    """Model versions, newest first (stable order), and the total count."""
    total = session.scalar(select(func.count()).select_from(ModelVersion)) or 0
    rows = session.scalars(
        select(ModelVersion)
        .order_by(ModelVersion.created_at.desc(), ModelVersion.version)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total
