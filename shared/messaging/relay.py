"""Outbox relay: sends committed outbox rows to the broker, then marks them published.

At-least-once: a crash between the broker's acknowledgement and the "published" mark
re-sends the batch on restart, and consumers drop the duplicates through their inbox.
Per-key order holds because exactly one relay per service is active (a PostgreSQL
advisory lock elects it; see docs/adr/0003-outbox-relay-single-leader.md).
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from shared import faults
from shared.db.types import utcnow
from shared.logging import get_logger
from shared.messaging.transport import OutgoingMessage, Publisher

log = get_logger(__name__)


def _lock_key(name: str) -> int:
    # Non-negative, so pg_locks' (classid, objid) pair maps back to it without sign tricks.
    return int.from_bytes(hashlib.sha256(f"ww-relay:{name}".encode()).digest()[:8], "big") >> 1


_HELD = text(
    "SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :key"
)


class LeaderLock:
    """Session-level advisory lock on PostgreSQL; a no-op for SQLite (one process only)."""

    def __init__(self, engine: Engine, name: str) -> None:
        self._engine = engine
        self._key = _lock_key(name)
        self._conn: Connection | None = None

    @property
    def enabled(self) -> bool:
        """Only PostgreSQL can have several relay processes competing."""
        return self._engine.dialect.name == "postgresql"

    def ensure(self) -> bool:
        """Hold the lock (acquiring it if free); False while another relay holds it."""
        if not self.enabled:
            return True
        if self._conn is not None:
            try:
                # Ask the server, not the client: a transparently re-opened connection
                # would answer SELECT 1 without holding the lock.
                if (
                    not self._conn.invalidated
                    and self._conn.execute(_HELD, {"key": self._key}).scalar()
                ):
                    self._conn.commit()
                    return True
            except Exception:
                log.warning("relay.leader_connection_lost")
            self.release()
        conn = self._engine.connect()
        got = conn.execute(select(func.pg_try_advisory_lock(self._key))).scalar()
        conn.commit()
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        """Give the lock up; a connection we cannot unlock on is discarded, never pooled."""
        if self._conn is not None:
            try:
                self._conn.execute(select(func.pg_advisory_unlock(self._key)))
                self._conn.commit()
                self._conn.close()
            except Exception:
                # Closing the physical connection ends the session and so frees the lock.
                self._conn.invalidate()
                self._conn.close()
            self._conn = None


class OutboxRelay:
    """Polls one service's outbox and publishes in sequence order."""

    def __init__(
        self,
        *,
        name: str,
        engine: Engine,
        session_factory: sessionmaker[Session],
        outbox_model: type[Any],
        publisher: Publisher,
        batch_size: int = 500,
        poll_interval_s: float = 0.05,
        metrics: Any = None,
    ) -> None:
        self.name = name
        self._session_factory = session_factory
        self._outbox = outbox_model
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval_s
        self._lock = LeaderLock(engine, name)
        self._wakeup = threading.Event()
        self._metrics = metrics

    def notify(self) -> None:
        """Called after a commit that added events, so they leave without waiting a poll."""
        self._wakeup.set()

    def run_once(self) -> int:
        """Publish one batch; returns the number of events published."""
        ob = self._outbox
        with self._session_factory() as session:
            rows = session.execute(
                select(ob.seq, ob.event_id, ob.event_type, ob.topic, ob.message_key, ob.body)
                .where(ob.published_at.is_(None))
                .order_by(ob.seq)
                .limit(self._batch_size)
            ).all()
            session.rollback()
        if not rows:
            return 0
        messages = [
            OutgoingMessage(
                topic=r.topic,
                key=r.message_key.encode(),
                value=r.body.encode(),
                headers=[
                    ("ce_id", str(r.event_id).encode()),
                    ("ce_type", r.event_type.encode()),
                    ("ce_source", self.name.encode()),
                ],
            )
            for r in rows
        ]
        try:
            self._publisher.publish(messages)
        except Exception as exc:
            self._record_failure([r.seq for r in rows], exc)
            raise
        faults.point("relay.after_publish")
        with self._session_factory() as session:
            session.execute(
                update(ob)
                .where(ob.seq.in_([r.seq for r in rows]))
                .values(published_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()
        if self._metrics is not None:
            self._metrics.relay_published.inc(len(rows))
        return len(rows)

    def _record_failure(self, seqs: list[int], exc: Exception) -> None:
        ob = self._outbox
        try:
            with self._session_factory() as session:
                session.execute(
                    update(ob)
                    .where(ob.seq.in_(seqs))
                    .values(attempts=ob.attempts + 1, last_error=str(exc)[:2000])
                    .execution_options(synchronize_session=False)
                )
                session.commit()
        except Exception:
            log.warning("relay.record_failure_failed", relay=self.name)

    def pending(self) -> int:
        """Number of unpublished events (outbox lag), for metrics and tests."""
        ob = self._outbox
        with self._session_factory() as session:
            return int(
                session.execute(
                    select(func.count()).select_from(ob).where(ob.published_at.is_(None))
                ).scalar_one()
            )

    def run(self, stop: threading.Event) -> None:
        """Loop until stopped: publish, back off on broker errors, idle-wait on an empty outbox."""
        backoff = 0.1
        log.info("relay.started", relay=self.name)
        try:
            while not stop.is_set():
                try:
                    if not self._lock.ensure():
                        stop.wait(1.0)  # standby: another relay is the leader
                        continue
                    sent = self.run_once()
                    backoff = 0.1
                except Exception as exc:
                    log.warning(
                        "relay.publish_failed", relay=self.name, error=str(exc), retry_in_s=backoff
                    )
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self._batch_size:
                    self._wakeup.wait(self._poll_interval)
                    self._wakeup.clear()
        finally:
            self._lock.release()
            log.info("relay.stopped", relay=self.name)


def drain(relay: OutboxRelay, *, timeout_s: float = 30.0) -> None:
    """Publish until the outbox is empty (CLI and tests)."""
    deadline = time.monotonic() + timeout_s
    while relay.run_once() and time.monotonic() < deadline:
        pass
