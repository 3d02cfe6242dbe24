"""Delivery guarantees on real Kafka + PostgreSQL: duplicates and poison messages."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from pathlib import Path
from typing import Any

from shared.clock import local_today
from shared.db.uow import UnitOfWork
from shared.events import REGISTRY, Event
from shared.events.common import RegistrationChannel
from shared.events.intake import ClaimRegistered
from shared.messaging.consumer import EventConsumer
from shared.messaging.kafka import KafkaConsumerLoop, KafkaDeadLetters, KafkaPublisher
from tests.support.db import scalar
from tests.support.kafka import create_service_topics, produce_raw, read_all
from tests.support.pg import PgDatabases
from tests.support.system import container, wait_until


def _claim_event(claim_id: uuid.UUID | None = None) -> Event[Any]:
    payload = ClaimRegistered(
        claim_id=claim_id or uuid.uuid4(),
        office_code="AMS",
        first_ww_day=local_today(),
        registered_at=dt.datetime.now(dt.UTC),
        channel=RegistrationChannel.CLAIMANT,
        age_at_first_ww_day=40,
    )
    return Event.create(payload, correlation_id="test-correlation")


def test_same_message_delivered_twice_has_one_effect(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    create_service_topics(kafka_bootstrap, topic_prefix)
    url = pg.create("coaching")
    coaching = container(
        "coaching",
        state_dir=tmp_path,
        database_url=url,
        transport="kafka",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        consumer_group=f"{topic_prefix}-coaching",
    )
    event = _claim_event()
    raw = event.to_json_bytes()
    produce_raw(kafka_bootstrap, f"{topic_prefix}.intake", [(str(event.subject).encode(), raw)] * 2)
    coaching.start_consumer()
    try:
        duplicates = coaching.metrics.consumed.labels(outcome="duplicate")
        wait_until(
            lambda: duplicates._value.get() == 1,
            timeout=60,
            message="the second delivery seen as duplicate",
        )
        assert scalar(url, "SELECT count(*) FROM cases") == 1
        assert scalar(url, "SELECT count(*) FROM processed_events") == 1
        # The case opening was published once, not twice.
        assert scalar(url, "SELECT count(*) FROM outbox WHERE event_type = 'case.opened'") == 1
    finally:
        coaching.stop()


def test_poison_messages_go_to_the_dlq_and_the_consumer_moves_on(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    create_service_topics(kafka_bootstrap, topic_prefix)
    url = pg.create("coaching")
    coaching = container(
        "coaching",
        state_dir=tmp_path,
        database_url=url,
        transport="kafka",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
    )
    failing_claim = uuid.uuid4()
    attempts: list[uuid.UUID] = []

    def handler(event: Event[Any], uow: UnitOfWork) -> None:
        if event.data.claim_id == failing_claim:
            attempts.append(event.data.claim_id)
            raise RuntimeError("handler broke on purpose")
        uow.session.execute(
            coaching.spec.tables.audit.__table__.insert().values(
                id=uuid.uuid4(),
                occurred_at=dt.datetime.now(dt.UTC),
                actor="t",
                actor_kind="system",
                actor_roles=[],
                action="handled",
                resource_type="claim",
                resource_id=str(event.data.claim_id),
            )
        )

    publisher = KafkaPublisher(bootstrap=kafka_bootstrap, client_id="test-dlq")
    consumer = EventConsumer(
        name="poison-test",
        uow_factory=coaching.uow,
        processed_model=coaching.spec.tables.processed,
        registry=REGISTRY,
        handlers={"claim.registered": handler},
        dead_letters=KafkaDeadLetters(publisher),
        max_attempts=3,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    topic = f"{topic_prefix}.intake"
    unknown = _claim_event().model_dump(mode="json") | {"type": "claim.teleported"}
    good = _claim_event()
    produce_raw(
        kafka_bootstrap,
        topic,
        [
            (b"k1", b"{not json"),
            (b"k2", json.dumps(unknown).encode()),
            (str(failing_claim).encode(), _claim_event(failing_claim).to_json_bytes()),
            (str(good.subject).encode(), good.to_json_bytes()),
        ],
    )
    stop = threading.Event()
    loop = KafkaConsumerLoop(
        consumer=consumer,
        bootstrap=kafka_bootstrap,
        topics=[topic],
        group_id=f"{topic_prefix}-poison",
    )
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        dead = wait_until(
            lambda: (r := read_all(kafka_bootstrap, f"{topic}.dlq")) and len(r) >= 3 and r,
            timeout=60,
            message="three dead letters",
        )
        wait_until(
            lambda: (
                scalar(
                    url,
                    "SELECT count(*) FROM audit_log WHERE resource_id = :c",
                    c=str(good.data.claim_id),
                )
                == 1
            ),
            timeout=30,
            message="the good message after the poison ones is processed",
        )
    finally:
        stop.set()
        thread.join(20)
        publisher.close()
        coaching.stop()
    assert len(dead) == 3
    assert len(attempts) == 3, "the failing handler is retried max_attempts times"
    headers = [{k: v.decode() for k, v in record.headers} for record in dead]
    for h in headers:
        assert h["dlq_origin_topic"] == topic
        assert h["dlq_consumer"] == "poison-test"
        assert h["dlq_origin_partition"].isdigit()
        assert h["dlq_origin_offset"].isdigit()
    errors = {h["dlq_error"]: h["dlq_attempts"] for h in headers}
    assert any("ValidationError" in e and n == "1" for e, n in errors.items()), (
        errors
    )  # invalid JSON
    assert any("UnknownEventTypeError" in e and n == "1" for e, n in errors.items()), errors
    assert any("handler broke on purpose" in e and n == "3" for e, n in errors.items()), errors
    # No effect was committed for the failing event.
    assert scalar(url, "SELECT count(*) FROM processed_events WHERE consumer='poison-test'") == 1
