"""The BSN leak scan, wide: four services and the partner API as real processes on a
PostgreSQL cluster of the test's own, every sink searched for every BSN in every form.

tests/e2e/test_bsn_never_logged.py sends BSNs to every endpoint of the embedded system and
searches its log, outboxes and audit logs. This one runs `ww run <svc>` for all four
services on PostgreSQL and Kafka at DEBUG level and puts BSNs, plain and obfuscated
(spaces, dots, dashes, slashes, full-width digits), into bodies, query strings, path
segments and request headers (X-Correlation-ID, User-Agent, Referer, Idempotency-Key), on
the staff APIs and the partner API. Afterwards it searches:

- every process's log (request headers as logged included);
- every record on the four Kafka topics (key, value, headers);
- every HTTP response (body and headers) the test received;
- the raw files of the PostgreSQL cluster (heap, indexes, WAL) after CHECKPOINT.

Each BSN is searched as its digits, as each form it was sent in, and as the hex and base64
of its digits.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from shared.testdata import synthetic_bsn
from tests.support.bsn_scan import claim_body, forms, needles, scan
from tests.support.db import scalar
from tests.support.kafka import create_service_topics, read_all
from tests.support.pg import PgDatabases
from tests.support.private_infra import PrivatePg, private_pg
from tests.support.system import free_port, processes, service_env, wait_healthy, wait_until
from tests.support.tokens import Tokens
from ww.registry import SERVICE_NAMES

RNG = random.Random(20261207)


class Bsns:
    """Fresh BSNs, each remembered with every needle it may leak as."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self) -> str:
        while (value := synthetic_bsn(RNG)) in self.sent:
            pass
        self.sent.append(value)
        return value

    def needles(self) -> dict[bytes, str]:
        return needles(self.sent)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePg]:
    with private_pg(wanted_port=56151) as c:
        yield c


def test_no_bsn_in_any_form_reaches_logs_events_responses_or_database_files(
    cluster: PrivatePg,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WW_TEST_PG_URL", cluster.url(""))
    dbs_maker = PgDatabases()
    bsn = Bsns()
    responses: dict[str, bytes] = {}
    state = tmp_path / "state"
    state.mkdir()
    tokens = Tokens(state / "dev-jwt-key.pem")
    create_service_topics(kafka_bootstrap, topic_prefix)
    try:
        dbs = dbs_maker.create_all()
        with processes(tmp_path) as procs:
            urls: dict[str, str] = {}
            for svc in SERVICE_NAMES:
                port = free_port()
                env = service_env(
                    svc,
                    state_dir=state,
                    database_url=dbs[svc],
                    kafka=kafka_bootstrap,
                    topic_prefix=topic_prefix,
                    port=port,
                    extra={"WW_LOG_LEVEL": "DEBUG"},
                )
                proc = procs.start(svc, ["run", svc], env)
                urls[svc] = f"http://127.0.0.1:{port}"
                wait_healthy(urls[svc], timeout=90, proc=proc)
            _traffic(urls, tokens, bsn, responses)
            wait_until(
                lambda: all(
                    scalar(dbs[s], "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
                    for s in SERVICE_NAMES
                ),
                timeout=60,
                message="every outbox published",
            )
            procs.stop_all()
            logs = {f"log of {p.name}": p.text().encode() for p in procs.procs}
        engine = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("CHECKPOINT"))
        finally:
            engine.dispose()
        files = {
            f"pg file {p.relative_to(cluster.data_dir)}": p.read_bytes()
            for p in cluster.data_dir.rglob("*")
            if p.is_file() and p.stat().st_size < 64 * 1024 * 1024
        }
        assert all(b'"event": "http.request"' in v for v in logs.values()), "access log was off"
        assert any(b'"level": "debug"' in v for v in logs.values()), "not at DEBUG"

        events: dict[str, bytes] = {}
        for svc in SERVICE_NAMES:
            for i, rec in enumerate(read_all(kafka_bootstrap, f"{topic_prefix}.{svc}")):
                headers = b"".join(k.encode() + (v or b"") for k, v in rec.headers or [])
                events[f"kafka {svc}#{i}"] = (rec.key or b"") + (rec.value or b"") + headers
        assert len(events) >= 10, "the events did not flow"
    finally:
        dbs_maker.close()
    needles = bsn.needles()
    assert len(bsn.sent) >= 40, len(bsn.sent)

    leaks = {
        "logs": scan(logs, needles),
        "events": scan(events, needles),
        "responses": scan(responses, needles),
        "database files": scan(files, needles),
    }
    assert not any(leaks.values()), "\n".join(f"{k}: {v}" for k, v in leaks.items() if v)


def _without_instance(content: bytes) -> bytes:
    """A response body without problem+json's `instance`: RFC 9457 makes it the request's
    own path, so a BSN the caller put in the path comes back there by design. Everything
    else in the body (`detail`, `errors`, the resource) is scanned."""
    try:
        body = json.loads(content)
    except ValueError:
        return content
    if isinstance(body, dict):
        body.pop("instance", None)
    return json.dumps(body, ensure_ascii=False).encode()


def _traffic(urls: dict[str, str], tokens: Tokens, bsn: Bsns, responses: dict[str, bytes]) -> None:
    intake, triage, coaching, starters = (urls[s] for s in SERVICE_NAMES)
    staff = {"Authorization": f"Bearer {tokens.user('admin', sub='admin-leak')}"}

    with httpx.Client(timeout=20) as http:

        def send(label: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
            headers = {
                **staff,
                "X-Correlation-ID": bsn(),
                "User-Agent": f"leak-scan/{bsn()}",
                "Referer": f"http://example.org/?bsn={forms(bsn())['dots']}",
                **kwargs.pop("headers", {}),
            }
            r = http.request(method, url, headers=headers, **kwargs)
            responses[label] = _without_instance(r.content) + b"".join(
                k + b": " + v for k, v in r.headers.raw
            )
            assert r.status_code < 500, f"{label}: {r.status_code} {r.text}"
            return r

        claim_ids: list[str] = []
        # One BSN in every form: the first registers; the others are the same person again
        # (409 once normalised) or refused (422), never a 5xx.
        for name, form in forms(bsn()).items():
            r = send(f"register {name}", "POST", f"{intake}/v1/claims", json=claim_body(form))
            assert r.status_code in (201, 409, 422), f"{name}: {r.text}"
            if r.status_code == 201:
                claim_ids.append(r.json()["id"])
        assert claim_ids, "no form of the BSN registered"
        r = send(
            "register with idempotency key",
            "POST",
            f"{intake}/v1/claims",
            json=claim_body(bsn()),
            headers={"Idempotency-Key": bsn()},
        )
        assert r.status_code == 201, r.text
        claim_ids.append(r.json()["id"])
        send(
            "bsn in e-mail",
            "POST",
            f"{intake}/v1/claims",
            json=claim_body(bsn(), email=f"{bsn()}@example.nl"),
        )
        send(
            "bsn in name",
            "POST",
            f"{intake}/v1/claims",
            json=claim_body(bsn(), family_name=forms(bsn())["spaces"]),
        )
        for name, form in forms(bsn()).items():
            send(f"search {name}", "POST", f"{intake}/v1/claims/search", json={"bsn": form})
        send("list family_name", "GET", f"{intake}/v1/claims", params={"family_name": bsn()})
        send("claim path", "GET", f"{intake}/v1/claims/{bsn()}")
        first = claim_ids[0]
        send("claim read", "GET", f"{intake}/v1/claims/{first}", params={"bsn": bsn()})

        send("scores", "GET", f"{triage}/v1/claims/{first}/scores", params={"bsn": bsn()})
        send("scores path", "GET", f"{triage}/v1/claims/{bsn()}/scores")

        send(
            "coach with bsn in name",
            "POST",
            f"{coaching}/v1/coaches",
            json={
                "display_name": f"Daan {forms(bsn())['spaces']}",
                "office_code": "AMS",
                "contract_hours": 36,
            },
        )
        send("cases", "GET", f"{coaching}/v1/cases", params={"office_code": bsn()})
        send("case path", "GET", f"{coaching}/v1/cases/{bsn()}")

        send("starters list", "GET", f"{starters}/v1/starters/applications", params={"q": bsn()})
        send(
            "starters bad body",
            "POST",
            f"{starters}/v1/starters/applications",
            json={"bsn": bsn(), "claim_id": bsn()},
        )
        send("starters path", "GET", f"{starters}/v1/starters/applications/{bsn()}")

        # Partner API: a client, its token, requests with BSNs in every place.
        r = send(
            "partner client",
            "POST",
            f"{coaching}/v1/partner-clients",
            json={"name": "Leak Scan Agency", "scopes": ["vacancies:write", "candidates:read"]},
        )
        assert r.status_code == 201, r.text
        client = r.json()
        r = send(
            "partner token",
            "POST",
            f"{coaching}/partner/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
            },
            headers={"Authorization": ""},
        )
        assert r.status_code == 200, r.text
        partner = {"Authorization": f"Bearer {r.json()['access_token']}"}
        send(
            "partner wrong secret",
            "POST",
            f"{coaching}/partner/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": bsn(),
            },
            headers={"Authorization": ""},
        )
        send("partner sectors", "GET", f"{coaching}/partner/v1/sectors", headers=partner)
        send(
            "partner candidates",
            "GET",
            f"{coaching}/partner/v1/candidates",
            params={"sector": bsn(), "q": forms(bsn())["dashes"]},
            headers=partner,
        )
        send(
            "partner vacancy bad",
            "POST",
            f"{coaching}/partner/v1/vacancies",
            json={"title": f"Job {bsn()}", "bsn": bsn()},
            headers=partner,
        )
        send("partner path", "GET", f"{coaching}/partner/v1/vacancies/{bsn()}", headers=partner)
