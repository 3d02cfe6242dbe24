"""The token endpoint throttles wrong secrets (issue 13 item 8c, ADR 0023), on PostgreSQL.

Per client id (or `~unknown`) and caller address: after `partner_token_failures_per_window`
wrong secrets in a window, 429 problem+json with Retry-After, even for the right secret,
until the window ends; audited; a right secret does not count; parallel guesses started on
a barrier over real HTTP cannot all slip under the limit. On main every guess was a 401.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.system import free_port
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TOKEN = "/partner/v1/oauth/token"
LIMIT = 3
WINDOW_S = 300


@dataclass
class Env:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    now: dt.datetime

    def register(self) -> tuple[str, str]:
        admin = Tokens.header(self.tokens.user("admin", sub="admin-1"))
        body = {"name": "Uitzendbureau Gok", "scopes": ["vacancies:write"]}
        r = self.client.post("/v1/partner-clients", json=body, headers=admin)
        assert r.status_code == 201, r.text
        return r.json()["client_id"], r.json()["client_secret"]

    def token(self, client_id: str, secret: str) -> httpx.Response:
        data = {"grant_type": "client_credentials", "client_id": client_id}
        return self.client.post(TOKEN, data=data | {"client_secret": secret})

    def audit(self, resource_id: str) -> list[dict[str, Any]]:
        with self.container.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT action, actor, new_values FROM audit_log WHERE resource_id = :r "
                    "AND action LIKE 'partner_client.token%' ORDER BY occurred_at"
                ),
                {"r": resource_id},
            ).mappings()
            return [dict(r) for r in rows]


@pytest.fixture
def env(pg: PgDatabases, tmp_path: Path) -> Iterator[Env]:
    coaching = build_container(
        "coaching",
        broker=EmbeddedBroker(),
        database_url=pg.create("coaching"),
        transport="embedded",
        state_dir=tmp_path,
        log_level="WARNING",
        partner_token_failures_per_window=LIMIT,
        partner_token_failure_window_s=WINDOW_S,
    )
    # 10 s into a window, so that Retry-After is exactly 290 s.
    e = Env(
        coaching,
        TestClient(build_app(coaching, manage_lifecycle=False)),
        Tokens(tmp_path / "dev-jwt-key.pem"),
        dt.datetime.fromtimestamp((1_800_000_000 // WINDOW_S) * WINDOW_S + 10, dt.UTC),
    )
    coaching.state["partner_clock"] = lambda: e.now
    yield e
    coaching.stop()


def _assert_throttled(r: httpx.Response, retry_after: int) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == str(retry_after)
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["type"] == "urn:ww:problem:rate-limited"
    assert body["status"] == 429


def test_wrong_secrets_are_throttled_audited_and_the_window_ends(env: Env) -> None:
    client_id, secret = env.register()
    # A right secret never counts: many token requests in a window are fine.
    for _ in range(LIMIT + 2):
        assert env.token(client_id, secret).status_code == 200
    for _ in range(LIMIT):
        assert env.token(client_id, "pcs_guess").status_code == 401
    _assert_throttled(env.token(client_id, "pcs_guess"), 290)
    # Refused before the secret is checked, so the right secret is refused too.
    _assert_throttled(env.token(client_id, secret), 290)
    actions = [(a["action"], a["actor"]) for a in env.audit(client_id)]
    assert actions == [("partner_client.token_refused", client_id)] * LIMIT + [
        ("partner_client.token_throttled", client_id)  # once, not per refused request
    ]
    assert env.audit(client_id)[-1]["new_values"]["failures"] == LIMIT
    # The window ends: the right secret works again, and the old window is purged.
    env.now += dt.timedelta(seconds=290)
    assert env.token(client_id, secret).status_code == 200
    with env.container.engine.connect() as conn:
        starts = conn.execute(text("SELECT window_start FROM partner_token_failure_windows"))
        assert {int(s) for (s,) in starts} == {int(env.now.timestamp())}


def test_unknown_client_ids_are_throttled_without_keeping_the_id(env: Env) -> None:
    typed = "123456782"  # whatever a caller types as client id is never stored
    for i in range(LIMIT):
        assert env.token(f"pc_{i:016x}", "pcs_guess").status_code == 401
    _assert_throttled(env.token(typed, "pcs_guess"), 290)
    rows = env.audit("~unknown")
    assert [r["action"] for r in rows][-1] == "partner_client.token_throttled"
    with env.container.engine.connect() as conn:
        dump = str(conn.execute(text("SELECT * FROM partner_token_failure_windows")).all())
        dump += str(conn.execute(text("SELECT * FROM audit_log")).all())
    assert typed not in dump
    assert "pc_0000000000000000" not in dump


def test_another_address_is_not_locked_out(env: Env) -> None:
    """The throttle is per caller address: guessing from elsewhere cannot lock an agency out."""
    client_id, secret = env.register()
    for _ in range(LIMIT + 1):
        env.token(client_id, "pcs_guess")
    _assert_throttled(env.token(client_id, secret), 290)
    app = env.client.app
    elsewhere = TestClient(app, client=("192.0.2.10", 50000))  # type: ignore[arg-type]
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert elsewhere.post(TOKEN, data=data).status_code == 200


def test_parallel_guesses_over_http_cannot_pass_the_limit(env: Env) -> None:
    client_id, _ = env.register()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            env.client.app, host="127.0.0.1", port=port, log_config=None, access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    workers = 12
    barrier = threading.Barrier(workers)

    def guess(i: int) -> int:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            barrier.wait()
            data = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": f"pcs_guess_{i}",
            }
            return http.post(TOKEN, data=data).status_code

    try:
        with ThreadPoolExecutor(workers) as pool:
            statuses = sorted(pool.map(guess, range(workers)))
    finally:
        server.should_exit = True
        thread.join(10)
    assert statuses == [401] * LIMIT + [429] * (workers - LIMIT)
