"""The whole system as real processes on PostgreSQL and Kafka (one `ww run` per service)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.concurrency import on_barrier
from tests.support.kafka import create_service_topics
from tests.support.pg import PgDatabases
from tests.support.system import (
    Processes,
    free_port,
    processes,
    service_env,
    wait_healthy,
    wait_until,
)
from tests.support.tokens import Tokens
from ww.registry import SERVICE_NAMES


@dataclass
class System:
    """Handles on a running distributed system."""

    urls: dict[str, str]
    db: dict[str, str]
    procs: Processes
    tokens: Tokens
    prefix: str
    kafka: str
    state_dir: Path


@contextmanager
def distributed_system(
    pg: PgDatabases,
    kafka: str,
    prefix: str,
    tmp_path: Path,
    *,
    services: tuple[str, ...] = SERVICE_NAMES,
    extra_env: dict[str, dict[str, str]] | None = None,
) -> Iterator[System]:
    """Start `ww run <svc>` for each service; stop them all on exit. `extra_env` adds
    environment variables per service (e.g. intake's SMTP server)."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(exist_ok=True)
    tokens = Tokens(state_dir / "dev-jwt-key.pem")  # created before the services read it
    create_service_topics(kafka, prefix)
    dbs = pg.create_all()
    with processes(tmp_path) as procs:
        urls: dict[str, str] = {}
        started = []
        for svc in services:
            port = free_port()
            env = service_env(
                svc,
                state_dir=state_dir,
                database_url=dbs[svc],
                kafka=kafka,
                topic_prefix=prefix,
                port=port,
            )
            env.update((extra_env or {}).get(svc, {}))
            started.append(procs.start(svc, ["run", svc], env))
            urls[svc] = f"http://127.0.0.1:{port}"
        for svc, proc in zip(services, started, strict=True):
            wait_healthy(urls[svc], timeout=60, proc=proc)
        yield System(
            urls=urls,
            db=dbs,
            procs=procs,
            tokens=tokens,
            prefix=prefix,
            kafka=kafka,
            state_dir=state_dir,
        )


def register_claims(
    intake_url: str, token: str, n: int, *, seed: int = 1, workers: int = 16
) -> list[str]:
    """Register n claims concurrently; returns the claim ids (asserts every one was 201)."""

    rng = random.Random(seed)
    bodies = [
        {
            "bsn": synthetic_bsn(rng),
            "given_name": "Test",
            "family_name": f"Claimant {chr(65 + i % 26)}",
            "first_ww_day": local_today().isoformat(),
            "postcode": f"{rng.randint(1000, 9999)} AB",
            "date_of_birth": f"{rng.randint(1960, 2004)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        }
        for i in range(n)
    ]
    assert len({b["bsn"] for b in bodies}) == n, "seeded BSNs must be unique"
    headers = {"Authorization": f"Bearer {token}"}

    with httpx.Client(base_url=intake_url, headers=headers, timeout=30) as client:

        def post(body: dict[str, str]) -> str:
            r = client.post("/v1/claims", json=body)
            assert r.status_code == 201, r.text
            return str(r.json()["id"])

        # `workers` threads released together by one barrier, each sending its share.
        return on_barrier(post, bodies, workers=workers, timeout=300)


__all__ = ["System", "distributed_system", "register_claims", "wait_until"]
