"""Queries over batch runs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.batch.models import RUNNING, BatchRun


def add(session: Session, run: BatchRun) -> None:
    """Stage a new run."""
    session.add(run)


def unfinished(session: Session) -> BatchRun | None:
    """The newest run that did not finish (interrupted or still going)."""
    return session.scalars(
        select(BatchRun)
        .where(BatchRun.status == RUNNING)
        .order_by(BatchRun.started_at.desc(), BatchRun.id)
        .limit(1)
    ).first()
