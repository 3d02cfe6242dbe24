"""Start concurrent callers on a barrier, so they really race (issue 13).

A thread pool starts its workers one after another; the first ones can finish before the
last ones start, and a race the test is about then never happens. Every caller here waits
on one `threading.Barrier` and is released at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def on_barrier(fn: Callable[[T], R], args: Sequence[T], *, timeout: float = 120) -> list[R]:
    """Call `fn(arg)` for every arg, each in its own thread, all released by one barrier.

    Returns the results in the order of `args`; re-raises the first exception a caller raised
    (after every thread ended), and fails when a caller is still running after `timeout`.
    """
    n = len(args)
    barrier = threading.Barrier(n, timeout=timeout)
    results: list[R | None] = [None] * n
    errors: list[BaseException | None] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(args[i])
        except BaseException as exc:  # re-raised in the caller's thread below
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    if any(t.is_alive() for t in threads):
        raise AssertionError(f"concurrent callers still running after {timeout}s")
    for e in errors:
        if e is not None:
            raise e
    return results  # type: ignore[return-value]
