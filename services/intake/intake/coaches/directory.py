"""How intake knows a coach token's subject: the roster replica (need to know, ADR 0022)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.coaches.models import RosterCoach
from shared.web.access import CoachStatus


def coach_status(session: Session, coach_id: uuid.UUID) -> CoachStatus | None:
    """The replica's view of a coach (office, active), or None when intake never heard of them."""
    coach = session.get(RosterCoach, coach_id)
    if coach is None:
        return None
    return CoachStatus(office_code=coach.office_code, active=coach.active)


def first_names(session: Session, coach_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The coaches' first names, as the messages to a claimant name them (one query)."""
    ids = sorted(set(coach_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(RosterCoach.id, RosterCoach.display_name).where(RosterCoach.id.in_(ids))
    ).all()
    return {cid: name.split()[0] for cid, name in rows if name and name.split()}
