"""Broker down: registrations still succeed (the outbox holds the events); nothing is lost."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.db import scalar
from tests.support.distributed import distributed_system, register_claims
from tests.support.pg import PgDatabases
from tests.support.system import REPO, wait_until

N = 40


def _kafka(action: str) -> None:
    subprocess.run(
        ["bash", str(REPO / "deploy/local/kafka.sh"), action], check=True, timeout=180, cwd=REPO
    )


def test_claims_accepted_while_kafka_is_down_and_delivered_after(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    if os.environ.get("WW_KAFKA_CONTROL") != "deploy-local":
        pytest.fail(
            "this test stops and restarts the broker: run it through `make test` (WW_KAFKA_CONTROL=deploy-local)",
            pytrace=False,
        )
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:
        admin = system.tokens.user("admin")
        _kafka("down")
        try:
            claim_ids = register_claims(system.urls["intake"], admin, N, seed=99)
            assert len(claim_ids) == N  # every one answered 201 with the broker down
            intake, coaching = system.db["intake"], system.db["coaching"]
            assert scalar(intake, "SELECT count(*) FROM claims") == N
            pending = "SELECT count(*) FROM outbox WHERE published_at IS NULL AND event_type = 'claim.registered'"
            assert scalar(intake, pending) == N
            assert scalar(coaching, "SELECT count(*) FROM cases") == 0
        finally:
            _kafka("up")
        wait_until(
            lambda: (
                scalar(
                    coaching, "SELECT count(*) FROM cases WHERE registered AND segment IS NOT NULL"
                )
                == N
            ),
            timeout=120,
            message="every event delivered once the broker is back",
        )
        assert scalar(intake, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
        assert (
            scalar(
                coaching,
                "SELECT count(*) FROM processed_events WHERE event_type='claim.registered'",
            )
            == N
        )
        assert all(p.alive() for p in system.procs.procs), (
            "no service died while the broker was away"
        )
