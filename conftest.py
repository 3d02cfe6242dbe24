"""Fixtures shared by every test suite (unit, integration, contract, e2e, fault)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

# Real SMTP server (`smtp_server`), the fake Notify API (`fake_notify`) and a real headless
# Chromium (`browser`, with axe-core and screenshots) for any suite.
pytest_plugins = [
    "tests.support.smtp",
    "tests.support.notify",
    "tests.support.browser",
    "tests.support.live_web",
]


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


_pg_databases: list[PgDatabases] = []


@pytest.fixture(scope="session")
def pg() -> PgDatabases:
    """Real PostgreSQL (fails, never skips, when WW_TEST_PG_URL is missing)."""
    dbs = PgDatabases()
    _pg_databases.append(dbs)
    return dbs


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the run's databases after the last test, outside any test's timeout: a full
    run creates over a thousand, and dropping them on a busy server once took longer
    than the 300 s a test (and its fixtures' teardown) may take."""
    while _pg_databases:
        _pg_databases.pop().close()


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
