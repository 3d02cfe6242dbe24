"""Start concurrent callers on a barrier, so they really race (issue 13).

A thread pool starts its workers one after another; the first ones can finish before the
last ones start, and a race the test is about then never happens. Every caller here waits
on one `threading.Barrier` and is released at the same moment. Concurrent callers go over
real HTTP (`serve`: the test's app on a loopback port), not through an in-process
TestClient, so the server's own concurrency (event loop, thread pool, connection pool) is
part of what is tested.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import uvicorn

T = TypeVar("T")
R = TypeVar("R")


def on_barrier(
    fn: Callable[[T], R],
    args: Sequence[T],
    *,
    workers: int | None = None,
    timeout: float = 120,
) -> list[R]:
    """Call `fn(arg)` for every arg from threads that one barrier releases together.

    One thread per arg by default; with `workers`, that many threads, each calling its share
    of the args (every `workers`-th) one after another: a load of that concurrency whose
    workers all start at the same moment. Returns the results in the order of `args`;
    re-raises the first exception a caller raised (after every thread ended), and fails when
    a caller is still running after `timeout`.
    """
    n = len(args)
    k = n if workers is None else max(1, min(workers, n))
    barrier = threading.Barrier(k, timeout=timeout)
    results: list[R | None] = [None] * n
    errors: list[BaseException | None] = [None] * n

    def run(w: int) -> None:
        try:
            barrier.wait()
        except BaseException as exc:  # re-raised in the caller's thread below
            errors[w] = exc
            return
        for i in range(w, n, k):
            try:
                results[i] = fn(args[i])
            except BaseException as exc:
                errors[i] = exc

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in range(k)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise AssertionError(f"concurrent callers still running after {timeout}s")
    for e in errors:
        if e is not None:
            raise e
    return results  # type: ignore[return-value]


@contextmanager
def serve(app: Any, *, timeout: float = 10) -> Iterator[str]:
    """Serve an ASGI app (e.g. a fixture's `client.app`) on a free loopback port in a
    thread; yields its base URL. The app's container stays the fixture's (no lifespan)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise AssertionError("test server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def requests_on_barrier(
    base: str, requests: Sequence[tuple[str, str, dict[str, Any]]], *, timeout: float = 120
) -> list[httpx.Response]:
    """Send (method, path, httpx keyword arguments) requests concurrently over HTTP, each on
    its own connection (opened before the barrier), released together; responses in order."""
    clients = [httpx.Client(base_url=base, timeout=timeout) for _ in requests]
    try:
        for c in clients:  # connect first: the race is inside the service, not in connecting
            c.get("/health")

        def send(i: int) -> httpx.Response:
            method, path, kwargs = requests[i]
            return clients[i].request(method, path, **kwargs)

        return on_barrier(send, list(range(len(requests))), timeout=timeout)
    finally:
        for c in clients:
            c.close()
