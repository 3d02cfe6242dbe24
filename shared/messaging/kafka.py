"""Apache Kafka transport (kafka-python): idempotent producer with acks=all, manual commits."""

from __future__ import annotations

import threading
import time
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

from shared import faults
from shared.logging import get_logger
from shared.messaging.consumer import EventConsumer
from shared.messaging.transport import IncomingMessage, OutgoingMessage, PublishError

log = get_logger(__name__)


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return f"{topic}.dlq"


class KafkaPublisher:
    """Produces batches and returns only when every message is acknowledged by all ISRs."""

    def __init__(self, *, bootstrap: str, client_id: str, timeout_s: float = 30.0) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._timeout_s = timeout_s
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def _get(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self._bootstrap,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=True,
                max_in_flight_requests_per_connection=5,
                linger_ms=2,
                max_block_ms=5000,
                request_timeout_ms=10000,
                delivery_timeout_ms=int(self._timeout_s * 1000),
            )
        return self._producer

    def publish(self, messages: list[OutgoingMessage]) -> None:
        """Send all, flush, and raise PublishError unless every send was acknowledged."""
        with self._lock:
            try:
                producer = self._get()
                futures = [
                    producer.send(m.topic, key=m.key, value=m.value, headers=list(m.headers))
                    for m in messages
                ]
                producer.flush(timeout=self._timeout_s)
                for fut in futures:
                    fut.get(timeout=self._timeout_s)
            except Exception as exc:
                # A producer that failed mid-batch may hold stale state; start clean.
                self._reset()
                raise PublishError(f"kafka publish failed: {type(exc).__name__}: {exc}") from exc

    def check(self) -> None:
        """Raise unless the broker answers a metadata request."""
        admin = KafkaAdminClient(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-ready",
            request_timeout_ms=3000,
        )
        try:
            admin.list_topics()
        finally:
            admin.close()

    def _reset(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:
                log.debug("kafka.producer_close_failed")
            self._producer = None

    def close(self) -> None:
        """Flush and close the producer."""
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=10)
                self._producer = None


class KafkaDeadLetters:
    """Sends a given-up message to `<topic>.dlq` with the error and its origin in headers."""

    def __init__(self, publisher: KafkaPublisher) -> None:
        self._publisher = publisher

    def dead_letter(
        self, message: IncomingMessage, *, consumer: str, error: str, attempts: int
    ) -> None:
        headers = [
            *message.headers,
            ("dlq_error", error[:4000].encode()),
            ("dlq_consumer", consumer.encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_origin_topic", message.topic.encode()),
            ("dlq_origin_partition", str(message.partition).encode()),
            ("dlq_origin_offset", str(message.offset).encode()),
        ]
        self._publisher.publish(
            [
                OutgoingMessage(
                    topic=dlq_topic(message.topic),
                    key=message.key or b"",
                    value=message.value,
                    headers=headers,
                )
            ]
        )


def ensure_topics(bootstrap: str, topics: list[str], *, partitions: int = 4) -> None:
    """Create topics (and their DLQs) if missing; safe to call concurrently."""
    wanted = sorted({*topics, *(dlq_topic(t) for t in topics if not t.endswith(".dlq"))})
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="ww-admin", request_timeout_ms=15000
    )
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(name=t, num_partitions=partitions, replication_factor=1)
                        for t in missing
                    ],
                    raise_errors=False,
                )
            except TopicAlreadyExistsError:
                pass
            # Wait until the topics are visible, so the first produce does not race metadata.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if set(missing) <= set(admin.list_topics()):
                    break
                time.sleep(0.1)
    finally:
        admin.close()


class KafkaConsumerLoop:
    """Polls, processes each message in its own DB transaction, then commits offsets."""

    def __init__(
        self,
        *,
        consumer: EventConsumer,
        bootstrap: str,
        topics: list[str],
        group_id: str,
        max_poll_records: int = 200,
    ) -> None:
        self._consumer = consumer
        self._bootstrap = bootstrap
        self._topics = topics
        self._group_id = group_id
        self._max_poll_records = max_poll_records

    def _connect(self) -> KafkaConsumer:
        kc = KafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group_id,
            client_id=f"{self._group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._max_poll_records,
            session_timeout_ms=10000,
            heartbeat_interval_ms=3000,
            # A group assignment made while a topic's metadata was missing leaves its
            # partitions unassigned until the next refresh: keep that window short.
            metadata_max_age_ms=15000,
        )
        # Subscribe only once every topic's partitions are known, so the first
        # assignment covers them all.
        deadline = time.monotonic() + 30
        for topic in self._topics:
            while not kc.partitions_for_topic(topic) and time.monotonic() < deadline:
                time.sleep(0.2)
        kc.subscribe(self._topics)
        return kc

    def run(self, stop: threading.Event) -> None:
        """Consume until stopped; on any unexpected error reconnect from the last commit."""
        backoff = 0.2
        log.info("consumer.started", group=self._group_id, topics=self._topics)
        while not stop.is_set():
            kc: KafkaConsumer | None = None
            try:
                kc = self._connect()
                while not stop.is_set():
                    self._poll_once(kc)
                    backoff = 0.2
            except Exception as exc:
                log.warning(
                    "consumer.loop_failed", group=self._group_id, error=str(exc), retry_in_s=backoff
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if kc is not None:
                    try:
                        kc.close(autocommit=False)
                    except Exception:
                        log.debug("consumer.close_failed")
        log.info("consumer.stopped", group=self._group_id)

    def _poll_once(self, kc: KafkaConsumer) -> int:
        batch: dict[TopicPartition, list[Any]] = kc.poll(timeout_ms=200)
        if not batch:
            return 0
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        messages: list[IncomingMessage] = []
        for tp, records in batch.items():
            for record in records:
                messages.append(
                    IncomingMessage(
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                        key=record.key,
                        value=record.value,
                        headers=[(k, v) for k, v in (record.headers or [])],
                    )
                )
                offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        # Partition order is kept: records are applied in the order polled.
        self._consumer.process_batch(messages)
        count = len(messages)
        faults.point("consumer.after_db_commit")
        kc.commit(offsets)
        return count
