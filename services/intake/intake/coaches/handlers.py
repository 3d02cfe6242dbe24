"""Handlers for coaching's roster events."""

from __future__ import annotations

from typing import Any

from intake.coaches.models import RosterCoach
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event


def handle_coach_upserted(event: Event[Any], uow: UnitOfWork) -> None:
    """coach.registered / coach.updated carry the full state: upsert it."""
    data = event.data
    coach = uow.session.get(RosterCoach, data.coach_id)
    if coach is None:
        coach = RosterCoach(id=data.coach_id, active=True)
        uow.session.add(coach)
    coach.display_name = data.display_name
    coach.office_code = data.office_code
    coach.specialisms = list(data.specialisms)
    coach.contract_hours = data.contract_hours
    coach.holds_intakes = data.holds_intakes
    # Keep `active` as it is: a registration arriving after the deactivation (see below)
    # must not bring the coach back; the roster has no reactivation.
    coach.updated_at = utcnow()


def handle_coach_deactivated(event: Event[Any], uow: UnitOfWork) -> None:
    """coach.deactivated: the coach takes no new intakes."""
    coach = uow.session.get(RosterCoach, event.data.coach_id)
    if coach is None:
        # Deactivation overtook registration (different partitions are possible for a
        # re-keyed roster): remember the coach as inactive so a late registration finds it.
        coach = RosterCoach(
            id=event.data.coach_id,
            display_name="",
            office_code=event.data.office_code,
            specialisms=[],
            contract_hours=0.0,
            holds_intakes=False,
        )
        uow.session.add(coach)
    coach.active = False
    coach.updated_at = utcnow()
