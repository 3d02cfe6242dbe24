"""Baselines on the bare broker: kafka-python produce -> consume, no database anywhere.

The producer uses the settings of the services' `KafkaPublisher` (acks=all, idempotence,
5 in flight, linger 2 ms) and the consumer those of `KafkaConsumerLoop` (a consumer group,
manual offset commit after every poll, poll timeout 200 ms, 200 records per poll), so
the services' figures differ from these only by what the outbox, relay, inbox and handler
add. The consumer runs as its own process, like the services' consumers.

    python -m bench.kafka_raw consume --bootstrap B --topic T --group G --count N --out F --ready R
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata, TopicPartition

from tests.support.kafka import create_service_topics

PARTITIONS = 4  # what ensure_topics gives the services' topics


def producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """A producer configured like shared.messaging.kafka.KafkaPublisher."""
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        max_in_flight_requests_per_connection=5,
        linger_ms=2,
        max_block_ms=5000,
        request_timeout_ms=10000,
        delivery_timeout_ms=30000,
    )


def create_topic(bootstrap: str, topic: str) -> None:
    """A fresh topic with the services' partition count; waits until it is visible."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="ww-bench-admin", request_timeout_ms=15000
    )
    try:
        admin.create_topics(
            [NewTopic(name=topic, num_partitions=PARTITIONS, replication_factor=1)],
            raise_errors=False,
        )
    finally:
        admin.close()
    wait_for_leaders(bootstrap, [topic])


def wait_for_leaders(bootstrap: str, topics: list[str], timeout_s: float = 30.0) -> None:
    """Wait until every partition of the topics has a leader (consumers that join a group
    before that may be assigned nothing for a topic until their next metadata refresh)."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="ww-bench-admin", request_timeout_ms=15000
    )
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                described = admin.describe_topics(topics)
            except Exception:
                described = []
            ready = {
                t["name"]
                for t in described
                if t.get("error_code") == 0
                and t.get("partitions")
                and all(p.get("leader_id", -1) >= 0 for p in t["partitions"])
            }
            if ready >= set(topics):
                return
            time.sleep(0.2)
    finally:
        admin.close()


def prepare_topics(bootstrap: str, prefix: str) -> None:
    """The services' topics (and DLQs) of a prefix, created and led before any process starts."""
    topics = create_service_topics(bootstrap, prefix)
    wait_for_leaders(bootstrap, topics)


def index_key(i: int) -> bytes:
    """A 36-byte key (the length of a claim id) that carries the message index."""
    return f"{i:036d}".encode()


def headers_like_relay(i: int) -> list[tuple[str, bytes]]:
    """Headers of the same size as the relay's (ce_id, ce_type, ce_source)."""
    return [
        ("ce_id", f"{i:036d}".encode()),
        ("ce_type", b"claim.registered"),
        ("ce_source", b"intake"),
    ]


def produce_burst(bootstrap: str, topic: str, value: bytes, count: int) -> dict[str, float]:
    """Send `count` messages as fast as the producer takes them; wall times of start/acks."""
    p = producer(bootstrap, "ww-bench-burst")
    try:
        p.partitions_for(topic)  # metadata before the clock starts, as a running relay has it
        t0 = time.time()
        futures = [
            p.send(topic, key=index_key(i), value=value, headers=headers_like_relay(i))
            for i in range(count)
        ]
        p.flush(timeout=120)
        for f in futures:
            f.get(timeout=30)
        return {"first_send": t0, "all_acked": time.time()}
    finally:
        p.close(timeout=10)


def produce_paced(
    bootstrap: str,
    topic: str,
    value: bytes,
    count: int,
    rate: float,
    time_limit: float,
    *,
    warmup: int = 0,
) -> dict[int, float]:
    """Open-loop schedule at `rate`/s; each message is sent and acknowledged on its own
    (what the relay does when one event is waiting). Returns wall send time per index.

    `warmup` unmeasured messages (indices count, count+1, ...) go first, like the
    system's warm-up registrations, so no first-message connection cost is measured."""
    p = producer(bootstrap, "ww-bench-paced")
    sent: dict[int, float] = {}
    try:
        p.partitions_for(topic)
        for w in range(count, count + warmup):
            p.send(topic, key=index_key(w), value=value, headers=headers_like_relay(w))
            p.flush(timeout=30)
            time.sleep(0.05)
        start = time.monotonic() + 0.5
        hard_stop = start + time_limit
        for i in range(count):
            due = start + i / rate
            now = time.monotonic()
            if now > hard_stop:
                break
            if due > now:
                time.sleep(due - now)
            sent[i] = time.time()
            p.send(topic, key=index_key(i), value=value, headers=headers_like_relay(i))
            p.flush(timeout=30)
        return sent
    finally:
        p.close(timeout=10)


# The consumer process ------------------------------------------------------------------


def consume(args: argparse.Namespace) -> dict[str, Any]:
    """Join the group, signal readiness, receive `count` messages, record receive times."""
    kc = KafkaConsumer(
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        client_id=f"{args.group}-consumer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=200,
        session_timeout_ms=10000,
        heartbeat_interval_ms=3000,
    )
    received: dict[int, float] = {}
    try:
        kc.subscribe([args.topic])
        deadline = time.monotonic() + 60
        while not kc.assignment() and time.monotonic() < deadline:
            kc.poll(timeout_ms=100)
        if not kc.assignment():
            raise SystemExit("no partitions assigned within 60 s")
        args.ready.write_text("ready")
        deadline = time.monotonic() + args.time_limit
        while len(received) < args.count and time.monotonic() < deadline:
            batch = kc.poll(timeout_ms=200)
            if not batch:
                continue
            offsets: dict[TopicPartition, OffsetAndMetadata] = {}
            for tp, records in batch.items():
                for record in records:
                    received.setdefault(int(record.key), time.time())
                    offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
            kc.commit(offsets)
    finally:
        kc.close(autocommit=False)
    times = list(received.values())
    return {
        "received": len(received),
        "first": min(times) if times else None,
        "last": max(times) if times else None,
        "recv": {str(k): v for k, v in received.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["consume"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    args.out.write_text(json.dumps(consume(args)))


if __name__ == "__main__":
    main()
