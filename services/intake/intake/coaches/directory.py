"""How intake knows a coach token's subject: the roster replica (need to know, ADR 0022)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from intake.coaches.models import RosterCoach
from shared.web.access import CoachStatus


def coach_status(session: Session, coach_id: uuid.UUID) -> CoachStatus | None:
    """The replica's view of a coach (office, active), or None when intake never heard of them."""
    coach = session.get(RosterCoach, coach_id)
    if coach is None:
        return None
    return CoachStatus(office_code=coach.office_code, active=coach.active)
