"""How coaching knows a coach token's subject: its own roster (need to know, ADR 0022)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from coaching.coaches.models import Coach
from shared.web.access import CoachStatus


def coach_status(session: Session, coach_id: uuid.UUID) -> CoachStatus | None:
    """The roster's view of a coach (office, active), or None when there is no such coach."""
    coach = session.get(Coach, coach_id)
    if coach is None:
        return None
    return CoachStatus(office_code=coach.office_code, active=coach.active)
