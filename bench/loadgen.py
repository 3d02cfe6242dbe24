"""HTTP load generator, run as its own process so it shares no GIL with what it measures.

Two modes, both bounded in count and in time:

* `closed`: N threads, each with its own keep-alive connection, send a fixed number of
  requests back to back after a warm-up (POST /v1/claims unless `--method`, `--path` or
  `--paths` say otherwise; `--paths` gives one path per body, e.g. a claim's
  questionnaire; `--ok-status` is the status that counts as done, default 201); reports requests/s, every latency, and the CPU used
  by the client, the server process and the whole machine during the timed part.
  `--client stdlib` (default) sends with http.client; `--client httpx` with one shared
  httpx.Client. On this 2-core machine the client's CPU per request decides how much CPU
  is left for the server: httpx costs 4-5x more per request than http.client (see
  docs/benchmarks.md), which would cap the cheap baseline before its server is saturated.
* `open`: an open-loop fixed schedule with httpx's asyncio client (request i is due at
  start + i/rate, whether or not earlier ones have answered); reports, per request, the
  wall-clock send and answer times and the created claim id, for end-to-end latency.

    python -m bench.loadgen closed --url U --bodies F --out O [--token T] --concurrency 16
    python -m bench.loadgen closed ... --method PUT --paths P --ok-status 200
    python -m bench.loadgen open   --url U --bodies F --out O [--token T] --rate 20
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import importlib.util
import json
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# httpcore runs `import sniffio` on every request; when sniffio is not installed (newer
# anyio no longer depends on it) each failed import walks the whole sys.path, which costs
# the client more CPU than the request itself. A None entry makes the import fail at once,
# with the same outcome (httpcore then assumes asyncio).
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

import httpx

from bench.cpu import CpuWindow

PATH = "/v1/claims"

Sender = Callable[[str, bytes], tuple[int, bytes]]


def _headers(token: str | None) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return headers


def _client_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _sender_factory(args: argparse.Namespace) -> Callable[[], Sender]:
    """A function that makes one sender per thread."""
    headers = _headers(args.token)
    method = args.method
    if args.client == "httpx":
        shared = httpx.Client(
            base_url=args.url,
            headers=headers,
            timeout=args.request_timeout,
            limits=httpx.Limits(
                max_connections=args.concurrency, max_keepalive_connections=args.concurrency
            ),
        )

        def make_httpx() -> Sender:
            def send(path: str, body: bytes) -> tuple[int, bytes]:
                r = shared.request(method, path, content=body)
                return r.status_code, r.content

            return send

        return make_httpx

    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    def make_stdlib() -> Sender:
        conn = http.client.HTTPConnection(host, port, timeout=args.request_timeout)

        def send(path: str, body: bytes) -> tuple[int, bytes]:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            return r.status, r.read()

        return send

    return make_stdlib


def _closed_batch(
    make: Callable[[], Sender],
    requests: list[tuple[str, bytes]],
    concurrency: int,
    deadline: float,
) -> tuple[list[float], dict[str, int]]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    it = iter(requests)

    def worker() -> None:
        send = make()
        while True:
            with lock:
                item = next(it, None)
            if item is None:
                return
            path, body = item
            if time.monotonic() > deadline:
                key = "not_sent_time_limit"
                with lock:
                    statuses[key] = statuses.get(key, 0) + 1
                continue
            t = time.perf_counter()
            try:
                key = str(send(path, body)[0])
            except (OSError, http.client.HTTPException, httpx.HTTPError) as exc:
                key = type(exc).__name__
                send = make()  # a fresh connection after an error
            elapsed = time.perf_counter() - t
            with lock:
                latencies.append(elapsed)
                statuses[key] = statuses.get(key, 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()) + 30)
    return latencies, statuses


def closed_loop(args: argparse.Namespace, requests: list[tuple[str, bytes]]) -> dict[str, Any]:
    """Fixed count, fixed concurrency, after a warm-up."""
    warm, timed = requests[: args.warmup], requests[args.warmup :]
    deadline = time.monotonic() + args.time_limit
    make = _sender_factory(args)
    _closed_batch(make, warm, args.concurrency, deadline)
    cpu = CpuWindow({"server": args.server_pid} if args.server_pid else {})
    cpu.start()
    c0 = _client_cpu_s()
    t0 = time.perf_counter()
    latencies, statuses = _closed_batch(make, timed, args.concurrency, deadline)
    elapsed = time.perf_counter() - t0
    c1 = _client_cpu_s()
    usage = cpu.stop()
    ok = statuses.get(str(args.ok_status), 0)
    usage["client_cores"] = round((c1 - c0) / elapsed, 3)
    usage["client_cpu_ms_per_request"] = round(1000 * (c1 - c0) / max(len(timed), 1), 3)
    return {
        "mode": "closed",
        "client": args.client,
        "method": args.method,
        "ok_status": args.ok_status,
        "concurrency": args.concurrency,
        "warmup": len(warm),
        "requests": len(timed),
        "ok": ok,
        "statuses": statuses,
        "elapsed_s": round(elapsed, 4),
        "rps": ok / elapsed if elapsed > 0 else 0.0,
        "latencies_s": latencies,
        "cpu": usage,
    }


async def open_loop(args: argparse.Namespace, bodies: list[bytes]) -> dict[str, Any]:
    """A fixed schedule at `rate` requests/s; records wall-clock times per request."""
    loop = asyncio.get_running_loop()
    records: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
        base_url=args.url,
        headers=_headers(args.token),
        timeout=args.request_timeout,
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=256),
    ) as client:
        start_loop = loop.time() + 0.2
        start_wall = time.time() + (start_loop - loop.time())

        async def fire(i: int, body: bytes) -> None:
            due = start_loop + i / args.rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            sent = time.time()
            rec: dict[str, Any] = {"i": i, "due": start_wall + i / args.rate, "sent": sent}
            try:
                r = await client.post(PATH, content=body)
                rec["done"] = time.time()
                rec["status"] = r.status_code
                if r.status_code == 201:
                    rec["id"] = r.json()["id"]
            except httpx.HTTPError as exc:
                rec["done"] = time.time()
                rec["status"] = type(exc).__name__
            records.append(rec)

        tasks = [asyncio.create_task(fire(i, b)) for i, b in enumerate(bodies)]
        _, pending = await asyncio.wait(tasks, timeout=args.time_limit)
        for t in pending:
            t.cancel()
    return {
        "mode": "open",
        "rate": args.rate,
        "scheduled": len(bodies),
        "answered": len(records),
        "not_answered_in_time": len(pending),
        "records": sorted(records, key=lambda r: r["i"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["closed", "open"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", type=Path, required=True, help="JSON list of request bodies")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--token")
    parser.add_argument("--method", default="POST", help="closed loop: the HTTP method")
    parser.add_argument("--path", default=PATH, help="closed loop: the path of every request")
    parser.add_argument(
        "--paths", type=Path, help="closed loop: JSON list of paths, one per body (over --path)"
    )
    parser.add_argument(
        "--ok-status", type=int, default=201, help="closed loop: the status counted as done"
    )
    parser.add_argument("--client", choices=["stdlib", "httpx"], default="stdlib")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--time-limit", type=float, default=120.0, help="hard cap in seconds")
    args = parser.parse_args()
    raw = json.loads(args.bodies.read_text())
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in raw]
    if args.mode == "closed":
        paths = json.loads(args.paths.read_text()) if args.paths else [args.path] * len(bodies)
        if len(paths) != len(bodies):
            parser.error(f"--paths has {len(paths)} paths for {len(bodies)} bodies")
        result = closed_loop(args, list(zip(paths, bodies, strict=True)))
    else:
        try:
            import uvloop

            loop_factory: Any = uvloop.new_event_loop
        except ImportError:
            loop_factory = None
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            result = runner.run(open_loop(args, bodies))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
