"""Acceptance: the vertical slice on real Kafka + PostgreSQL with real processes."""

from __future__ import annotations

from pathlib import Path

from tests.support.db import scalar
from tests.support.distributed import distributed_system, register_claims
from tests.support.kafka import read_all
from tests.support.pg import PgDatabases
from tests.support.system import wait_until


def test_200_concurrent_claims_give_exactly_200_cases(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:
        admin = system.tokens.user("admin")
        claim_ids = register_claims(system.urls["intake"], admin, 200)
        assert len(set(claim_ids)) == 200

        coaching = system.db["coaching"]
        wait_until(
            lambda: (
                scalar(
                    coaching, "SELECT count(*) FROM cases WHERE registered AND segment IS NOT NULL"
                )
                == 200
            ),
            timeout=90,
            message="200 scored cases in coaching",
        )
        # Each event's effect applied exactly once: one inbox row per event, one row per claim.
        assert scalar(coaching, "SELECT count(*) FROM cases") == 200
        assert (
            scalar(
                coaching,
                "SELECT count(*) FROM processed_events WHERE event_type='claim.registered'",
            )
            == 200
        )
        assert (
            scalar(
                coaching, "SELECT count(*) FROM processed_events WHERE event_type='triage.scored'"
            )
            == 200
        )
        assert scalar(system.db["triage"], "SELECT count(*) FROM scores") == 200
        assert scalar(system.db["triage"], "SELECT count(DISTINCT claim_id) FROM scores") == 200
        assert scalar(system.db["starters"], "SELECT count(*) FROM known_claims") == 200
        assert (
            scalar(system.db["intake"], "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            == 0
        )
        # Nothing was dead-lettered.
        for svc in ("intake", "triage", "coaching", "starters"):
            assert read_all(kafka_bootstrap, f"{topic_prefix}.{svc}.dlq") == []
        # And the API shows the case.
        import httpx

        r = httpx.get(
            f"{system.urls['coaching']}/v1/cases/{claim_ids[0]}",
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert r.status_code == 200
        assert r.json()["segment"] in ("personal", "digital")
