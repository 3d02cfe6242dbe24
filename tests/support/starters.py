"""The starters service on its own PostgreSQL database, driven through its API and its
consumer (claims arrive as `claim.registered`, as from intake)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.clock import local_today
from shared.events.common import RegistrationChannel
from shared.events.intake import ClaimRegistered
from shared.messaging.consumer import Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from starters.rules.schedule import entitlement_end
from tests.support.fakes import coach_registered, incoming
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

TODAY = local_today()
T0 = dt.datetime.now(dt.UTC)
FIRST_WW_DAY = TODAY - dt.timedelta(days=60)  # of `Starters.claim` unless given


def ww_facts(first_ww_day: dt.date = FIRST_WW_DAY, months: int = 12) -> dict[str, Any]:
    """WW facts that agree with the claim's first WW day (ADR 0019)."""
    return {
        "dagloon": "200.00",
        "entitlement_end": entitlement_end(first_ww_day, months).isoformat(),
        "entitlement_months": months,
        "usual_hours_per_day": "8",
    }


def day(days: int) -> str:
    """TODAY + days, ISO."""
    return (TODAY + dt.timedelta(days=days)).isoformat()


@dataclass
class Starters:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def as_(self, *roles: str, sub: str | None = None, office: str | None = None) -> dict[str, str]:
        sub = sub or str(uuid.uuid4())
        if "coach" in roles:  # a coach starters knows (unknown coaches are refused, ADR 0022)
            self.container.consumer.process(incoming(coach_registered(coach_id=uuid.UUID(sub))))
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    def officer(self) -> dict[str, str]:
        return self.as_("benefits_officer")

    def claim(self, subject: str, first_ww_day: dt.date | None = None) -> uuid.UUID:
        claim_id = uuid.uuid4()
        registered = ClaimRegistered(
            claim_id=claim_id,
            office_code="AMS",
            first_ww_day=first_ww_day or FIRST_WW_DAY,
            registered_at=T0,
            channel=RegistrationChannel.CLAIMANT,
            claimant_subject=subject,
        )
        assert self.container.consumer.process(incoming(registered)) is Outcome.PROCESSED
        return claim_id

    def apply(self, claim_id: uuid.UUID, headers: dict[str, str], **extra: Any) -> Any:
        body = {
            "claim_id": str(claim_id),
            "business_description": "A bicycle repair shop in Utrecht",
            "expected_start_date": day(14),
            "hours_per_week": "30",
            "training": {"certificate": "ZOWW-2026-1234", "completed_on": day(-3)},
            **extra,
        }
        return self.client.post("/v1/starters/applications", json=body, headers=headers)

    def step(self, app_id: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/v1/starters/applications/{app_id}/transitions",
            json=body,
            headers=headers or self.officer(),
        )

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []

    def published(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0])["data"] for r in rows]


@pytest.fixture
def starters(pg: PgDatabases, state_dir: Path) -> Iterator[Starters]:
    c = build_container(
        "starters",
        database_url=pg.create("starters"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    yield Starters(
        c, TestClient(build_app(c, manage_lifecycle=False)), Tokens(state_dir / "dev-jwt-key.pem")
    )
    c.stop()
