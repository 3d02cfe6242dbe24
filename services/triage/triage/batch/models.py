"""Batch runs: progress of `ww triage score-all`, committed with every chunk (resumable)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import UTCDateTime, utcnow
from triage.db import Base

RUNNING = "running"
FINISHED = "finished"


class BatchRun(Base):
    """One re-scoring run over the open claims, in claim-id order."""

    __tablename__ = "batch_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    model_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=RUNNING, index=True)
    # The last claim id done: a resumed run continues after it.
    cursor_claim_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    total: Mapped[int] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    chunk_size: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
