"""Figure 3: end-to-end latency, POST /v1/claims sent -> claim.registered applied in coaching.

The whole system runs (`ww run` for all four services on PostgreSQL + Kafka) under an
open-loop schedule of registrations. Per claim: the load generator's wall-clock send
time, and coaching's `processed_events.processed_at` of that claim's claim.registered
event (found through intake's outbox: claim id = message key -> event id). Every process
runs on this machine and reads the same clock.

Baseline: the same number of messages of the envelope's size at the same rate through the
bare broker (kafka-python producer, one send + flush per message like the relay at low
load, consumer process in a group), latency = receive time - send time.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from bench.common import child_env, claim_bodies, envelope_sample, run_loadgen
from bench.cpu import CpuWindow, settle
from bench.infra import BenchError, BenchRun, to_epoch, wait_for
from bench.kafka_raw import create_topic, prepare_topics, produce_paced
from bench.stats import ratio, summary_ms
from tests.support.system import Proc, free_port, service_env, wait_healthy
from tests.support.tokens import Tokens
from ww.registry import SERVICE_NAMES

WARMUP_CLAIMS = 20
RAW_WARMUP = 20  # unmeasured messages before the raw schedule, like WARMUP_CLAIMS
REGISTERED_SQL = "SELECT count(*) FROM processed_events WHERE event_type = 'claim.registered'"


@dataclass(frozen=True)
class E2EConfig:
    """Rates and duration of the end-to-end phase."""

    rates: tuple[float, ...] = (5.0, 20.0)
    duration_s: float = 30.0
    drain_timeout_s: float = 60.0
    settle_s: float = 10.0

    def count(self, rate: float) -> int:
        """Number of registrations in the schedule at one rate."""
        return int(rate * self.duration_s)


def _thirds(records: list[dict[str, Any]], key: str) -> list[float | None]:
    """p50 of `key` (ms) in each third of the schedule: flat = steady, rising = queueing."""
    if not records:
        return []
    ordered = sorted(records, key=lambda r: r["sent"])
    n = len(ordered)
    out: list[float | None] = []
    for k in range(3):
        part = [r[key] for r in ordered[k * n // 3 : (k + 1) * n // 3]]
        out.append(summary_ms(part).get("p50") if part else None)
    return out


class System:
    """All four services as `ww run` processes, warmed up."""

    def __init__(self, run: BenchRun, rng: random.Random) -> None:
        self.run = run
        self.rng = rng
        self.token = Tokens(run.state_dir / "dev-jwt-key.pem").user("admin", sub="bench-admin")
        prefix = run.topic_prefix("x")
        self.dbs = {svc: run.database(svc, "e2e") for svc in SERVICE_NAMES}
        prepare_topics(run.kafka, prefix)
        self.envs: dict[str, dict[str, str]] = {}
        self.urls: dict[str, str] = {}
        for svc in SERVICE_NAMES:
            port = free_port()
            self.envs[svc] = service_env(
                svc,
                state_dir=run.state_dir,
                database_url=self.dbs[svc],
                kafka=run.kafka,
                topic_prefix=prefix,
                port=port,
            )
            self.urls[svc] = f"http://127.0.0.1:{port}"
        self.procs: list[Proc] = []
        self.restarts = 0
        self._start()
        self.seen: set[str] = set()
        self.expected = 0

    def _start(self) -> None:
        self.procs = [
            self.run.procs.start(f"{svc}-run", ["run", svc], self.envs[svc])
            for svc in SERVICE_NAMES
        ]
        for svc, proc in zip(SERVICE_NAMES, self.procs, strict=True):
            try:
                wait_healthy(self.urls[svc], timeout=120, proc=proc)
            except AssertionError as exc:
                raise BenchError(str(exc)) from None

    def registered_in_coaching(self) -> int:
        """claim.registered events coaching has applied."""
        return int(self.run.scalar(self.dbs["coaching"], REGISTERED_SQL))

    def warm_up(self) -> None:
        """Every consumer group has joined and every code path has run once."""
        headers = Tokens.header(self.token)
        with httpx.Client(base_url=self.urls["intake"], headers=headers, timeout=30) as c:
            for body in claim_bodies(self.rng, WARMUP_CLAIMS, seen=self.seen):
                r = c.post("/v1/claims", json=body)
                if r.status_code != 201:
                    raise BenchError(f"warm-up registration failed: {r.status_code} {r.text}")
        self.expected += WARMUP_CLAIMS
        for attempt in (1, 2):
            try:
                wait_for(
                    lambda: self.registered_in_coaching() >= self.expected,
                    timeout=60,
                    what="warm-up claims to reach coaching",
                    procs=self.procs,
                )
                return
            except BenchError:
                if attempt == 2:
                    raise
            # Seen once in development: a consumer group that joined before the broker
            # had partition metadata sat without partitions. A restart rejoins.
            self.restarts += 1
            self.run.stop(*self.procs)
            self._start()

    def measure(self, rate: float, cfg: E2EConfig) -> dict[str, Any]:
        """One open-loop schedule at `rate`, then per-claim latencies from the databases."""
        tag = f"{rate:g}"
        bodies_file = self.run.dir / f"e2e-bodies-{tag}.json"
        bodies_file.write_text(json.dumps(claim_bodies(self.rng, cfg.count(rate), seen=self.seen)))
        quiet = settle(max_wait_s=cfg.settle_s, pids=[p.popen.pid for p in self.procs])
        cpu = CpuWindow(
            {svc: p.popen.pid for svc, p in zip(SERVICE_NAMES, self.procs, strict=True)}
        )
        cpu.start()
        load = run_loadgen(
            self.run,
            f"load-e2e-{tag}",
            "open",
            ["--url", self.urls["intake"], "--bodies", str(bodies_file), "--token", self.token,
             "--rate", str(rate)],
            time_limit=cfg.duration_s + 60,
        )  # fmt: skip
        usage = cpu.stop()
        records = load.pop("records")
        ok = [r for r in records if r.get("status") == 201]
        self.expected += len(ok)
        deadline = time.monotonic() + cfg.drain_timeout_s
        while time.monotonic() < deadline and self.registered_in_coaching() < self.expected:
            time.sleep(0.2)
        outbox = {
            r.message_key: r
            for r in self.run.rows(
                self.dbs["intake"],
                "SELECT message_key, event_id, created_at, published_at FROM outbox "
                "WHERE event_type = 'claim.registered'",
            )
        }
        processed = {
            r.event_id: r.processed_at
            for r in self.run.rows(
                self.dbs["coaching"],
                "SELECT event_id, processed_at FROM processed_events "
                "WHERE event_type = 'claim.registered'",
            )
        }
        joined: list[dict[str, Any]] = []
        for rec in ok:
            row = outbox.get(rec["id"])
            done_at = processed.get(row.event_id) if row is not None else None
            if row is None or done_at is None:
                continue
            t_done = to_epoch(done_at)
            joined.append(
                {
                    "sent": rec["sent"],
                    "total": t_done - rec["sent"],
                    "api": rec["done"] - rec["sent"],
                    "after_201": t_done - rec["done"],
                    "relay": to_epoch(row.published_at) - to_epoch(row.created_at)
                    if row.published_at is not None
                    else None,
                }
            )
        lag = [r["sent"] - r["due"] for r in records]
        return {
            "rate": rate,
            "scheduled": load["scheduled"],
            "ok": len(ok),
            "errors": len(records) - len(ok) + load["not_answered_in_time"],
            "not_in_coaching": len(ok) - len(joined),
            "send_lag_ms": summary_ms(lag),
            "latency_ms": summary_ms([j["total"] for j in joined]),
            "latency_p50_by_third_ms": _thirds(joined, "total"),
            "api_ms": summary_ms([j["api"] for j in joined]),
            "after_201_ms": summary_ms([j["after_201"] for j in joined]),
            "outbox_to_published_ms": summary_ms(
                [j["relay"] for j in joined if j["relay"] is not None]
            ),
            "cpu": usage,
            "before": quiet,
            "restarts_during_warm_up": self.restarts,
        }

    def stop(self) -> None:
        """Stop the four services."""
        self.run.stop(*self.procs)


def raw_latency(run: BenchRun, cfg: E2EConfig, rate: float, value: bytes) -> dict[str, Any]:
    """The same count at the same rate through the bare broker."""
    tag = f"{rate:g}"
    count = cfg.count(rate)
    quiet = settle(max_wait_s=cfg.settle_s)
    prefix = run.topic_prefix(f"l{tag.replace('.', '_')}")
    topic = f"{prefix}.raw-latency"
    group = run.group(f"{prefix}-raw-latency")
    create_topic(run.kafka, topic)
    out = run.dir / f"raw-latency-{tag}.json"
    ready = run.dir / f"raw-latency-{tag}.ready"
    consume_args = [
        "consume",
        "--bootstrap", run.kafka,
        "--topic", topic,
        "--group", group,
        "--count", str(count + RAW_WARMUP),
        "--out", str(out),
        "--ready", str(ready),
        "--time-limit", str(cfg.duration_s + 60),
    ]  # fmt: skip
    proc = run.start_python(
        f"raw-consumer-latency-{tag}", "bench.kafka_raw", consume_args, child_env()
    )
    wait_for(ready.exists, timeout=90, what="raw consumer to join its group", procs=[proc])
    sent = produce_paced(
        run.kafka, topic, value, count, rate, cfg.duration_s + 30, warmup=RAW_WARMUP
    )
    try:
        proc.popen.wait(cfg.duration_s + 90)
    except Exception:
        proc.stop()
        raise
    if proc.popen.returncode != 0 or not out.exists():
        raise BenchError(f"raw latency consumer failed:\n{proc.text()[-2000:]}")
    recv = {int(k): v for k, v in json.loads(out.read_text())["recv"].items()}
    lat = [recv[i] - t for i, t in sent.items() if i in recv]
    return {
        "rate": rate,
        "sent": len(sent),
        "received": len(lat),
        "message_bytes": len(value),
        "latency_ms": summary_ms(lat),
        "before": quiet,
    }


def run_e2e(run: BenchRun, cfg: E2EConfig, rng: random.Random) -> dict[str, Any]:
    """The system at each rate, then the raw broker at each rate on the then idle machine."""
    system = System(run, rng)
    try:
        system.warm_up()
        measured = [system.measure(rate, cfg) for rate in cfg.rates]
    finally:
        system.stop()
    value = envelope_sample(rng)
    out: dict[str, Any] = {"config": asdict(cfg), "rates": []}
    for rate, sys_result in zip(cfg.rates, measured, strict=True):
        base = raw_latency(run, cfg, rate, value)
        out["rates"].append(
            {
                "rate": rate,
                "system": sys_result,
                "baseline": base,
                "ratios": {
                    q: ratio(sys_result["latency_ms"].get(q), base["latency_ms"].get(q))
                    for q in ("p50", "p95", "p99", "max")
                },
            }
        )
    return out
