"""Figure 2: outbox -> relay -> Kafka -> inbox consumer events/s vs raw produce -> consume.

Pipeline: `ww consume coaching` and `ww relay intake` run as their own processes. A
warm-up batch proves both are up and the consumer owns its partitions. Then a backlog of
claim.registered events is committed to the intake outbox in one transaction (through
the real `UnitOfWork.publish`), and the clock runs from that commit until coaching's
`processed_events` holds all of them (the end is the last `processed_at`, a DB timestamp).

Baseline: a fresh topic with the same partition count; a consumer process joins its group
first, then the same number of messages of the envelope's size are produced as fast as
the producer takes them (acks=all, idempotent); from the first send until the consumer
received the last one.

The two run in interleaved segments (raw, pipeline, raw, pipeline) so that background
load on the shared machine falls on both alike; each figure is total events over total
seconds.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

from bench.common import child_env, claim_registered, envelope_sample
from bench.cpu import CpuWindow, settle
from bench.infra import BenchError, BenchRun, to_epoch, wait_for, wall
from bench.kafka_raw import create_topic, prepare_topics, produce_burst
from bench.stats import ratio
from intake.db import TABLES as INTAKE_TABLES
from shared.db.engine import build_engine, build_session_factory
from shared.db.uow import UnitOfWork
from tests.support.system import service_env

WARMUP_EVENTS = 50
COUNT_SQL = "SELECT count(*) FROM processed_events WHERE event_type = 'claim.registered'"


@dataclass(frozen=True)
class EventsConfig:
    """Sizes of the event-throughput phase."""

    events: int = 5000
    segments: int = 2
    settle_s: float = 10.0
    time_limit_s: float = 150.0


class Pipeline:
    """`ww relay intake` + `ww consume coaching` on fresh databases and topics."""

    def __init__(self, run: BenchRun, rng: random.Random) -> None:
        self.run = run
        self.rng = rng
        self.intake_db = run.database("intake", "ev")
        self.coaching_db = run.database("coaching", "ev")
        prefix = run.topic_prefix("e")
        prepare_topics(run.kafka, prefix)

        def env(service: str, db: str) -> dict[str, str]:
            return service_env(
                service,
                state_dir=run.state_dir,
                database_url=db,
                kafka=run.kafka,
                topic_prefix=prefix,
            )

        self.envs = {
            "coaching": env("coaching", self.coaching_db),
            "intake": env("intake", self.intake_db),
        }
        self.restarts = 0
        self._start()
        self.engine = build_engine(self.intake_db)
        self.sessions = build_session_factory(self.engine)
        self.topic = f"{prefix}.intake"
        self.expected = 0

    def _fill(self, n: int) -> None:
        with UnitOfWork(self.sessions, tables=INTAKE_TABLES, topic=self.topic) as uow:
            for _ in range(n):
                uow.publish(claim_registered(self.rng))
            uow.commit()
        self.expected += n

    def _start(self) -> None:
        self.consumer = self.run.procs.start(
            "coaching-consume", ["consume", "coaching"], self.envs["coaching"]
        )
        self.relay = self.run.procs.start("intake-relay", ["relay", "intake"], self.envs["intake"])

    def warm_up(self) -> None:
        """Send a few events through and wait until coaching applied them."""
        self._fill(WARMUP_EVENTS)
        for attempt in (1, 2):
            try:
                wait_for(
                    lambda: self.run.scalar(self.coaching_db, COUNT_SQL) >= self.expected,
                    timeout=60,
                    what="warm-up events to reach coaching",
                    procs=[self.consumer, self.relay],
                )
                return
            except BenchError:
                if attempt == 2:
                    raise
            self.restarts += 1  # see System.warm_up in bench/e2e.py
            self.run.stop(self.relay, self.consumer)
            self._start()

    def drain(self, n: int, time_limit_s: float) -> dict[str, Any]:
        """Commit a backlog of n events and time it until coaching applied the last one."""
        t_fill = time.perf_counter()
        self._fill(n)  # one transaction: the backlog appears at its commit
        t0 = wall()
        fill_s = time.perf_counter() - t_fill
        cpu = CpuWindow({"relay": self.relay.popen.pid, "consumer": self.consumer.popen.pid})
        cpu.start()
        deadline = time.monotonic() + time_limit_s
        done = 0
        while time.monotonic() < deadline:
            done = int(self.run.scalar(self.coaching_db, COUNT_SQL))
            if done >= self.expected:
                break
            for p in (self.consumer, self.relay):
                if not p.alive():
                    raise BenchError(f"{p.name} exited:\n{p.text()[-2000:]}")
            time.sleep(0.1)
        usage = cpu.stop()
        t_end = to_epoch(
            self.run.scalar(
                self.coaching_db,
                "SELECT max(processed_at) FROM processed_events "
                "WHERE event_type = 'claim.registered'",
            )
        )
        unpublished = self.run.scalar(
            self.intake_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        relay_end = self.run.scalar(self.intake_db, "SELECT max(published_at) FROM outbox")
        processed = n - max(0, self.expected - done)
        elapsed = t_end - t0
        relay_s = to_epoch(relay_end) - t0 if relay_end is not None and unpublished == 0 else None
        if done < self.expected:  # do not let a short segment's leftovers leak into the next
            self.expected = done
        return {
            "events": n,
            "processed": processed,
            "complete": processed >= n,
            "fill_s": round(fill_s, 3),
            "elapsed_s": round(elapsed, 3),
            "events_per_s": processed / elapsed if elapsed > 0 else 0.0,
            "relay_drain_s": round(relay_s, 3) if relay_s is not None else None,
            "cpu": usage,
        }

    def pids(self) -> list[int]:
        """The pipeline's processes."""
        return [self.relay.popen.pid, self.consumer.popen.pid]

    def close(self) -> None:
        """Stop both processes and the bench's engine."""
        self.engine.dispose()
        self.run.stop(self.relay, self.consumer)


def raw_kafka(
    run: BenchRun, count: int, value: bytes, tag: str, time_limit_s: float
) -> dict[str, Any]:
    """kafka-python producer -> consumer process on a fresh topic."""
    prefix = run.topic_prefix(f"k{tag}")
    topic = f"{prefix}.raw-throughput"
    group = run.group(f"{prefix}-raw-throughput")
    create_topic(run.kafka, topic)
    out = run.dir / f"raw-throughput-{tag}.json"
    ready = run.dir / f"raw-throughput-{tag}.ready"
    proc = run.start_python(
        f"raw-consumer-{tag}",
        "bench.kafka_raw",
        [
            "consume",
            "--bootstrap", run.kafka,
            "--topic", topic,
            "--group", group,
            "--count", str(count),
            "--out", str(out),
            "--ready", str(ready),
            "--time-limit", str(time_limit_s),
        ],
        child_env(),
    )  # fmt: skip
    wait_for(ready.exists, timeout=90, what="raw consumer to join its group", procs=[proc])
    sent = produce_burst(run.kafka, topic, value, count)
    try:
        proc.popen.wait(time_limit_s + 30)
    except Exception:
        proc.stop()
        raise
    if proc.popen.returncode != 0 or not out.exists():
        raise BenchError(f"raw consumer failed:\n{proc.text()[-2000:]}")
    got = json.loads(out.read_text())
    elapsed = (got["last"] or sent["first_send"]) - sent["first_send"]
    return {
        "events": count,
        "received": got["received"],
        "complete": got["received"] >= count,
        "elapsed_s": round(elapsed, 3),
        "events_per_s": got["received"] / elapsed if elapsed > 0 else 0.0,
        "producer_acked_s": round(sent["all_acked"] - sent["first_send"], 3),
    }


def _combine(segments: list[dict[str, Any]], done_key: str) -> dict[str, Any]:
    events = sum(s["events"] for s in segments)
    done = sum(s[done_key] for s in segments)
    elapsed = sum(s["elapsed_s"] for s in segments)
    return {
        "events": events,
        done_key: done,
        "complete": done >= events,
        "elapsed_s": round(elapsed, 3),
        "events_per_s": done / elapsed if elapsed > 0 else 0.0,
        "segments": segments,
    }


def run_events(run: BenchRun, cfg: EventsConfig, rng: random.Random) -> dict[str, Any]:
    """Interleaved raw and pipeline segments."""
    value = envelope_sample(rng)
    per_segment = cfg.events // cfg.segments
    raws: list[dict[str, Any]] = []
    pipes: list[dict[str, Any]] = []
    pipe = Pipeline(run, rng)
    try:
        pipe.warm_up()
        for k in range(cfg.segments):
            quiet = settle(max_wait_s=cfg.settle_s, pids=pipe.pids())
            raws.append(
                raw_kafka(run, per_segment, value, str(k), cfg.time_limit_s) | {"before": quiet}
            )
            quiet = settle(max_wait_s=cfg.settle_s, pids=pipe.pids())
            pipes.append(pipe.drain(per_segment, cfg.time_limit_s) | {"before": quiet})
    finally:
        pipe.close()
    pipeline = _combine(pipes, "processed")
    pipeline["restarts_during_warm_up"] = pipe.restarts
    relay = [s["relay_drain_s"] for s in pipes]
    if all(r is not None for r in relay):
        pipeline["relay_events_per_s"] = pipeline["events"] / sum(r for r in relay if r)
    baseline = _combine(raws, "received")
    baseline["message_bytes"] = len(value)
    return {
        "config": asdict(cfg),
        "pipeline": pipeline,
        "baseline": baseline,
        "ratio": ratio(pipeline["events_per_s"], baseline["events_per_s"]),
    }
