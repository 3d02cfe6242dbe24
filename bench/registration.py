"""Figure 1: POST /v1/claims throughput on `ww serve intake` vs a bare FastAPI insert endpoint.

Both servers run side by side (idle while the other is measured). The requests are sent
in interleaved segments (baseline, intake, baseline, intake, ...) so that background load
on the shared machine falls on both sides alike; each side's figure is its total 201s
over its total timed seconds, with the latencies of its segments pooled.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import child_env, claim_bodies, run_loadgen
from bench.cpu import settle
from bench.infra import BenchError, BenchRun
from bench.stats import ratio, summary_ms
from tests.support.system import Proc, free_port, service_env, wait_healthy
from tests.support.tokens import Tokens

REWARM = 50  # warm-up of the later segments (a new client process, new connections)


@dataclass(frozen=True)
class RegistrationConfig:
    """Sizes of the registration phase."""

    requests: int = 2000
    warmup: int = 200
    concurrency: int = 16
    segments: int = 2
    client: str = "stdlib"
    settle_s: float = 10.0
    time_limit_s: float = 120.0


def healthy(url: str, proc: Proc) -> None:
    """Wait until a server answers /health (BenchError if it does not or dies)."""
    try:
        wait_healthy(url, timeout=90, proc=proc)
    except AssertionError as exc:
        raise BenchError(str(exc)) from None


def combine(segments: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's figure: its total 201s over its total timed seconds, latencies pooled."""
    ok = sum(s["ok"] for s in segments)
    elapsed = sum(s["elapsed_s"] for s in segments)
    latencies = [x for s in segments for x in s.pop("latencies_s")]
    statuses: dict[str, int] = {}
    for s in segments:
        for k, v in s["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    return {
        "requests": sum(s["requests"] for s in segments),
        "ok": ok,
        "statuses": statuses,
        "elapsed_s": round(elapsed, 3),
        "rps": ok / elapsed if elapsed > 0 else 0.0,
        "latency_ms": summary_ms(latencies),
        "segments": segments,
    }


def start_baseline(run: BenchRun) -> tuple[str, str, str, Proc]:
    """Start the bare-insert baseline app on a fresh schema: (db url, schema, url, process)."""
    db_url, schema = run.baseline_schema()
    port = free_port()
    proc = run.start_python(
        "baseline-app",
        "bench.baseline_app",
        ["--database-url", db_url, "--schema", schema, "--port", str(port)],
        child_env(),
    )
    return db_url, schema, f"http://127.0.0.1:{port}", proc


def segment_plan(requests: int, warmup: int, segments: int) -> tuple[int, list[int]]:
    """Timed requests per segment and the warm-up of each segment."""
    return requests // segments, [warmup if k == 0 else REWARM for k in range(segments)]


def closed_args(
    url: str,
    bodies: Path,
    *,
    client: str,
    concurrency: int,
    warmup: int,
    pid: int,
    token: str | None,
) -> list[str]:
    """Arguments of one closed-loop `bench.loadgen` segment."""
    args = [
        "--url", url,
        "--bodies", str(bodies),
        "--client", client,
        "--concurrency", str(concurrency),
        "--warmup", str(warmup),
        "--server-pid", str(pid),
    ]  # fmt: skip
    if token:
        args += ["--token", token]
    return args


def run_registration(run: BenchRun, cfg: RegistrationConfig, rng: random.Random) -> dict[str, Any]:
    """Start both servers, then measure them in interleaved segments."""
    per_segment, warmups = segment_plan(cfg.requests, cfg.warmup, cfg.segments)
    bodies = claim_bodies(rng, sum(warmups) + per_segment * cfg.segments)

    # Baseline: bare FastAPI + SQLAlchemy, one insert.
    db_url, schema, b_url, b_proc = start_baseline(run)
    # The intake service's API only (kafka transport; the API writes the outbox, never Kafka).
    token = Tokens(run.state_dir / "dev-jwt-key.pem").user("admin", sub="bench-admin")
    intake_db = run.database("intake", "reg")
    i_port = free_port()
    i_url = f"http://127.0.0.1:{i_port}"
    env = service_env(
        "intake",
        state_dir=run.state_dir,
        database_url=intake_db,
        kafka=run.kafka,
        topic_prefix=run.topic_prefix("r"),
        port=i_port,
    )
    i_proc = run.procs.start("intake-serve", ["serve", "intake"], env)
    healthy(b_url, b_proc)
    healthy(i_url, i_proc)

    sides = {
        "baseline": (b_url, None, b_proc),
        "intake": (i_url, token, i_proc),
    }
    results: dict[str, list[dict[str, Any]]] = {"baseline": [], "intake": []}
    start = 0
    for k in range(cfg.segments):
        chunk = bodies[start : start + warmups[k] + per_segment]
        start += len(chunk)
        chunk_file = run.dir / f"registration-bodies-{k}.json"
        chunk_file.write_text(json.dumps(chunk))
        for side, (url, tok, proc) in sides.items():
            quiet = settle(max_wait_s=cfg.settle_s, pids=[b_proc.popen.pid, i_proc.popen.pid])
            args = closed_args(
                url,
                chunk_file,
                client=cfg.client,
                concurrency=cfg.concurrency,
                warmup=warmups[k],
                pid=proc.popen.pid,
                token=tok,
            )
            seg = run_loadgen(run, f"load-{side}-{k}", "closed", args, time_limit=cfg.time_limit_s)
            seg["before"] = quiet
            results[side].append(seg)
    baseline = combine(results["baseline"])
    intake = combine(results["intake"])
    baseline["rows"] = run.scalar(db_url, f'SELECT count(*) FROM "{schema}".claims')
    intake["rows"] = {
        "claims": run.scalar(intake_db, "SELECT count(*) FROM claims"),
        "outbox": run.scalar(intake_db, "SELECT count(*) FROM outbox"),
        "audit_log": run.scalar(intake_db, "SELECT count(*) FROM audit_log"),
    }
    run.stop(b_proc, i_proc)
    return {
        "config": asdict(cfg),
        "intake": intake,
        "baseline": baseline,
        "ratio_rps": ratio(intake["rps"], baseline["rps"]),
        "ratio_p50": ratio(intake["latency_ms"].get("p50"), baseline["latency_ms"].get("p50")),
        "ratio_p95": ratio(intake["latency_ms"].get("p95"), baseline["latency_ms"].get("p95")),
    }
