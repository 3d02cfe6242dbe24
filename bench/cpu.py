"""CPU accounting from Linux /proc: a process's CPU seconds and the whole machine's."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_s(pid: int) -> float | None:
    """User+system CPU seconds of a process so far (None if it is gone or not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime field 14, stime field 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, summed over all cores."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    ticks = [int(x) for x in first[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    total = sum(ticks[:8])  # guest time is already counted in user
    return (total - idle) / _TICK, total / _TICK


@dataclass
class CpuWindow:
    """CPU use of some processes and of the machine between start() and stop()."""

    pids: dict[str, int]
    _t0: float = 0.0
    _proc0: dict[str, float | None] = field(default_factory=dict)
    _mach0: tuple[float, float] | None = None
    result: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        """Take the first reading."""
        self._t0 = time.monotonic()
        self._proc0 = {k: proc_cpu_s(p) for k, p in self.pids.items()}
        self._mach0 = machine_cpu()

    def stop(self) -> dict[str, float]:
        """Take the second reading; returns cores used (1.0 = one core busy) per name."""
        elapsed = max(time.monotonic() - self._t0, 1e-9)
        out: dict[str, float] = {}
        for k, pid in self.pids.items():
            before, after = self._proc0.get(k), proc_cpu_s(pid)
            if before is not None and after is not None:
                out[f"{k}_cores"] = round((after - before) / elapsed, 3)
        m1 = machine_cpu()
        if self._mach0 is not None and m1 is not None:
            busy = m1[0] - self._mach0[0]
            total = m1[1] - self._mach0[1]
            out["machine_busy_cores"] = round(busy / elapsed, 3)
            out["machine_busy_pct"] = round(100 * busy / total, 1) if total > 0 else 0.0
        self.result = out
        return out


def foreign_busy_cores(pids: Sequence[int] = (), seconds: float = 1.0) -> float | None:
    """Cores the machine kept busy over the next `seconds`, minus what `pids` used."""
    m0 = machine_cpu()
    own0 = [proc_cpu_s(p) for p in pids]
    t0 = time.monotonic()
    time.sleep(seconds)
    m1 = machine_cpu()
    own1 = [proc_cpu_s(p) for p in pids]
    elapsed = time.monotonic() - t0
    if m0 is None or m1 is None:
        return None
    own = sum(b - a for a, b in zip(own0, own1, strict=True) if a is not None and b is not None)
    return round(max(0.0, (m1[0] - m0[0]) - own) / elapsed, 3)


def settle(
    *, max_wait_s: float, pids: Sequence[int] = (), threshold_cores: float = 0.4
) -> dict[str, float | None]:
    """Wait (bounded) until the machine is nearly idle; the bench shares it with others.

    Returns the last 1-second reading of the load not caused by `pids` (the bench's own
    idle processes; PostgreSQL and Kafka are shared, so their work counts as foreign) and
    how long it waited.
    """
    t0 = time.monotonic()
    busy = foreign_busy_cores(pids)
    while busy is not None and busy > threshold_cores and time.monotonic() - t0 < max_wait_s:
        busy = foreign_busy_cores(pids)
    return {"background_busy_cores": busy, "waited_s": round(time.monotonic() - t0, 1)}
