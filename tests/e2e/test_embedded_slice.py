"""Acceptance scenario in embedded mode (`make run`): 200 concurrent claims flow to 200 cases.

The system runs as one `python -m ww embedded` subprocess on SQLite with in-process
event delivery; the test talks HTTP to it and reads the SQLite files to count.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.clock import local_today
from shared.testdata import synthetic_bsn, synthetic_postcode
from tests.support.concurrency import on_barrier
from tests.support.embedded_proc import EmbeddedSystem, embedded_system

N_CLAIMS = 200
WORKERS = 16


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSystem]:
    with embedded_system(tmp_path_factory.mktemp("embedded-slice")) as s:
        s.wait_healthy(timeout=60)
        yield s


def _claims(seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    bsns: set[str] = set()
    while len(bsns) < N_CLAIMS:
        bsns.add(synthetic_bsn(rng))
    today = local_today()
    return [
        {
            "bsn": bsn,
            "given_name": "Sam",
            "family_name": "Visser",
            "first_ww_day": (today - dt.timedelta(days=rng.randint(0, 30))).isoformat(),
            "postcode": synthetic_postcode(rng),
            "date_of_birth": dt.date(rng.randint(1960, 2000), rng.randint(1, 12), 1).isoformat(),
            "years_work_history": rng.randint(0, 40),
            "hours_lost_per_week": rng.choice([16, 24, 32, 36, 40]),
        }
        for bsn in sorted(bsns)
    ]


def test_200_concurrent_claims_become_200_scored_cases(system: EmbeddedSystem) -> None:
    token = system.tokens.user("benefits_officer", sub="officer-slice")
    intake = system.urls["intake"]
    bodies = _claims(seed=4242)

    with httpx.Client(
        base_url=intake,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
        limits=httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS),
    ) as http:

        def register(body: dict[str, object]) -> httpx.Response:
            return http.post("/v1/claims", json=body)

        started = time.monotonic()
        # WORKERS threads released together by one barrier, each sending its share.
        responses = on_barrier(register, bodies, workers=WORKERS, timeout=300)
        elapsed = time.monotonic() - started

    failures = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    assert not failures, failures[:5]
    claim_ids = {r.json()["id"] for r in responses}
    assert len(claim_ids) == N_CLAIMS
    print(f"\n{N_CLAIMS} registrations with {WORKERS} workers in {elapsed:.2f}s")

    def cases_complete() -> bool:
        rows = system.query(
            "coaching", "SELECT count(*), count(segment) FROM cases WHERE registered = 1"
        )
        return rows[0] == (N_CLAIMS, N_CLAIMS)

    system.wait_for(cases_complete, timeout=60, what=f"{N_CLAIMS} registered, scored cases")
    print(f"all {N_CLAIMS} cases scored {time.monotonic() - started:.2f}s after the first request")

    # Exactly 200 cases, one per claim, each with a segment and a score.
    cases = system.query(
        "coaching",
        "SELECT claim_id, segment, probability, band, score_model_version, registered, office_code "
        "FROM cases",
    )
    assert len(cases) == N_CLAIMS
    assert {_uuid(c[0]) for c in cases} == claim_ids
    assert all(c[1] in ("personal", "digital") for c in cases)
    assert all(c[2] is not None and 0 <= c[2] <= 1 for c in cases)
    assert all(c[3] is not None and c[4] for c in cases)
    assert all(c[5] == 1 and c[6] for c in cases)

    # Each case carries the segment that triage computed for its claim.
    scores = system.query("triage", "SELECT claim_id, segment, probability FROM scores")
    assert len(scores) == N_CLAIMS
    by_claim = {_uuid(s[0]): (s[1], s[2]) for s in scores}
    assert set(by_claim) == claim_ids
    for claim_id, segment, probability, *_ in cases:
        assert by_claim[_uuid(claim_id)] == (segment, pytest.approx(probability))

    # Each event was applied exactly once.
    processed = dict(
        system.query(
            "coaching",
            "SELECT event_type, count(*) FROM processed_events "
            "WHERE event_type IN ('claim.registered', 'triage.scored') GROUP BY event_type",
        )
    )
    assert processed == {"claim.registered": N_CLAIMS, "triage.scored": N_CLAIMS}
    assert system.query("triage", "SELECT count(*) FROM processed_events")[0][0] == N_CLAIMS
    assert system.query("intake", "SELECT count(*) FROM claims")[0][0] == N_CLAIMS

    # Nothing is stuck in an outbox, and nothing was dead-lettered.
    system.wait_for(
        lambda: all(
            system.query(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0
            for s in ("intake", "triage", "coaching")
        ),
        timeout=30,
        what="empty outboxes",
    )
    assert "consumer.dead_lettered" not in system.text()

    # The API agrees with the database.
    admin = system.tokens.user("admin", sub="admin-slice")
    page = httpx.get(
        f"{system.urls['coaching']}/v1/cases",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=10,
    )
    assert page.status_code == 200
    assert page.json()["total"] == N_CLAIMS

    assert system.interrupt(timeout=20) == 0, system.text()[-3000:]


def _uuid(value: object) -> str:
    """SQLite stores UUIDs as 32 hex characters; the API shows them dashed."""
    text = str(value).replace("-", "")
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def test_make_run_start_answers_health_within_60_seconds(tmp_path: Path) -> None:
    """What `make run` does (`ww embedded`, with demo data): all four /health within 60 s."""
    with embedded_system(tmp_path, demo=True) as system:
        seconds = system.wait_healthy(timeout=60)
        print(f"\nall four /health answered {seconds:.2f}s after process start")
        assert seconds < 60
        system.wait_for(
            lambda: "All four services are up" in system.text(),
            timeout=60,
            what="the ready banner (demo data loaded)",
        )
        # The demo temp agency: the printed credentials give a token for the partner API.
        found = re.search(
            r"client_id=(\S+) -d client_secret=(\S+) (\S+/partner/v1/oauth/token)", system.text()
        )
        assert found, system.text()[-3000:]
        client_id, secret, token_url = found.groups()
        token = httpx.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
            timeout=10,
        )
        assert token.status_code == 200, token.text
        search = httpx.get(
            token_url.replace("/oauth/token", "/candidates"),
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
        )
        assert search.status_code == 200, search.text
        assert system.interrupt(timeout=20) == 0, system.text()[-3000:]
        assert "Stopped." in system.text()
