"""Named fault points for crash-safety tests with real processes.

`WW_FAULTS=relay.after_publish` makes the process SIGKILL itself the first time it reaches
that point, exactly as an operator's `kill -9` or an OOM kill would. Unset in every normal
mode, the check is one environment lookup at start-up.
"""

from __future__ import annotations

import os
import signal

_ACTIVE = frozenset(p for p in os.environ.get("WW_FAULTS", "").split(",") if p)


def point(name: str) -> None:
    """Die here with SIGKILL if this fault point is armed for the process."""
    if name in _ACTIVE:
        os.kill(os.getpid(), signal.SIGKILL)
