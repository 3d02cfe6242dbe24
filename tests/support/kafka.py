"""Helpers around a real Kafka broker: topics, raw produce/consume, group offsets."""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from shared.messaging.kafka import ensure_topics
from ww.registry import SERVICE_NAMES


def create_service_topics(bootstrap: str, prefix: str) -> list[str]:
    """Create `<prefix>.<service>` and their DLQs before any process starts."""
    topics = [f"{prefix}.{s}" for s in SERVICE_NAMES]
    ensure_topics(bootstrap, topics)
    return topics


def produce_raw(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    """Produce (key, value) pairs and wait for the acknowledgements."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value).get(timeout=30)
    finally:
        producer.close()


def read_all(
    bootstrap: str, topic: str, *, expect: int | None = None, timeout: float = 20
) -> list[Any]:
    """Every record currently on a topic (all partitions, from the beginning)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = all(consumer.position(tp) >= end[tp] for tp in tps)
            if done and (expect is None or len(records) >= expect):
                break
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
            if done and expect is not None and len(records) < expect:
                end = consumer.end_offsets(tps)
        return records
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The offsets a consumer group has committed."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        # kafka-python 3 renamed list_consumer_group_offsets(group) to list_group_offsets({group: None}).
        if hasattr(admin, "list_group_offsets"):
            offsets = admin.list_group_offsets({group: None}).get(group, {})
        else:
            offsets = admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items()}
    finally:
        admin.close()


def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """The log-end offset of every partition of a topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        return dict(consumer.end_offsets(tps))
    finally:
        consumer.close()
