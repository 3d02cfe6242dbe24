"""A claim's sector is a code of the one sector list (issue 12 item 8), on PostgreSQL: free
text is refused at registration (it would reach coaching's case and the partner profile)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[tuple[ServiceContainer, TestClient]]:
    c = build_container(
        "intake",
        database_url=pg.create("intake"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    yield c, TestClient(build_app(c, manage_lifecycle=False))
    c.stop()


def _body(sector: str) -> dict[str, Any]:
    return {
        "bsn": "111222333",
        "given_name": "Jan",
        "family_name": "de Vries",
        "first_ww_day": local_today().isoformat(),
        "postcode": "1011 AB",
        "date_of_birth": "1985-04-12",
        "sector": sector,
    }


def test_registration_takes_a_sector_code_only(
    intake: tuple[ServiceContainer, TestClient], state_dir: Path
) -> None:
    container, client = intake
    staff = Tokens.header(Tokens(state_dir / "dev-jwt-key.pem").user("benefits_officer"))

    def scalar(sql: str) -> Any:
        with container.engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()

    for free_text in ("zorg", "Zorg en welzijn", "Thuiszorg"):
        r = client.post("/v1/claims", json=_body(free_text), headers=staff)
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        assert error["field"] == "sector"
        assert "GET /v1/sectors" in error["message"]
        assert free_text not in r.text
    assert scalar("SELECT count(*) FROM claims") == 0

    r = client.post("/v1/claims", json=_body("Healthcare"), headers=staff)
    assert r.status_code == 201, r.text
    assert r.json()["sector"] == "healthcare"
    event = json.loads(scalar("SELECT body FROM outbox WHERE event_type = 'claim.registered'"))
    assert event["data"]["sector"] == "healthcare"
