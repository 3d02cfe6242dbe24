"""Exactly one relay per service publishes at a time (PostgreSQL advisory lock)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from shared.messaging.relay import LeaderLock
from tests.support.pg import PgDatabases


def test_only_one_relay_holds_the_lock_and_a_standby_takes_over(
    pg: PgDatabases, tmp_path: Path
) -> None:
    url = pg.create("intake")
    first_engine, second_engine = create_engine(url), create_engine(url)
    first, second = LeaderLock(first_engine, "intake"), LeaderLock(second_engine, "intake")
    other_service = LeaderLock(second_engine, "triage")
    try:
        assert first.ensure() is True
        assert first.ensure() is True  # re-entrant for the holder
        assert second.ensure() is False  # standby while the leader lives
        assert other_service.ensure() is True  # each service has its own leader
        first.release()  # the leader stops (or its connection dies)
        assert second.ensure() is True
        assert first.ensure() is False
    finally:
        for lock in (first, second, other_service):
            lock.release()
        first_engine.dispose()
        second_engine.dispose()


def test_leader_lock_is_lost_with_its_connection_and_reacquired(pg: PgDatabases) -> None:
    url = pg.create("coaching")
    engine = create_engine(url)
    lock, rival = LeaderLock(engine, "coaching"), LeaderLock(create_engine(url), "coaching")
    try:
        assert lock.ensure()
        assert lock._conn is not None
        lock._conn.invalidate()  # as if the database connection dropped
        assert rival.ensure() is True  # the server released the lock with the session
        assert lock.ensure() is False
    finally:
        lock.release()
        rival.release()
        engine.dispose()
