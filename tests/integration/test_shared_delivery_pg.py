"""`shared.delivery` on PostgreSQL with a table of its own (issue 14 item 5).

A throwaway declarative base maps `DeliveryMixin` and `DeliveryAttemptMixin` on two test
tables in a fresh database; senders are plain functions. Covered: the backoff schedule,
giving up after the last attempt, bounced and suppressed, `on_final` once and in the
final transaction, two dispatchers at once never sending a row twice (SKIP LOCKED), a
sender that dies before or after handing over, a sender that raises, a sender that dies
on every attempt, a late record after another dispatcher took over, and the counters
per metrics registry.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import MetaData, String, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.engine import build_engine, build_session_factory
from shared.db.types import NAMING_CONVENTION
from shared.db.uow import UnitOfWork
from shared.delivery import (
    Attempt,
    DeliveryAttemptMixin,
    DeliveryMixin,
    DeliveryStatus,
    RetryPolicy,
    SendOutcome,
    deliver_due,
    recover_in_doubt,
)
from shared.messaging.tables import MessagingTables
from tests.support.concurrency import on_barrier
from tests.support.pg import PgDatabases

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
POLICY = RetryPolicy(max_attempts=4, base=dt.timedelta(seconds=30))


class _Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Parcel(DeliveryMixin, _Base):
    """A delivery of the tests: a recipient and nothing else."""

    __tablename__ = "test_parcels"

    recipient: Mapped[str] = mapped_column(String(100))


class ParcelAttempt(DeliveryAttemptMixin, _Base):
    __tablename__ = "test_parcel_attempts"


class Crash(BaseException):
    """The sender's process dying mid-attempt (not an error the dispatcher may catch)."""


@dataclass
class Db:
    uows: Callable[[], UnitOfWork]
    sent: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, n: int = 1, *, channel: str = "post", at: dt.datetime = T0) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in range(n)]
        with self.uows() as uow:
            for i, row_id in enumerate(ids):
                uow.session.add(
                    Parcel(
                        id=row_id,
                        dedupe_key=f"event-{row_id}:{channel}:r{i}",
                        channel=channel,
                        status=DeliveryStatus.PENDING,
                        attempts=0,
                        next_attempt_at=at,
                        created_at=at,
                        recipient=f"r{i}",
                    )
                )
            uow.commit()
        return ids

    def row(self, row_id: uuid.UUID) -> Parcel:
        with self.uows() as uow:
            return uow.session.get_one(Parcel, row_id)

    def log(self, row_id: uuid.UUID) -> list[tuple[Any, ...]]:
        with self.uows() as uow:
            return [
                tuple(r)
                for r in uow.session.execute(
                    select(
                        ParcelAttempt.attempt,
                        ParcelAttempt.outcome,
                        ParcelAttempt.status_code,
                        ParcelAttempt.error,
                        ParcelAttempt.at,
                    )
                    .where(ParcelAttempt.delivery_id == row_id)
                    .order_by(ParcelAttempt.attempt, ParcelAttempt.at)
                )
            ]

    def sender(self, outcome: Callable[[Parcel, Attempt], SendOutcome]) -> Any:
        """A sender recording what it was given, answering `outcome(row, attempt)`."""

        def send(row: Parcel, attempt: Attempt, /) -> SendOutcome:
            with self.lock:
                self.sent.append((row.id, attempt.number))
            return outcome(row, attempt)

        return send

    def run(self, senders: dict[str, Any], **kw: Any) -> Any:
        kw.setdefault("policy", POLICY)
        kw.setdefault("now", T0)
        return deliver_due(self.uows, Parcel, ParcelAttempt, senders, kind="test", **kw)


@pytest.fixture
def db(pg: PgDatabases) -> Iterator[Db]:
    engine = build_engine(pg.create("intake"))
    _Base.metadata.create_all(engine)
    factory = build_session_factory(engine)
    # These tests publish no events: the messaging tables are never used.
    tables = MessagingTables(outbox=object, processed=object, audit=object)

    def uows() -> UnitOfWork:
        return UnitOfWork(factory, tables=tables, topic="test")

    yield Db(uows)
    engine.dispose()


def ok(row: Parcel, attempt: Attempt) -> SendOutcome:
    return SendOutcome.sent(f"provider-{row.id}", status_code=250)


def test_the_backoff_schedule() -> None:
    policy = RetryPolicy(base=dt.timedelta(seconds=30), max_wait=dt.timedelta(hours=1))
    waits = [policy.backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]  # then the cap


def test_retries_back_off_and_give_up_after_the_last_attempt(db: Db) -> None:
    (row_id,) = db.add()
    final: list[tuple[str, int]] = []
    send = db.sender(lambda row, a: SendOutcome.retry("421 try later", status_code=421))
    now = T0
    for n in range(1, POLICY.max_attempts + 1):
        # Nothing before the next attempt is due.
        assert db.run({"post": send}, now=now - dt.timedelta(seconds=1)).attempted == 0
        run = db.run(
            {"post": send}, now=now, on_final=lambda uow, r: final.append((r.status, r.attempts))
        )
        assert run.attempted == 1
        row = db.row(row_id)
        if n < POLICY.max_attempts:
            assert (run.retrying, row.status, row.attempts) == (1, "pending", n)
            assert row.next_attempt_at == now + POLICY.backoff(n)
            assert row.finished_at is None
            now = row.next_attempt_at
        else:
            assert (run.failed, row.status, row.attempts) == (1, "failed", n)
            assert (row.next_attempt_at, row.finished_at) == (None, now)
    assert [w.total_seconds() for w in (POLICY.backoff(1), POLICY.backoff(2))] == [30, 60]
    assert db.run({"post": send}, now=now + dt.timedelta(days=1)).attempted == 0
    assert final == [("failed", POLICY.max_attempts)]  # once, at the end
    log = db.log(row_id)
    assert [(a, o, c) for a, o, c, _, _ in log] == [
        (1, "retry", 421),
        (2, "retry", 421),
        (3, "retry", 421),
        (4, "failed", 421),
    ]
    assert row.last_error == "421 try later"


def test_bounced_and_suppressed_end_at_once(db: Db) -> None:
    bounce, hush, none = db.add(3)
    outcomes = {
        bounce: SendOutcome.bounced("550 no such mailbox", status_code=550),
        hush: SendOutcome.suppressed("the appointment was cancelled"),
    }
    other_channel = db.add(channel="pigeon")[0]
    send = db.sender(lambda row, a: outcomes.get(row.id) or ok(row, a))
    run = db.run({"post": send})
    assert (run.attempted, run.bounced, run.suppressed, run.sent) == (4, 2, 1, 1)
    assert (db.row(bounce).status, db.row(bounce).last_status_code) == ("bounced", 550)
    assert db.row(hush).status == "suppressed"
    assert db.row(none).provider_message_id == f"provider-{none}"
    assert db.row(none).delivered_at == T0
    # A channel without a sender bounces (no sender will ever take it).
    assert db.row(other_channel).status == "bounced"
    assert db.row(other_channel).last_error == "no sender for channel pigeon"
    for row_id in (bounce, hush, other_channel):
        assert db.row(row_id).finished_at == T0
        assert db.row(row_id).next_attempt_at is None
    assert db.run({"post": send}, now=T0 + dt.timedelta(days=1)).attempted == 0
    assert [o for _, o, *_ in db.log(hush)] == ["suppressed"]


def test_on_final_runs_once_in_the_final_transaction(db: Db) -> None:
    first, second = db.add(2)

    def busy(row: Parcel, a: Attempt) -> SendOutcome:
        return SendOutcome.retry("busy")

    answers: dict[uuid.UUID, list[Callable[[Parcel, Attempt], SendOutcome]]] = {
        first: [busy, ok],
        second: [ok],
    }
    seen: list[tuple[uuid.UUID, str, dt.datetime | None]] = []

    def outcome(row: Parcel, a: Attempt) -> SendOutcome:
        return answers.get(row.id, [ok]).pop(0)(row, a)

    def on_final(uow: UnitOfWork, row: Parcel) -> None:
        seen.append((row.id, row.status, row.finished_at))
        # A follow-up written by the owner (a letter after a failed e-mail), same transaction.
        uow.session.add(
            Parcel(
                id=uuid.uuid4(),
                dedupe_key=f"after:{row.id}",
                channel="letter",
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=None,
                created_at=T0,
                recipient=row.recipient,
            )
        )

    send = db.sender(outcome)
    db.run({"post": send}, on_final=on_final)
    assert seen == [(second, "sent", T0)]
    db.run({"post": send}, now=T0 + dt.timedelta(minutes=1), on_final=on_final)
    assert seen == [(second, "sent", T0), (first, "sent", T0 + dt.timedelta(minutes=1))]
    db.run({"post": send}, now=T0 + dt.timedelta(days=1), on_final=on_final)
    assert len(seen) == 2

    # The hook failing rolls back the whole record: the status, the log and its own rows.
    (third,) = db.add()

    def broken(uow: UnitOfWork, row: Parcel) -> None:
        on_final(uow, row)
        raise RuntimeError("owner bug")

    with pytest.raises(RuntimeError):
        db.run({"post": send}, on_final=broken)
    assert db.row(third).status == "sending"  # as if the sender had died: recovered later
    assert db.log(third) == []
    with db.uows() as uow:
        follow_ups = uow.session.scalar(
            select(func.count()).select_from(Parcel).where(Parcel.dedupe_key == f"after:{third}")
        )
    assert follow_ups == 0


def test_two_dispatchers_at_once_never_send_a_row_twice(db: Db) -> None:
    ids = db.add(60)

    def slow(row: Parcel, a: Attempt) -> SendOutcome:
        time.sleep(0.005)  # long enough for the other dispatcher to reach the same rows
        return ok(row, a)

    send = db.sender(slow)
    runs = on_barrier(lambda _: db.run({"post": send}), [0, 1, 2])
    assert sorted(r for r, _ in db.sent) == sorted(ids)  # each exactly once
    assert sum(r.sent for r in runs) == 60
    with db.uows() as uow:
        rows = uow.session.execute(select(Parcel.status, Parcel.attempts)).all()
    assert {tuple(r) for r in rows} == {("sent", 1)}


def test_a_sender_dying_before_or_after_handing_over(db: Db) -> None:
    before, after = db.add(2)

    def die(row: Parcel, attempt: Attempt) -> SendOutcome:
        if row.id == after:
            attempt.handing_over()  # e.g. the SMTP end-of-data is about to go out
        raise Crash

    for _ in range(2):
        with pytest.raises(Crash):
            db.run({"post": db.sender(die)})
    assert (db.row(before).status, db.row(after).status) == ("sending", "handed_over")

    # Within the lease nothing is touched: the sender may still be working.
    assert recover_in_doubt(db.uows, Parcel, now=T0 + dt.timedelta(minutes=4)) == (0, 0)
    later = T0 + POLICY.lease + dt.timedelta(seconds=1)
    assert recover_in_doubt(db.uows, Parcel, now=later) == (1, 1)
    row = db.row(before)
    assert (row.status, row.next_attempt_at, row.lease_until) == ("pending", later, None)
    row = db.row(after)
    assert (row.status, row.finished_at, row.next_attempt_at) == ("unconfirmed", later, None)
    assert "not sent again" in (row.last_error or "")

    db.sent.clear()
    run = db.run({"post": db.sender(ok)}, now=later)
    assert (run.attempted, run.sent) == (1, 1)
    assert db.sent == [(before, 2)]  # the one the provider never had; never the other
    assert db.run({"post": db.sender(ok)}, now=later + dt.timedelta(days=1)).attempted == 0
    assert db.row(after).status == "unconfirmed"


def test_an_exception_in_a_sender_is_a_retry_and_the_batch_goes_on(db: Db) -> None:
    ids = db.add(3)

    def flaky(row: Parcel, a: Attempt) -> SendOutcome:
        if row.id == ids[1]:
            raise RuntimeError("boom")
        return ok(row, a)

    run = db.run({"post": db.sender(flaky)})
    assert (run.attempted, run.sent, run.retrying) == (3, 2, 1)
    row = db.row(ids[1])
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "RuntimeError: boom")
    assert row.next_attempt_at == T0 + dt.timedelta(seconds=30)
    assert [(o, e) for _, o, _, e, _ in db.log(ids[1])] == [("retry", "RuntimeError: boom")]


def test_a_sender_dying_at_every_attempt_is_given_up(db: Db) -> None:
    """A delivery that kills its sender every time (a poison message) must not be claimed
    forever: once its attempts are used up it fails without another try."""
    (row_id,) = db.add()
    finals: list[str] = []

    def die(row: Parcel, a: Attempt) -> SendOutcome:
        raise Crash

    now = T0
    for _ in range(POLICY.max_attempts):
        with pytest.raises(Crash):
            db.run({"post": db.sender(die)}, now=now)
        now += POLICY.lease + dt.timedelta(seconds=1)
    assert len(db.sent) == POLICY.max_attempts
    run = db.run({"post": db.sender(die)}, now=now, on_final=lambda u, r: finals.append(r.status))
    assert len(db.sent) == POLICY.max_attempts  # not tried again
    assert (run.recovered, run.attempted, run.failed) == (0, 0, 1)
    row = db.row(row_id)
    assert (row.status, row.attempts, row.finished_at) == ("failed", POLICY.max_attempts, now)
    assert finals == ["failed"]
    assert [o for _, o, *_ in db.log(row_id)] == ["failed"]


def test_a_late_record_after_another_dispatcher_took_over_is_logged_only(db: Db) -> None:
    (row_id,) = db.add()
    later = T0 + POLICY.lease + dt.timedelta(seconds=1)

    def stalled(row: Parcel, a: Attempt) -> SendOutcome:
        if a.number == 1:
            # This sender stalls past its lease; another run takes the row over meanwhile.
            assert db.run({"post": db.sender(ok)}, now=later).sent == 1
        return SendOutcome.sent("late-one", status_code=250)

    run = db.run({"post": db.sender(stalled)})
    row = db.row(row_id)
    # The second attempt's record stands; the late first one is in the log, not the row.
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, f"provider-{row_id}")
    assert row.delivered_at == later
    assert sorted((a, o) for a, o, *_ in db.log(row_id)) == [(1, "sent"), (2, "sent")]
    assert (run.attempted, run.sent) == (1, 0)


def test_each_metrics_registry_counts_its_own_attempts(db: Db) -> None:
    """Counters are kept per registry object: a registry made after another was collected
    (and perhaps at its address) still gets its own counters."""
    for _ in range(20):
        registry = CollectorRegistry()
        db.add()
        db.run({"post": db.sender(ok)}, registry=registry)
        text = generate_latest(registry).decode()
        line = 'ww_delivery_attempts_total{channel="post",kind="test",outcome="sent"} 1.0'
        assert line in text
        with db.uows() as uow:  # leave the next round a single due row
            uow.session.execute(update(Parcel).values(next_attempt_at=None))
            uow.commit()
        del registry
        gc.collect()
