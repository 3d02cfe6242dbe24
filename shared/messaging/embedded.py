"""In-process transport for embedded mode: the relay hands messages straight to consumers.

Delivery is synchronous: `publish` returns only after every subscribed consumer has
processed (or dead-lettered) the message, so the relay marks a row published only once
its effects are committed. Outbox, relay, inbox and consumer code are the same as with
Kafka; only this class differs.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from shared.logging import get_logger
from shared.messaging.consumer import EventConsumer
from shared.messaging.transport import IncomingMessage, OutgoingMessage, PublishError

log = get_logger(__name__)


class EmbeddedBroker:
    """Topics as in-memory offsets; subscribers are consumers of services in this process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[EventConsumer]] = defaultdict(list)
        self._offsets: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self.dead_letters: list[tuple[IncomingMessage, str, str]] = []

    def subscribe(self, topics: list[str], consumer: EventConsumer) -> None:
        """Deliver future messages of these topics to the consumer."""
        with self._lock:
            for topic in topics:
                self._subscribers[topic].append(consumer)

    def publish(self, messages: list[OutgoingMessage]) -> None:
        """Deliver the batch to every subscriber of each topic, in order."""
        by_topic: dict[str, list[IncomingMessage]] = defaultdict(list)
        with self._lock:
            for m in messages:
                if not self._subscribers.get(m.topic):
                    # Nobody would receive it: keep it in the outbox rather than lose it.
                    raise PublishError(f"no embedded subscriber for topic {m.topic}")
            for m in messages:
                offset = self._offsets[m.topic]
                self._offsets[m.topic] += 1
                by_topic[m.topic].append(
                    IncomingMessage(
                        topic=m.topic,
                        partition=0,
                        offset=offset,
                        key=m.key,
                        value=m.value,
                        headers=m.headers,
                    )
                )
            deliveries = [(list(self._subscribers[t]), batch) for t, batch in by_topic.items()]
        for subscribers, batch in deliveries:
            for consumer in subscribers:
                consumer.process_batch(batch)

    def dead_letter(
        self, message: IncomingMessage, *, consumer: str, error: str, attempts: int
    ) -> None:
        """Keep the dead letter in memory (embedded mode is for demos; Kafka keeps a DLQ topic)."""
        with self._lock:
            self.dead_letters.append((message, consumer, error))

    def check(self) -> None:
        """Always reachable: it lives in this process."""

    def close(self) -> None:
        """Nothing to release."""
