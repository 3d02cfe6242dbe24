"""Fixtures shared by every test suite (unit, integration, contract, e2e, fault)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A private state dir (dev keys, SQLite files) for one test."""
    d = tmp_path / "state"
    d.mkdir()
    return d


@pytest.fixture
def tokens(state_dir: Path) -> Tokens:
    """Tokens signed with the state dir's local key."""
    return Tokens(state_dir / "dev-jwt-key.pem")


@pytest.fixture(scope="session")
def pg() -> Iterator[PgDatabases]:
    """Real PostgreSQL (fails, never skips, when WW_TEST_PG_URL is missing)."""
    dbs = PgDatabases()
    try:
        yield dbs
    finally:
        dbs.close()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """Real Apache Kafka (fails, never skips, when WW_TEST_KAFKA is missing)."""
    value = os.environ.get("WW_TEST_KAFKA")
    if not value:
        pytest.fail(
            "WW_TEST_KAFKA is not set: run `make test` (it starts Kafka via deploy/local) "
            "or export it from `bash deploy/local/kafka.sh env`",
            pytrace=False,
        )
    return value


@pytest.fixture
def topic_prefix() -> str:
    """Topics private to one test: <prefix>.intake, <prefix>.triage, ..."""
    return f"t{uuid.uuid4().hex[:10]}.ww"
