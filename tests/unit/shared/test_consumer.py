"""Inbox consumer: idempotence, dead letters, retries with backoff, context propagation."""

from __future__ import annotations

import json
import types
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import shared.messaging.consumer as consumer_module
from coaching.cases.models import Case
from coaching.coaches.models import Coach
from coaching.db import OutboxMessage, ProcessedEvent
from coaching.handlers import handle_claim_registered
from shared.context import causation_id_var, correlation_id_var
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events import REGISTRY
from shared.events.coaching import CoachDeactivated
from shared.events.envelope import Event
from shared.messaging.consumer import EventConsumer, Handler, Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from tests.support.fakes import FakeDeadLetters, claim_registered, incoming
from tests.support.system import container as build_container


@pytest.fixture
def coaching(state_dir: Path) -> Iterator[ServiceContainer]:
    c = build_container(
        "coaching", state_dir=state_dir, transport="embedded", broker=EmbeddedBroker()
    )
    c.migrate()
    yield c
    c.stop()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the consumer's backoff sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(consumer_module, "time", types.SimpleNamespace(sleep=recorded.append))
    return recorded


def _consumer(
    c: ServiceContainer,
    handlers: dict[str, Handler],
    dead: FakeDeadLetters,
    *,
    max_attempts: int = 5,
    backoff_initial_s: float = 0.01,
    backoff_max_s: float = 1.0,
) -> EventConsumer:
    return EventConsumer(
        name="coaching",
        uow_factory=c.uow,
        processed_model=ProcessedEvent,
        registry=REGISTRY,
        handlers=handlers,
        dead_letters=dead,
        max_attempts=max_attempts,
        backoff_initial_s=backoff_initial_s,
        backoff_max_s=backoff_max_s,
        metrics=c.metrics,
    )


def _count(c: ServiceContainer, model: type, *where: Any) -> int:
    with c.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def _add_coach_effect(event: Event[Any], uow: UnitOfWork) -> None:
    """A visible effect per event: a roster row named after the event."""
    uow.session.add(
        Coach(
            id=uuid.uuid4(),
            display_name=f"effect-{event.id}",
            office_code="AMS",
            specialisms=[],
            contract_hours=10.0,
            holds_intakes=False,
            active=True,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    uow.session.flush()


def test_duplicate_delivery_has_one_effect(coaching: ServiceContainer) -> None:
    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": handle_claim_registered}, dead)
    payload = claim_registered()
    message = incoming(payload, topic="ww.intake", offset=7)
    assert consumer.process(message) is Outcome.PROCESSED
    assert consumer.process(message) is Outcome.DUPLICATE
    # A redelivery at another offset (e.g. after a rebalance) is still the same event.
    again = incoming(message.value, topic="ww.intake", offset=8)
    assert consumer.process(again) is Outcome.DUPLICATE
    assert _count(coaching, Case, Case.claim_id == payload.claim_id) == 1
    assert _count(coaching, OutboxMessage, OutboxMessage.event_type == "case.opened") == 1
    with coaching.session_factory() as s:
        row = s.scalars(select(ProcessedEvent)).one()
    assert (row.consumer, row.event_type) == ("coaching", "claim.registered")
    assert (row.origin_topic, row.origin_partition, row.origin_offset) == ("ww.intake", 0, 7)
    assert dead.letters == []


def test_invalid_json_is_dead_lettered_at_once(coaching: ServiceContainer) -> None:
    calls: list[Event[Any]] = []
    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": lambda e, u: calls.append(e)}, dead)
    message = incoming(b'{"id": "not json', offset=3)
    assert consumer.process(message) is Outcome.DEAD_LETTERED
    assert calls == []
    (letter,) = dead.letters
    assert letter.message is message
    assert letter.consumer == "coaching"
    assert letter.attempts == 1
    assert "unparseable" in letter.error
    assert _count(coaching, ProcessedEvent) == 0


def test_unknown_event_type_is_dead_lettered(coaching: ServiceContainer) -> None:
    raw = json.loads(Event.create(claim_registered()).to_json_bytes())
    raw["type"] = "claim.teleported"
    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": handle_claim_registered}, dead)
    assert consumer.process(incoming(json.dumps(raw).encode())) is Outcome.DEAD_LETTERED
    (letter,) = dead.letters
    assert letter.attempts == 1
    assert "UnknownEventTypeError" in letter.error
    assert _count(coaching, ProcessedEvent) == 0


def test_unknown_schema_version_is_dead_lettered(coaching: ServiceContainer) -> None:
    raw = json.loads(Event.create(claim_registered()).to_json_bytes())
    raw["schemaversion"] = 99
    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": handle_claim_registered}, dead)
    assert consumer.process(incoming(json.dumps(raw).encode())) is Outcome.DEAD_LETTERED
    assert len(dead.letters) == 1


def test_payload_violating_its_schema_is_dead_lettered(coaching: ServiceContainer) -> None:
    raw = json.loads(Event.create(claim_registered()).to_json_bytes())
    del raw["data"]["office_code"]
    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": handle_claim_registered}, dead)
    assert consumer.process(incoming(json.dumps(raw).encode())) is Outcome.DEAD_LETTERED
    assert _count(coaching, Case) == 0


def test_always_failing_handler_is_retried_with_backoff_then_dead_lettered(
    coaching: ServiceContainer, sleeps: list[float]
) -> None:
    attempts: list[int] = []

    def broken(event: Event[Any], uow: UnitOfWork) -> None:
        attempts.append(1)
        _add_coach_effect(event, uow)  # partial work that must not survive
        raise RuntimeError("downstream unavailable")

    dead = FakeDeadLetters()
    consumer = _consumer(
        coaching,
        {"claim.registered": broken},
        dead,
        max_attempts=5,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    assert consumer.process(incoming(claim_registered())) is Outcome.DEAD_LETTERED
    assert len(attempts) == 5
    assert sleeps == [0.01, 0.02, 0.04, 0.05]  # doubling, capped, none after the last try
    (letter,) = dead.letters
    assert letter.attempts == 5
    assert "RuntimeError: downstream unavailable" in letter.error
    assert _count(coaching, Coach) == 0
    assert _count(coaching, ProcessedEvent) == 0


def test_handler_failing_twice_then_succeeding_is_processed_once(
    coaching: ServiceContainer, sleeps: list[float]
) -> None:
    attempts: list[int] = []

    def flaky(event: Event[Any], uow: UnitOfWork) -> None:
        attempts.append(1)
        _add_coach_effect(event, uow)
        if len(attempts) <= 2:
            raise ConnectionError("transient")

    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": flaky}, dead, max_attempts=5)
    message = incoming(claim_registered())
    assert consumer.process(message) is Outcome.PROCESSED
    assert len(attempts) == 3
    assert sleeps == [0.01, 0.02]
    assert dead.letters == []
    assert _count(coaching, Coach) == 1  # the two failed attempts were rolled back
    assert _count(coaching, ProcessedEvent) == 1
    assert consumer.process(message) is Outcome.DUPLICATE
    assert len(attempts) == 3


def test_event_type_without_handler_is_ignored(coaching: ServiceContainer) -> None:
    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": handle_claim_registered}, dead)
    payload = CoachDeactivated(coach_id=uuid.uuid4(), office_code="AMS", deactivated_at=utcnow())
    assert consumer.process(incoming(payload)) is Outcome.IGNORED
    assert dead.letters == []
    assert _count(coaching, ProcessedEvent) == 0
    assert _count(coaching, Case) == 0


def test_correlation_and_causation_ids_are_in_context_during_the_handler(
    coaching: ServiceContainer,
) -> None:
    seen: dict[str, str | None] = {}

    def handler(event: Event[Any], uow: UnitOfWork) -> None:
        seen["correlation"] = correlation_id_var.get()
        seen["causation"] = causation_id_var.get()
        # Events emitted while handling inherit both ids.
        emitted = uow.publish(claim_registered())
        seen["emitted_correlation"] = emitted.correlationid
        seen["emitted_causation"] = emitted.causationid
        uow.commit()

    consumer = _consumer(coaching, {"claim.registered": handler}, FakeDeadLetters())
    event = Event.create(claim_registered(), correlation_id="corr-abc-123")
    before = correlation_id_var.set("outer-request")
    try:
        assert consumer.process(incoming(event)) is Outcome.PROCESSED
        assert correlation_id_var.get() == "outer-request"  # restored afterwards
        assert causation_id_var.get() is None
    finally:
        correlation_id_var.reset(before)
    assert seen == {
        "correlation": "corr-abc-123",
        "causation": str(event.id),
        "emitted_correlation": "corr-abc-123",
        "emitted_causation": str(event.id),
    }


def test_outcomes_are_counted_in_metrics(coaching: ServiceContainer) -> None:
    consumer = _consumer(coaching, {"claim.registered": handle_claim_registered}, FakeDeadLetters())
    message = incoming(claim_registered())
    consumer.process(message)
    consumer.process(message)
    consumer.process(incoming(b"garbage"))
    registry = coaching.metrics.registry
    for outcome, expected in (("processed", 1), ("duplicate", 1), ("dead_lettered", 1)):
        value = registry.get_sample_value("ww_consumed_events_total", {"outcome": outcome})
        assert value == expected, outcome


def test_batch_is_one_transaction_and_a_failing_item_falls_back_alone(
    coaching: ServiceContainer, sleeps: list[float]
) -> None:
    failing = claim_registered()
    calls: list[uuid.UUID] = []

    def handler(event: Event[Any], uow: UnitOfWork) -> None:
        calls.append(event.data.claim_id)
        if event.data.claim_id == failing.claim_id:
            raise RuntimeError("broken on purpose")
        handle_claim_registered(event, uow)

    dead = FakeDeadLetters()
    consumer = _consumer(coaching, {"claim.registered": handler}, dead, max_attempts=3)
    good = [claim_registered() for _ in range(4)]
    batch = [
        incoming(good[0], offset=0),
        incoming(good[1], offset=1),
        incoming(failing, offset=2),
        incoming(good[2], offset=3),
        incoming(b"{broken", offset=4),
        incoming(good[3], offset=5),
    ]
    outcomes = consumer.process_batch(batch)
    assert outcomes == [
        Outcome.PROCESSED,
        Outcome.PROCESSED,
        Outcome.DEAD_LETTERED,
        Outcome.PROCESSED,
        Outcome.DEAD_LETTERED,
        Outcome.PROCESSED,
    ]
    # The failing item had exactly max_attempts tries: one in the batch, two alone.
    assert calls.count(failing.claim_id) == 3
    assert sorted(letter.attempts for letter in dead.letters) == [1, 3]
    assert _count(coaching, Case) == 4
    assert _count(coaching, ProcessedEvent) == 4
    # A clean batch commits once and a redelivered event inside it is a duplicate.
    duplicate = incoming(batch[0].value, offset=10)
    again = [claim_registered() for _ in range(3)]
    assert consumer.process_batch([incoming(p) for p in again] + [duplicate]) == [
        Outcome.PROCESSED,
        Outcome.PROCESSED,
        Outcome.PROCESSED,
        Outcome.DUPLICATE,
    ]
    assert _count(coaching, Case) == 7


def test_events_of_one_claim_in_one_batch_see_each_other(coaching: ServiceContainer) -> None:
    from coaching.handlers import HANDLERS
    from shared.events.common import Band, Segment
    from shared.events.triage import TriageScored

    claim = claim_registered()
    scored = TriageScored(
        claim_id=claim.claim_id,
        score_id=uuid.uuid4(),
        probability=0.4,
        band=Band.B25_50,
        segment=Segment.PERSONAL,
        model_version="m",
        provisional=True,
        factors=[],
        over_55=False,
        under_27=False,
        scored_at=utcnow(),
        trigger="claim_registered",
    )
    dead = FakeDeadLetters()
    consumer = _consumer(coaching, dict(HANDLERS), dead)
    outcomes = consumer.process_batch([incoming(scored, offset=0), incoming(claim, offset=1)])
    assert outcomes == [Outcome.PROCESSED, Outcome.PROCESSED]
    with coaching.session_factory() as s:
        case = s.scalars(select(Case)).one()  # one case, not two
    assert (case.registered, case.segment) == (True, "personal")
