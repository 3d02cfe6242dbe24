"""PostgreSQL unreachable: the API answers 503 problem+json with Retry-After, not a 500
(issue 13; ADR 0024). The load-and-recover fault test lives in tests/fault; this one
points an app at a port nobody listens on, so it needs no cluster of its own."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shared.messaging.embedded import EmbeddedBroker
from shared.web.app import build_app
from tests.support.system import container as build_container
from tests.support.system import free_port
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("service", "path", "role"),
    [
        ("intake", "/v1/claims", "benefits_officer"),
        ("coaching", "/v1/coaches", "admin"),
        ("triage", "/v1/models", "admin"),
        ("starters", "/v1/starters/applications", "benefits_officer"),
    ],
)
def test_an_unreachable_database_is_503_with_retry_after(
    state_dir: Path, caplog: pytest.LogCaptureFixture, service: str, path: str, role: str
) -> None:
    port = free_port()  # closed: connection refused at once
    c = build_container(
        service,
        database_url=f"postgresql+psycopg://ww:secret-pw@127.0.0.1:{port}/{service}",
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    try:
        client = TestClient(build_app(c, manage_lifecycle=False))
        token = Tokens(state_dir / "dev-jwt-key.pem").user(role, sub="user-1")
        with caplog.at_level(logging.WARNING):
            r = client.get(path, headers=Tokens.header(token))
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"] == "urn:ww:problem:unavailable"
        assert int(r.headers["Retry-After"]) > 0
        assert "secret-pw" not in r.text
        assert "secret-pw" not in caplog.text
        # Readiness says the same.
        assert client.get("/ready").status_code == 503
    finally:
        c.stop()
