"""PostgreSQL going away under load, and the API process killed mid-request.

Both run the intake API as a real `ww serve intake` process on a PostgreSQL cluster of the
test's own (deploy/local/pg.sh with a private WW_STATE_DIR and port), so stopping it
disturbs no other test. Registrations stream in from several threads over HTTP.

"Nothing half-written" is checked the same way in both: every claim row has exactly one
`claim.registered` outbox row and one `claim.register` audit row, and every such outbox
and audit row has its claim; every 201 the clients saw is in the database.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.load import RegistrationLoad
from tests.support.private_infra import PrivatePg, private_pg
from tests.support.system import Proc, free_port, processes, service_env, wait_healthy, wait_until
from tests.support.tokens import Tokens

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePg]:
    with private_pg(wanted_port=56141) as c:
        yield c


def _create_db(cluster: PrivatePg, name: str) -> str:
    engine = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return cluster.url(name)


def _rows(url: str, sql: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _assert_whole(url: str, created: set[str]) -> int:
    """Every claim with its outbox and audit row, and vice versa; returns the claim count."""
    claims = _rows(url, "SELECT id FROM claims")
    outbox = _rows(
        url,
        "SELECT message_key FROM outbox WHERE event_type = 'claim.registered'",
    )
    audit = _rows(url, "SELECT resource_id FROM audit_log WHERE action = 'claim.register'")
    assert len(outbox) == len(set(outbox)), "a claim.registered written twice"
    assert len(audit) == len(set(audit)), "a claim.register audited twice"
    assert set(claims) == set(outbox), (
        f"claims without event {set(claims) - set(outbox)}, events without claim "
        f"{set(outbox) - set(claims)}"
    )
    assert set(claims) == set(audit), (
        f"claims without audit {set(claims) - set(audit)}, audit without claim "
        f"{set(audit) - set(claims)}"
    )
    assert created <= set(claims), f"201s the database lost: {created - set(claims)}"
    return len(claims)


def _serve_intake(
    procs: object, tmp: Path, state: Path, db_url: str, port: int, name: str
) -> tuple[Proc, str]:
    env = service_env(
        "intake",
        state_dir=state,
        database_url=db_url,
        # API only (`serve`): events wait in the outbox, which is what the checks read.
        kafka="127.0.0.1:9",
        port=port,
        extra={"INTAKE_DB_POOL_SIZE": "4"},
    )
    proc = procs.start(name, ["serve", "intake"], env)  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, timeout=60, proc=proc)
    return proc, url


def test_postgres_down_under_load_answers_503_writes_nothing_half_and_recovers(
    cluster: PrivatePg, tmp_path: Path
) -> None:
    db = _create_db(cluster, "pg_outage_intake")
    state = tmp_path / "state"
    state.mkdir()
    admin = Tokens(state / "dev-jwt-key.pem").user("admin")
    with processes(tmp_path) as procs:
        api, url = _serve_intake(procs, tmp_path, state, db, free_port(), "intake")
        load = RegistrationLoad(url, admin, workers=6, seed=13).start()
        try:
            wait_until(lambda: load.count(201) >= 20, timeout=60, message="20 registrations")
            cluster.down()
            t_down = time.monotonic()
            try:
                # A while without a database: the API keeps answering (checked below: 503s).
                wait_until(
                    lambda: len([a for a in load.since(t_down + 1) if a.status]) >= 10,
                    timeout=30,
                    message="HTTP answers while PostgreSQL is down",
                )
                time.sleep(2)
            finally:
                t_restart = time.monotonic()
                cluster.up()
            t_up = time.monotonic()
            wait_until(
                lambda: any(a.status == 201 for a in load.since(t_up)),
                timeout=30,
                message="registrations succeed again without a restart of the API",
            )
            time.sleep(1)
        finally:
            answers = load.stop()
        assert api.alive(), api.text()[-3000:]

        outage = [a for a in answers if t_down + 1 <= a.at < t_restart]
        assert outage, "no request was answered while PostgreSQL was down"
        assert all(a.status == 503 for a in outage), sorted(
            {(a.status, a.error) for a in outage}, key=str
        )
        assert all(a.content_type.startswith(PROBLEM_JSON) for a in outage)
        assert all(a.body.get("status") == 503 for a in outage)
        # No request, at any moment (also while the pool dropped its dead connections), got a
        # 5xx other than 503 or no HTTP answer at all.
        bad = [(a.status, a.error, a.body) for a in answers if a.status not in (201, 503)]
        assert not bad, bad[:5]

        created = {str(a.body["id"]) for a in answers if a.status == 201}
        total = _assert_whole(db, created)
        # Transactions cut by the shutdown were rolled back: at most the requests in flight
        # at that moment can have committed without their 201 reaching the client.
        assert total - len(created) <= load.workers
        # Still serving after it all.
        some = next(iter(created))
        r = httpx.get(f"{url}/v1/claims/{some}", headers=Tokens.header(admin), timeout=5)
        assert r.status_code == 200, r.text


def test_api_killed_mid_request_leaves_each_claim_whole_or_absent(
    cluster: PrivatePg, tmp_path: Path
) -> None:
    db = _create_db(cluster, "api_kill_intake")
    state = tmp_path / "state"
    state.mkdir()
    tokens = Tokens(state / "dev-jwt-key.pem")
    admin = tokens.user("admin")
    port = free_port()
    with processes(tmp_path) as procs:
        api, url = _serve_intake(procs, tmp_path, state, db, port, "intake")
        load = RegistrationLoad(url, admin, workers=8, seed=17).start()
        try:
            wait_until(lambda: load.count(201) >= 30, timeout=60, message="30 registrations")
            api.popen.send_signal(signal.SIGKILL)
            assert api.popen.wait(10) == -signal.SIGKILL
            wait_until(
                lambda: load.count(None) >= load.workers,
                timeout=30,
                message="every client thread to see the dead server",
            )
        finally:
            answers = load.stop()
        cut = [a for a in answers if a.status is None]
        assert cut, "no request was cut off by the kill"
        assert all(a.status in (201, None) for a in answers), {a.status for a in answers}
        created = {str(a.body["id"]) for a in answers if a.status == 201}
        total = _assert_whole(db, created)
        # Requests in flight at the kill either committed whole (counted above, without a
        # 201 to show) or left nothing: never more than there were in flight.
        assert total - len(created) <= load.workers

        # Restarted on the same database, it serves again and the old claims are readable.
        api2, url2 = _serve_intake(procs, tmp_path, state, db, free_port(), "intake-restarted")
        with httpx.Client(base_url=url2, headers=Tokens.header(admin), timeout=10) as client:
            some = next(iter(created))
            assert client.get(f"/v1/claims/{some}").status_code == 200
            after = RegistrationLoad(url2, admin, workers=2, seed=18).start()
            try:
                wait_until(lambda: after.count(201) >= 5, timeout=30, message="new registrations")
            finally:
                more = after.stop()
        assert all(a.status == 201 for a in more), {(a.status, a.error) for a in more}
        assert api2.alive()
        _assert_whole(db, created | {str(a.body["id"]) for a in more})
