"""Response models of appointments and the unplanned list."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel


class AppointmentRead(BaseModel):
    """An intake appointment."""

    id: uuid.UUID
    claim_id: uuid.UUID
    slot_id: uuid.UUID
    coach_id: uuid.UUID
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    deadline: dt.date
    booked_at: dt.datetime


class UnplannedClaimRead(BaseModel):
    """A claim waiting for an intake slot."""

    claim_id: uuid.UUID
    office_code: str
    deadline: dt.date
    since: dt.datetime
