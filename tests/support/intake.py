"""Intake test helpers: an in-process intake on a fresh PostgreSQL database, roster coaches."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from intake.coaches.models import RosterCoach
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container


def intake_on_pg(pg: PgDatabases, state_dir: Path) -> ServiceContainer:
    """An intake container (embedded events) on a fresh migrated PostgreSQL database."""
    return build_container(
        "intake",
        database_url=pg.create("intake"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )


def add_roster_coach(
    engine: Engine,
    office: str = "AMS",
    *,
    active: bool = True,
    name: str = "Sanne de Boer",
    contract_hours: float = 32.0,
) -> uuid.UUID:
    """A roster coach holding intakes, as coaching's coach.registered would leave it."""
    coach_id = uuid.uuid4()
    with Session(engine) as s:
        s.add(
            RosterCoach(
                id=coach_id,
                display_name=name,
                office_code=office,
                specialisms=[],
                contract_hours=contract_hours,
                holds_intakes=True,
                active=active,
            )
        )
        s.commit()
    return coach_id


def known_coach_sub(engine: Engine, sub: str, office: str = "AMS") -> str:
    """The subject of a coach token intake accepts (ADR 0022: unknown coaches are refused):
    a UUID subject is put on the roster (in `office`) unless it is there already; any other
    subject is mapped to a stable UUID first."""
    try:
        coach_id = uuid.UUID(sub)
    except ValueError:
        coach_id = uuid.uuid5(uuid.NAMESPACE_URL, f"ww-test-coach:{sub}")
    with Session(engine) as s:
        if s.get(RosterCoach, coach_id) is None:
            s.add(
                RosterCoach(
                    id=coach_id,
                    display_name="Test Coach",
                    office_code=office,
                    specialisms=[],
                    contract_hours=32.0,
                    holds_intakes=False,  # never booked: only a token subject
                    active=True,
                )
            )
            s.commit()
    return str(coach_id)
