"""Named fault points for crash-safety tests with real processes.

`WW_FAULTS=relay.after_publish` makes the process SIGKILL itself the first time it reaches
that point, exactly as an operator's `kill -9` or an OOM kill would; `name@3` the third
time (mid-batch). Unset in every normal mode, the check is one environment lookup at
start-up and a set membership test per point.
"""

from __future__ import annotations

import os
import signal
import threading


def _parse(value: str) -> dict[str, int]:
    armed: dict[str, int] = {}
    for part in value.split(","):
        name, _, nth = part.strip().partition("@")
        if name:
            armed[name] = int(nth) if nth.isdigit() and int(nth) > 0 else 1
    return armed


_ARMED = _parse(os.environ.get("WW_FAULTS", ""))
_ACTIVE = frozenset(_ARMED)
_SEEN: dict[str, int] = {}
_LOCK = threading.Lock()


def point(name: str) -> None:
    """Die here with SIGKILL if this fault point is armed for the process (on its n-th pass
    when armed as `name@n`)."""
    if name not in _ACTIVE:
        return
    with _LOCK:
        _SEEN[name] = _SEEN.get(name, 0) + 1
        due = _SEEN[name] >= _ARMED[name]
    if due:
        os.kill(os.getpid(), signal.SIGKILL)
