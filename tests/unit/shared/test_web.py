"""Web plumbing shared by the services: correlation ids, body limit, problem+json, /ready, /metrics."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intake.claims.models import Claim
from intake.db import AuditLog
from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

LIMIT = 4096
BSN = "111222333"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def intake(state_dir: Path) -> Iterator[ServiceContainer]:
    c = build_container(
        "intake",
        state_dir=state_dir,
        transport="embedded",
        broker=EmbeddedBroker(),
        max_body_bytes=LIMIT,
    )
    c.migrate()
    yield c
    c.stop()


@pytest.fixture
def app(intake: ServiceContainer) -> FastAPI:
    return build_app(intake, manage_lifecycle=False)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def staff(tokens: Tokens) -> dict[str, str]:
    return Tokens.header(tokens.user("admin", sub="admin-1"))


def _claim_body(**extra: Any) -> dict[str, Any]:
    return {
        "bsn": BSN,
        "given_name": "Jan",
        "family_name": "de Vries",
        "date_of_birth": "1985-04-12",
        "first_ww_day": local_today().isoformat(),
        "postcode": "1011 AB",
        **extra,
    }


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].startswith("urn:ww:problem:")
    assert body["status"] == status
    assert body["title"]
    return body


def _count(c: ServiceContainer, model: type) -> int:
    with c.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


# --- correlation id -------------------------------------------------------------------------


def test_correlation_id_is_echoed_and_recorded_in_the_audit_log(
    client: TestClient, intake: ServiceContainer, staff: dict[str, str]
) -> None:
    r = client.get("/v1/claims", headers={**staff, "X-Correlation-ID": "req-42.abc:Z_x-1"})
    assert r.status_code == 200
    assert r.headers["x-correlation-id"] == "req-42.abc:Z_x-1"
    with intake.session_factory() as s:
        row = s.scalars(select(AuditLog)).one()
    assert row.correlation_id == "req-42.abc:Z_x-1"


def test_correlation_id_is_minted_when_absent(client: TestClient) -> None:
    first = client.get("/health").headers["x-correlation-id"]
    second = client.get("/health").headers["x-correlation-id"]
    assert UUID_RE.match(first)
    assert UUID_RE.match(second)
    assert first != second


@pytest.mark.parametrize(
    "bad",
    [
        "has space",
        "semi;colon",
        "x" * 129,
        "<script>alert(1)</script>",
        "line\tbreak",
        "ünïcode",
        BSN,  # a BSN would be copied into logs, audit rows and events
        f"req-{BSN}-x",
    ],
)
def test_unsafe_correlation_id_is_replaced(client: TestClient, bad: str) -> None:
    r = client.get("/health", headers={"X-Correlation-ID": bad.encode("utf-8")})  # type: ignore[dict-item]
    cid = r.headers["x-correlation-id"]
    assert cid != bad
    assert UUID_RE.match(cid)
    assert BSN not in r.text


def test_correlation_id_is_on_error_responses_too(client: TestClient) -> None:
    r = client.get("/v1/claims", headers={"X-Correlation-ID": "corr-401"})
    _is_problem(r, 401)
    assert r.headers["x-correlation-id"] == "corr-401"


# --- body size limit -----------------------------------------------------------------------


def test_declared_content_length_over_the_limit_is_413(
    client: TestClient, intake: ServiceContainer, staff: dict[str, str]
) -> None:
    body = json.dumps(_claim_body(sector="x" * 10)) + " " * LIMIT
    r = client.post(
        "/v1/claims",
        content=body.encode(),
        headers={**staff, "content-type": "application/json"},
    )
    problem = _is_problem(r, 413)
    assert problem["type"] == "urn:ww:problem:payload-too-large"
    assert str(LIMIT) in problem["detail"]
    assert _count(intake, Claim) == 0


def test_streamed_body_without_length_over_the_limit_is_413(
    client: TestClient, intake: ServiceContainer, staff: dict[str, str]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield json.dumps(_claim_body())[:-1].encode()
        for _ in range(10):
            yield b" " * 1000
        yield b"}"

    r = client.post(
        "/v1/claims", content=chunks(), headers={**staff, "content-type": "application/json"}
    )
    assert "content-length" not in {k.lower() for k in r.request.headers}
    problem = _is_problem(r, 413)
    assert problem["type"] == "urn:ww:problem:payload-too-large"
    assert _count(intake, Claim) == 0


def test_body_just_under_the_limit_is_accepted(
    client: TestClient, intake: ServiceContainer, staff: dict[str, str]
) -> None:
    body = json.dumps(_claim_body()).encode()
    body = body[:-1] + b" " * (LIMIT - len(body)) + b"}"
    assert len(body) == LIMIT
    r = client.post(
        "/v1/claims", content=body, headers={**staff, "content-type": "application/json"}
    )
    assert r.status_code == 201, r.text
    assert _count(intake, Claim) == 1


def test_multi_chunk_asgi_stream_is_cut_off(app: FastAPI, tokens: Tokens) -> None:
    """Raw ASGI: chunks with more_body=True, no content-length; 413 before the handler runs."""
    token = tokens.user("admin").encode()
    sent: list[dict[str, Any]] = []
    chunk = b" " * 1000
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled > 50:
            raise AssertionError("the app kept reading past the limit")
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/claims/search",
        "raw_path": b"/v1/claims/search",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", b"Bearer " + token),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "state": {},
    }

    async def run() -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert pulled <= LIMIT // len(chunk) + 1
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body)["type"] == "urn:ww:problem:payload-too-large"


# --- problem+json for framework errors ------------------------------------------------------


def test_unknown_route_is_problem_404(client: TestClient) -> None:
    problem = _is_problem(client.get("/v1/nothing-here"), 404)
    assert problem["type"] == "urn:ww:problem:not-found"
    assert problem["instance"] == "/v1/nothing-here"


def test_wrong_method_is_problem_405_with_allow(client: TestClient, staff: dict[str, str]) -> None:
    r = client.delete(f"/v1/claims/{uuid.uuid4()}", headers=staff)
    problem = _is_problem(r, 405)
    assert problem["type"] == "urn:ww:problem:method-not-allowed"
    assert "GET" in r.headers["allow"]


def test_validation_error_names_fields_and_never_echoes_input(
    client: TestClient, staff: dict[str, str]
) -> None:
    r = client.post("/v1/claims", json={"bsn": "123456789", "postcode": BSN}, headers=staff)
    problem = _is_problem(r, 422)
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {
        "bsn",
        "postcode",
        "first_ww_day",
        "given_name",
        "family_name",
        "date_of_birth",
    }
    assert "123456789" not in r.text
    assert BSN not in r.text


def test_malformed_json_is_problem_400(client: TestClient, staff: dict[str, str]) -> None:
    r = client.post(
        "/v1/claims", content=b'{"bsn": ', headers={**staff, "content-type": "application/json"}
    )
    problem = _is_problem(r, 400)
    assert problem["type"] == "urn:ww:problem:malformed-json"
    assert problem["errors"][0]["field"] == "body"


def test_unauthenticated_is_problem_401_with_www_authenticate(client: TestClient) -> None:
    r = client.get("/v1/claims")
    _is_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


# --- readiness and metrics ------------------------------------------------------------------


def test_ready_is_200_when_database_and_broker_answer(client: TestClient) -> None:
    r = client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_ready_is_503_with_checks_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # A directory cannot be opened as a SQLite database: every connection attempt fails.
    not_a_db = tmp_path / "a-directory"
    not_a_db.mkdir()
    c = build_container(
        "intake",
        state_dir=tmp_path / "state",
        transport="embedded",
        broker=EmbeddedBroker(),
        database_url=f"sqlite:///{not_a_db}",
    )
    try:
        client = TestClient(build_app(c, manage_lifecycle=False))
        r = client.get("/ready")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "not_ready"
        assert body["checks"]["broker"] == "ok"
        assert body["checks"]["database"].startswith("unavailable: ")
        assert client.get("/health").status_code == 200  # liveness does not need the database
        # Metrics still answer; the outbox gauge cannot be computed.
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert "ww_outbox_pending_events NaN" in metrics.text
    finally:
        c.stop()


def test_metrics_expose_requests_by_route_template_and_outbox_lag(
    client: TestClient, staff: dict[str, str]
) -> None:
    assert client.post("/v1/claims", json=_claim_body(), headers=staff).status_code == 201
    client.get(f"/v1/claims/{uuid.uuid4()}", headers=staff)
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert re.search(
        r'ww_http_requests_total\{method="POST",route="/v1/claims",status="201"\} 1\.0', text
    )
    # Route templates, not concrete paths (no identifiers in metric labels).
    assert re.search(
        r'ww_http_requests_total\{method="GET",route="/v1/claims/\{claim_id\}",status="404"\} 1\.0',
        text,
    )
    assert "ww_http_request_duration_seconds_bucket" in text
    # claim.registered and intake.capacity_shortfall (no agenda, so no slot to book).
    assert re.search(r"^ww_outbox_pending_events 2\.0$", text, re.MULTILINE)
    assert BSN not in text
