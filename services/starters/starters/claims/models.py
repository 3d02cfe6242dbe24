"""What starters knows of a claim (from claim.registered and case.closed)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import UTCDateTime, utcnow
from starters.db import Base


class KnownClaim(Base):
    """A claim as the starters scheme needs it: the first WW day bounds the business start."""

    __tablename__ = "known_claims"

    claim_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    office_code: Mapped[str | None] = mapped_column(String(10))
    first_ww_day: Mapped[dt.date | None] = mapped_column(Date)
    # The claimant's identity-provider subject (their own applications) and the case's
    # coach (coaches read their caseload's applications), from intake's and coaching's events.
    claimant_subject: Mapped[str | None] = mapped_column(String(200))
    coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    case_closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    case_result: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
