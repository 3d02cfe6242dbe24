"""A minimal copy of coaching's roster for services that only need to know who is a coach.

Triage and starters return claimants' personal data to coaches, so (ADR 0022) they must
refuse a coach token whose subject is not a coach, or is a deactivated one. They learn the
roster from coach.registered / coach.updated / coach.deactivated, like intake's fuller copy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, String, Uuid
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db.types import UTCDateTime, utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import CoachDeactivated, CoachRegistered, CoachUpdated
from shared.events.envelope import Event
from shared.messaging.handlers import HandlerRegistry
from shared.web.access import CoachDirectory, CoachStatus


class CoachReplicaMixin:
    """Columns of a `known_coaches` table: the coach id, their office and whether active."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    office_code: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def replica_handlers(model: type[Any]) -> HandlerRegistry:
    """Handlers keeping `model` (a CoachReplicaMixin table) current from the coach.* events."""

    def upserted(event: Event[CoachRegistered] | Event[CoachUpdated], uow: UnitOfWork) -> None:
        """coach.registered / coach.updated: the coach and their office (active unchanged:
        a registration arriving after the deactivation must not bring the coach back)."""
        row = uow.session.get(model, event.data.coach_id)
        if row is None:
            row = model(id=event.data.coach_id, active=True)
            uow.session.add(row)
        row.office_code = event.data.office_code
        row.updated_at = utcnow()

    def deactivated(event: Event[CoachDeactivated], uow: UnitOfWork) -> None:
        """coach.deactivated: the coach loses access (also when it overtook the registration)."""
        row = uow.session.get(model, event.data.coach_id)
        if row is None:
            row = model(id=event.data.coach_id, office_code=event.data.office_code)
            uow.session.add(row)
        row.active = False
        row.updated_at = utcnow()

    registry = HandlerRegistry()
    registry.on(CoachRegistered, upserted)
    registry.on(CoachUpdated, upserted)
    registry.on(CoachDeactivated, deactivated)
    return registry


def replica_directory(model: type[Any]) -> CoachDirectory:
    """The `CoachDirectory` of a replica table, for `ServiceSpec.coach_directory`."""

    def lookup(session: Session, coach_id: uuid.UUID) -> CoachStatus | None:
        row = session.get(model, coach_id)
        return None if row is None else CoachStatus(office_code=row.office_code, active=row.active)

    return lookup
