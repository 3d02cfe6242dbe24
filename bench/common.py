"""Pieces shared by the phases: request bodies, event payloads, the load generator process."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import uuid
from typing import Any

from bench.infra import BenchError, BenchRun
from shared.events.common import RegistrationChannel
from shared.events.envelope import Event
from shared.events.intake import ClaimRegistered
from shared.reference import load_offices
from shared.testdata import synthetic_bsn, synthetic_postcode


def claim_bodies(
    rng: random.Random, n: int, *, seen: set[str] | None = None
) -> list[dict[str, Any]]:
    """n registration bodies with BSNs unique across every call sharing `seen`."""
    seen = set() if seen is None else seen
    today = dt.date.today()
    bodies: list[dict[str, Any]] = []
    while len(bodies) < n:
        bsn = synthetic_bsn(rng)
        if bsn in seen:
            continue
        seen.add(bsn)
        born = dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
        bodies.append(
            {
                "bsn": bsn,
                "given_name": "Bench",
                "family_name": "Claimant",
                "first_ww_day": today.isoformat(),
                "postcode": synthetic_postcode(rng),
                "date_of_birth": born.isoformat(),
            }
        )
    return bodies


_OFFICES = load_offices()


def claim_registered(rng: random.Random) -> ClaimRegistered:
    """A claim.registered payload like the ones the API emits for the bodies above."""
    today = dt.date.today()
    return ClaimRegistered(
        claim_id=uuid.uuid4(),
        office_code=_OFFICES.for_postcode(synthetic_postcode(rng)).code,
        first_ww_day=today,
        registered_at=dt.datetime.now(dt.UTC),
        channel=RegistrationChannel.STAFF,
        age_at_first_ww_day=rng.randint(25, 64),
    )


def envelope_sample(rng: random.Random) -> bytes:
    """The wire bytes of one claim.registered envelope (the raw baselines send this size)."""
    return Event.create(claim_registered(rng)).to_json_bytes()


def child_env() -> dict[str, str]:
    """Environment for helper processes (no service settings leak in)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INTAKE_", "TRIAGE_", "COACHING_", "STARTERS_", "WW_FAULTS"))
    }


def run_loadgen(
    run: BenchRun, name: str, mode: str, args: list[str], *, time_limit: float
) -> dict[str, Any]:
    """Run bench.loadgen in its own process and return its JSON result."""
    out = run.dir / f"{name}.json"
    proc = run.start_python(
        name,
        "bench.loadgen",
        [mode, *args, "--out", str(out), "--time-limit", str(time_limit)],
        child_env(),
    )
    try:
        rc = proc.popen.wait(time_limit + 60)
    except subprocess.TimeoutExpired:
        proc.stop()
        raise BenchError(f"{name}: load generator did not finish") from None
    if rc != 0 or not out.exists():
        raise BenchError(f"{name}: load generator failed (rc={rc}):\n{proc.text()[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


_INDEX_RE = re.compile(
    r"(?:Index(?: Only)? Scan(?: Backward)?|Bitmap Index Scan) (?:using |on )(\w+)"
)


def plan_summary(lines: list[str], *, table: str, seq_key: str) -> dict[str, Any]:
    """What an EXPLAIN (ANALYZE) plan shows: the indexes used, whether `table` is read by a
    sequential scan (under `seq_key`), a bitmap scan (reads every match, then sorts) or a
    sort, and the execution time."""
    joined = "\n".join(lines)
    return {
        "indexes": sorted(set(_INDEX_RE.findall(joined))),
        seq_key: f"Seq Scan on {table}" in joined,
        "bitmap_scan": "Bitmap Heap Scan" in joined,
        "sorts": "Sort Key:" in joined,
        "execution_ms": next(
            (float(m.group(1)) for m in re.finditer(r"Execution Time: ([\d.]+) ms", joined)),
            None,
        ),
        "plan": lines,
    }
