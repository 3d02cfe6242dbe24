"""Outbox relay: sequence order, published only after acknowledgement, failures recorded and retried."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from coaching.db import OutboxMessage
from shared.messaging.embedded import EmbeddedBroker
from shared.messaging.relay import OutboxRelay, drain
from shared.messaging.transport import OutgoingMessage, PublishError
from shared.runtime import ServiceContainer
from tests.support.fakes import FakePublisher, claim_registered
from tests.support.system import container as build_container


@pytest.fixture
def coaching(state_dir: Path) -> Iterator[ServiceContainer]:
    c = build_container(
        "coaching", state_dir=state_dir, transport="embedded", broker=EmbeddedBroker()
    )
    c.migrate()
    yield c
    c.stop()


def _relay(c: ServiceContainer, publisher: FakePublisher, batch_size: int = 500) -> OutboxRelay:
    return OutboxRelay(
        name="coaching",
        engine=c.engine,
        session_factory=c.session_factory,
        outbox_model=OutboxMessage,
        publisher=publisher,
        batch_size=batch_size,
        poll_interval_s=0.01,
    )


def _enqueue(c: ServiceContainer, n: int, *, per_uow: int = 1) -> list[uuid.UUID]:
    """Commit n events (per_uow per transaction); return their ids in commit order."""
    ids: list[uuid.UUID] = []
    for start in range(0, n, per_uow):
        with c.uow() as uow:
            for _ in range(min(per_uow, n - start)):
                ids.append(uow.publish(claim_registered()).id)
            uow.commit()
    return ids


def _rows(c: ServiceContainer) -> list[OutboxMessage]:
    with c.session_factory() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.seq)))


def _ids(messages: list[OutgoingMessage]) -> list[uuid.UUID]:
    return [uuid.UUID(json.loads(m.value)["id"]) for m in messages]


def test_publishes_in_sequence_order_and_marks_published(coaching: ServiceContainer) -> None:
    ids = _enqueue(coaching, 7, per_uow=3)
    publisher = FakePublisher()
    relay = _relay(coaching, publisher)
    assert relay.pending() == 7
    assert relay.run_once() == 7
    assert _ids(publisher.messages) == ids
    rows = _rows(coaching)
    assert [r.event_id for r in rows] == ids
    assert all(r.published_at is not None for r in rows)
    assert relay.pending() == 0
    assert relay.run_once() == 0  # nothing left: nothing re-sent
    assert len(publisher.messages) == 7


def test_message_carries_topic_key_body_and_headers(coaching: ServiceContainer) -> None:
    with coaching.uow() as uow:
        event = uow.publish(claim_registered())
        uow.commit()
    publisher = FakePublisher()
    _relay(coaching, publisher).run_once()
    (m,) = publisher.messages
    assert m.topic == "ww.coaching"
    assert m.key == str(event.subject).encode()
    assert json.loads(m.value)["id"] == str(event.id)
    headers = dict(m.headers)
    assert headers["ce_id"] == str(event.id).encode()
    assert headers["ce_type"] == b"claim.registered"
    assert headers["ce_source"] == b"coaching"


def test_order_holds_across_batches(coaching: ServiceContainer) -> None:
    ids = _enqueue(coaching, 5)
    publisher = FakePublisher()
    relay = _relay(coaching, publisher, batch_size=2)
    assert [relay.run_once() for _ in range(4)] == [2, 2, 1, 0]
    assert [len(b) for b in publisher.batches] == [2, 2, 1]
    assert _ids(publisher.messages) == ids


def test_rows_are_unpublished_while_the_publisher_works(coaching: ServiceContainer) -> None:
    _enqueue(coaching, 3)
    seen_unpublished: list[int] = []

    def inspect(_: list[OutgoingMessage]) -> None:
        seen_unpublished.append(sum(r.published_at is None for r in _rows(coaching)))

    publisher = FakePublisher(on_publish=inspect)
    assert _relay(coaching, publisher).run_once() == 3
    assert seen_unpublished == [3]  # the mark comes only after the acknowledgement
    assert all(r.published_at is not None for r in _rows(coaching))


def test_failing_publisher_leaves_rows_unpublished_with_error(coaching: ServiceContainer) -> None:
    ids = _enqueue(coaching, 3)
    publisher = FakePublisher(fail=True)
    relay = _relay(coaching, publisher)
    with pytest.raises(PublishError):
        relay.run_once()
    rows = _rows(coaching)
    assert [r.published_at for r in rows] == [None, None, None]
    assert [r.attempts for r in rows] == [1, 1, 1]
    assert all("broker unavailable" in (r.last_error or "") for r in rows)
    with pytest.raises(PublishError):
        relay.run_once()
    assert [r.attempts for r in _rows(coaching)] == [2, 2, 2]
    assert relay.pending() == 3

    # The broker is back: the same events are sent again, in order, then marked.
    publisher.fail = False
    assert relay.run_once() == 3
    assert _ids(publisher.messages) == ids
    assert relay.pending() == 0
    rows = _rows(coaching)
    assert all(r.published_at is not None for r in rows)
    assert [r.attempts for r in rows] == [2, 2, 2]  # history of failures is kept


def test_drain_publishes_everything_in_batches(coaching: ServiceContainer) -> None:
    ids = _enqueue(coaching, 9, per_uow=9)
    publisher = FakePublisher()
    relay = _relay(coaching, publisher, batch_size=4)
    drain(relay)
    assert _ids(publisher.messages) == ids
    assert relay.pending() == 0


def test_run_loop_backs_off_on_failure_and_recovers(coaching: ServiceContainer) -> None:
    ids = _enqueue(coaching, 2)
    publisher = FakePublisher(fail=True)
    relay = _relay(coaching, publisher)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    worker.start()
    try:
        _wait(lambda: publisher.failures >= 2)
        assert relay.pending() == 2
        publisher.fail = False
        _wait(lambda: relay.pending() == 0)
        more = _enqueue(coaching, 1)
        relay.notify()
        _wait(lambda: relay.pending() == 0 and len(publisher.messages) == 3)
    finally:
        stop.set()
        relay.notify()
        worker.join(5)
    assert not worker.is_alive()
    assert _ids(publisher.messages) == ids + more


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")
