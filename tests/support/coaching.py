"""A coaching service on its own PostgreSQL database, with roster and cases written straight
into the tables (so every expected number in a test is counted by hand from its data)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from coaching.cases.models import Case
from coaching.coaches.models import Coach
from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens


@dataclass
class Office:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def as_(self, *roles: str, sub: str | None = None, office: str | None = None) -> dict[str, str]:
        sub = sub or str(uuid.uuid4())
        if "coach" in roles:  # honoured only for a roster coach (ADR 0022); a coach of no
            roster_coach(self.container, sub, "ZZZ")  # real office, so no office count moves
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    def coach(
        self,
        name: str,
        hours: float,
        *,
        office: str = "AMS",
        active: bool = True,
        specialisms: list[str] | None = None,
    ) -> uuid.UUID:
        coach_id = uuid.uuid4()
        with self.container.session_factory() as s:
            s.add(
                Coach(
                    id=coach_id,
                    display_name=name,
                    office_code=office,
                    specialisms=specialisms or [],
                    contract_hours=hours,
                    holds_intakes=True,
                    active=active,
                )
            )
            s.commit()
        return coach_id

    def cases(self, n: int, *, office: str = "AMS", **fields: Any) -> list[uuid.UUID]:
        claim_ids = [uuid.uuid4() for _ in range(n)]
        values: dict[str, Any] = {"status": "open", "first_ww_day": local_today(), **fields}
        with self.container.session_factory() as s:
            for claim_id in claim_ids:
                s.add(
                    Case(
                        id=uuid.uuid4(),
                        claim_id=claim_id,
                        registered=True,
                        intake_held=False,
                        office_code=office,
                        **values,
                    )
                )
            s.commit()
        return claim_ids

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []

    def case(self, claim_id: uuid.UUID) -> Case:
        with self.container.session_factory() as s:
            row = s.query(Case).filter_by(claim_id=claim_id).one()
            s.expunge(row)
            return row

    def published(self, event_type: str) -> list[dict[str, Any]]:
        """Payloads of this type in the outbox (published or not yet), oldest first."""
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0])["data"] for r in rows]


@pytest.fixture
def office(pg: PgDatabases, state_dir: Path) -> Iterator[Office]:
    c = build_container(
        "coaching",
        database_url=pg.create("coaching"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    yield Office(
        c, TestClient(build_app(c, manage_lifecycle=False)), Tokens(state_dir / "dev-jwt-key.pem")
    )
    c.stop()


@dataclass
class CaseDesk:
    """One coach's case on a coaching service of its own (the work plan and contact
    moment tests): tokens for the coach and the claimant, closing and audit helpers."""

    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    coach_id: uuid.UUID
    claim_id: uuid.UUID
    claimant: str = "claimant-subject-1"

    def as_(self, *roles: str, sub: str | None = None, office: str | None = None) -> dict[str, str]:
        sub = sub or str(uuid.uuid4())
        if "coach" in roles:  # a coach on the roster: unknown coaches are refused (ADR 0022)
            roster_coach(self.container, sub, office or "AMS")
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    def coach(self) -> dict[str, str]:
        return self.as_("coach", sub=str(self.coach_id), office="AMS")

    def claimant_h(self) -> dict[str, str]:
        return self.as_("claimant", sub=self.claimant)

    def case(self, **fields: Any) -> uuid.UUID:
        claim_id = uuid.uuid4()
        values: dict[str, Any] = {
            "status": "open",
            "office_code": "AMS",
            "coach_id": self.coach_id,
            "assignment_status": "assigned",
            **fields,
        }
        with self.container.session_factory() as s:
            s.add(
                Case(
                    id=uuid.uuid4(),
                    claim_id=claim_id,
                    registered=True,
                    intake_held=False,
                    first_ww_day=local_today(),
                    **values,
                )
            )
            s.commit()
        return claim_id

    def close(self, claim_id: uuid.UUID) -> None:
        with self.container.engine.begin() as conn:
            conn.execute(
                text("UPDATE cases SET status = 'closed' WHERE claim_id = :c"), {"c": claim_id}
            )

    def audit(self, action: str) -> list[dict[str, Any]]:
        with self.container.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT action, actor, resource_type, resource_id, old_values, new_values "
                    "FROM audit_log WHERE action = :a ORDER BY occurred_at"
                ),
                {"a": action},
            ).mappings()
            return [dict(r) for r in rows]


DeskT = TypeVar("DeskT", bound=CaseDesk)


def roster_coach(container: ServiceContainer, sub: str, office: str = "AMS") -> None:
    """Put a coach token's UUID subject on the roster (if it is not there yet), so the token
    is honoured (ADR 0022); other subjects stay unknown and are refused."""
    try:
        coach_id = uuid.UUID(sub)
    except ValueError:
        return
    with container.session_factory() as s:
        if s.get(Coach, coach_id) is None:
            s.add(
                Coach(
                    id=coach_id,
                    display_name="Test Coach",
                    office_code=office,
                    specialisms=[],
                    contract_hours=32.0,
                    holds_intakes=False,
                    active=True,
                )
            )
            s.commit()


def open_desk(cls: type[DeskT], pg: PgDatabases, state_dir: Path) -> Iterator[DeskT]:
    """A coaching service on its own database with one open case of `cls`'s coach (the
    body of a test module's `desk` fixture)."""
    c = build_container(
        "coaching",
        database_url=pg.create("coaching"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    d = cls(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        coach_id=uuid.uuid4(),
        claim_id=uuid.uuid4(),
    )
    d.claim_id = d.case(claimant_subject=d.claimant)
    yield d
    c.stop()
