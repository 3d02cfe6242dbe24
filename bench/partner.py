"""Figure 6: the partner API of the coaching service (issue 7): candidate search p50/p99 and
throughput with 500k consenting claimants, and placement reporting throughput.

**Seed.** For each size N (`--partner-claimants`, default 50k and 500k: the small size
shows flatness) a fresh coaching database is cloned from the migrated template and seeded
with set-based `INSERT ... SELECT` over `generate_series`: N consenting claimants (an
open, registered case and a `partner_profiles` row, 80 % `anonymous`, 20 % `named`,
`searchable`) and N / 10 claimants without consent (`visibility = 'none'`, open case).
Sectors are the triage questionnaire's 14, skewed (healthcare and retail common, culture
and agriculture rare); regions are 2-digit postcodes 10-99; hours 8-40; 1-4 skills of 50,
skewed so a few are common; `available_from` within -30..+90 days. The plain and partial
indexes of `partner_profiles` are dropped for the load and rebuilt from their own
definitions afterwards, then VACUUM (ANALYZE). One partner client (`partner_clients`
row, scrypt-hashed secret) with `candidates:read placements:write` and limits that do not
bind; tokens are minted with the service's signing key (the run's dev key).

**Search.** `ww serve coaching` on every size; a bare FastAPI + SQLAlchemy endpoint
(`python -m bench.partner serve`, the same uvicorn settings and pool as the other
baselines) runs the equivalent single `SELECT <profile columns> FROM partner_profiles
WHERE searchable AND <the same filters> ORDER BY candidate_ref LIMIT :n` on the same
databases (no authentication, no rate-limit row, no daily-cap lock and count, no join to
`cases`, no search log, no response model). Five query mixes, each over a small fixed set
of parameter values (so the profiles one client is shown per day stay bounded, as the
daily cap keeps them in production): `unfiltered` (first page and pages after a few
cursors), `sector`, `region_sector`, `skills_any` (two skills, `?|`), `hours`
(min/max hours and `available_before`). Page size 20 (the API default).

* latency: one connection per mix, requests back to back; p50/p99 per mix and pooled;
* throughput: 16 connections, all mixes interleaved; requests/s. The service is measured
  with one client (every request takes that client's advisory lock: one client's
  searches are serialised by design) and with 16 clients (requests spread over them).

Interleaved segments (every size and side per segment). The service's query (captured
from `coaching.partner.candidates.repository.search` itself) and the baseline's are
EXPLAINed (ANALYZE, BUFFERS) per mix at the largest size: which index each uses.

**Placements.** At the largest size: `POST /partner/v1/placements`, partial resumptions
(cases stay open), every request with a fresh `Idempotency-Key` and a distinct candidate
that the client was shown (a `partner_profile_views` row of the day before: the service
404s a candidate the client never saw), every second one a new registration (a
job-search activity), 16 connections; vs the
baseline app's bare insert of a placement-like row (`bench_placements`, the columns of
`placements` without its foreign keys) on the same database. Placements/s and p50/p99.

The load generator is this module's own closed loop (`python -m bench.partner load`, in
its own process, http.client per thread as `bench.loadgen --client stdlib`): it sends
per-request headers (the idempotency keys, the tokens of several clients), which
`bench.loadgen` does not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import resource
import subprocess
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import text

from bench.booking import checkpoint, size_label, size_tag
from bench.common import child_env, plan_summary
from bench.cpu import CpuWindow, settle
from bench.infra import BenchError, BenchRun
from bench.registration import combine, healthy
from bench.stats import ratio, summary_ms
from tests.support.system import Proc, free_port, service_env
from tests.support.tokens import Tokens

if TYPE_CHECKING:
    from fastapi import FastAPI

# The triage questionnaire's sectors, most common first (the seed skews towards the front).
SECTORS = (
    "healthcare",
    "retail",
    "logistics",
    "business_services",
    "hospitality",
    "manufacturing",
    "education",
    "construction",
    "ict",
    "public_administration",
    "other",
    "finance",
    "culture",
    "agriculture",
)
SKILLS = (
    "customer service", "forklift", "cash register", "excel", "cleaning", "driving licence b",
    "order picking", "care work", "cooking", "bookkeeping", "sales", "reception",
    "warehouse management", "python", "sql", "java", "welding", "carpentry", "painting",
    "electrical installation", "plumbing", "security", "first aid", "childcare",
    "elderly care", "nursing", "teaching", "planning", "purchasing", "marketing",
    "copywriting", "graphic design", "project management", "hr administration", "payroll",
    "call centre", "english", "german", "french", "truck driving", "bus driving",
    "gardening", "machine operation", "quality control", "lab work", "data entry",
    "social media", "event staff", "bartending", "housekeeping",
)  # fmt: skip
SCOPES = ("candidates:read", "placements:write")
CLIENT_ID = "pc_bench000000000000"
PROFILE_COLUMNS = (
    "candidate_ref, visibility, display_name, skills, hours_per_week, available_from, "
    "region, sector"
)
MIXES = ("unfiltered", "sector", "region_sector", "skills_any", "hours")


@dataclass(frozen=True)
class PartnerConfig:
    """Sizes of the partner phase."""

    claimants: tuple[int, ...] = (50_000, 500_000)
    non_consenting_share: float = 0.10
    page: int = 20
    variants: int = 8  # parameter values per mix
    latency_requests: int = 200  # per side, mix and size, over the segments
    latency_warmup: int = 30
    throughput_requests: int = 600  # per side and size, over the segments
    throughput_warmup: int = 100
    clients: int = 16  # the many-clients throughput variant
    placements: int = 600  # per side (largest size)
    placement_warmup: int = 100
    concurrency: int = 16
    segments: int = 2
    settle_s: float = 10.0
    time_limit_s: float = 120.0
    seed: int = 20261128


# Seeding ----------------------------------------------------------------------------------

# Row i: a case; i < consenting has a consenting profile, the rest visibility 'none'.
_SEED_CASES = """
INSERT INTO cases (id, claim_id, registered, office_code, first_ww_day, age_at_first_ww_day,
                   status, segment, probability, band, score_model_version, score_provisional,
                   scored_at, opened_at, updated_at, sector, assignment_status,
                   assignment_reason, intake_held, claimant_subject, checkin_on)
SELECT md5('bench-case-' || i)::uuid, md5('bench-claim-' || i)::uuid, true,
       o.codes[1 + i % o.n], current_date - 20 - i % 300, 18 + (i * 7) % 49, 'open',
       'digital', 0.6, '50-75', 'werkverkenner-2026.1', false,
       now() - make_interval(days => 18 + i % 300), now() - make_interval(days => 20 + i % 300),
       now(), NULL, 'digital', 'digital', false, 'idp|' || md5(i::text), current_date + 30
FROM generate_series(0, CAST(:n AS int) - 1) AS g(i),
     (SELECT CAST(:offices AS text[]) AS codes, cardinality(CAST(:offices AS text[])) AS n) o
"""

_SEED_PROFILES = """
INSERT INTO partner_profiles (id, case_id, candidate_ref, visibility, case_open, searchable,
                              display_name, skills, hours_per_week, available_from, region,
                              sector, consent_changed_at, created_at, updated_at)
SELECT gen_random_uuid(), md5('bench-case-' || i)::uuid, gen_random_uuid(), vis, true,
       vis <> 'none', CASE WHEN vis = 'named' THEN 'Kandidaat ' || i END,
       (SELECT jsonb_agg(DISTINCT sk.names[1 + floor(power(random(), 1.7) * 50)::int])
        FROM generate_series(0, i % 4) AS k(j), (SELECT CAST(:skills AS text[]) AS names) sk),
       8 + floor(random() * 33)::int, current_date - 30 + floor(random() * 120)::int,
       lpad((10 + floor(random() * 90)::int)::text, 2, '0'),
       (CAST(:sectors AS text[]))[1 + floor(power(random(), 1.8) * 14)::int],
       now() - interval '5 days', now() - interval '5 days', now() - interval '5 days'
FROM (
    SELECT i, CASE WHEN i >= :consenting THEN 'none' WHEN i % 5 = 0 THEN 'named'
                   ELSE 'anonymous' END AS vis
    FROM generate_series(0, CAST(:n AS int) - 1) AS g(i)
) s
"""


def _indexes(conn: Any, table: str) -> list[tuple[str, str]]:
    """(name, definition) of a table's indexes that back no constraint."""
    return [
        (str(r[0]), str(r[1]))
        for r in conn.execute(
            text(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = CAST(:t AS regclass) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                "ORDER BY 1"
            ),
            {"t": table},
        )
    ]


def seed(run: BenchRun, url: str, n: int, cfg: PartnerConfig) -> dict[str, Any]:
    """N consenting claimants and N * share without consent; the partner client."""
    from coaching.partner.clients.secrets import hash_secret
    from shared.reference import load_offices

    offices = [o.code for o in load_offices().offices]
    total = n + int(n * cfg.non_consenting_share)
    t0 = time.monotonic()
    timings: dict[str, float] = {}
    with run.engine(url).begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        conn.execute(text("SELECT setseed(:s)"), {"s": (cfg.seed % 1000) / 1000})
        dropped = {t: _indexes(conn, t) for t in ("cases", "partner_profiles")}
        for defs in dropped.values():
            for name, _ in defs:
                conn.execute(text(f'DROP INDEX "{name}"'))
        t = time.monotonic()
        conn.execute(text(_SEED_CASES), {"n": total, "offices": offices})
        timings["cases_s"] = round(time.monotonic() - t, 2)
        t = time.monotonic()
        conn.execute(
            text(_SEED_PROFILES),
            {"n": total, "consenting": n, "skills": list(SKILLS), "sectors": list(SECTORS)},
        )
        timings["profiles_s"] = round(time.monotonic() - t, 2)
        t = time.monotonic()
        for table, defs in dropped.items():
            for _, definition in defs:
                conn.execute(text(definition))
            if sorted(_indexes(conn, table)) != sorted(defs):
                raise BenchError(f"the rebuilt indexes of {table} differ from the migrated ones")
        timings["indexes_s"] = round(time.monotonic() - t, 2)
        now = dt.datetime.now(dt.UTC)
        conn.execute(
            text(
                "INSERT INTO partner_clients (client_id, name, secret_hash, scopes, "
                "requests_per_minute, daily_profile_cap, status, created_by, created_at, "
                "updated_at) VALUES (:id, 'Bench Uitzendbureau', :h, CAST(:s AS jsonb), "
                ":rpm, :cap, 'active', 'bench', :now, :now)"
            ),
            {
                "id": CLIENT_ID,
                "h": hash_secret("bench-secret"),
                "s": json.dumps(list(SCOPES)),
                "rpm": 10_000_000,
                "cap": 1_000_000,
                "now": now,
            },
        )
        conn.execute(
            text(
                "INSERT INTO partner_clients (client_id, name, secret_hash, scopes, "
                "requests_per_minute, daily_profile_cap, status, created_by, created_at, "
                "updated_at) SELECT 'pc_bench' || lpad(g::text, 12, '0'), 'Bench ' || g, "
                "c.secret_hash, c.scopes, c.requests_per_minute, c.daily_profile_cap, "
                "'active', 'bench', c.created_at, c.updated_at "
                "FROM partner_clients c, generate_series(1, CAST(:k AS int)) g "
                "WHERE c.client_id = :id"
            ),
            {"id": CLIENT_ID, "k": cfg.clients},
        )
        # The baseline's placement-like table: the columns of `placements`, no foreign keys.
        conn.execute(
            text(
                "CREATE TABLE bench_placements "
                "(LIKE placements INCLUDING DEFAULTS INCLUDING INDEXES)"
            )
        )
    t = time.monotonic()
    run.execute(url, "VACUUM (ANALYZE)")
    timings["vacuum_analyze_s"] = round(time.monotonic() - t, 2)
    rows = {
        "cases": run.scalar(url, "SELECT count(*) FROM cases"),
        "profiles": run.scalar(url, "SELECT count(*) FROM partner_profiles"),
        "searchable": run.scalar(url, "SELECT count(*) FROM partner_profiles WHERE searchable"),
        "named": run.scalar(
            url, "SELECT count(*) FROM partner_profiles WHERE visibility = 'named'"
        ),
        "non_consenting": run.scalar(
            url, "SELECT count(*) FROM partner_profiles WHERE visibility = 'none'"
        ),
    }
    if rows["searchable"] != n:
        raise BenchError(f"seeded {rows['searchable']} searchable profiles, wanted {n}")
    sectors = {
        str(r[0]): int(r[1])
        for r in run.rows(
            url,
            "SELECT sector, count(*) FROM partner_profiles WHERE searchable GROUP BY 1 "
            "ORDER BY 2 DESC",
        )
    }
    skills = {
        str(r[0]): int(r[1])
        for r in run.rows(
            url,
            "SELECT s, count(*) FROM partner_profiles, jsonb_array_elements_text(skills) s "
            "WHERE searchable GROUP BY 1 ORDER BY 2 DESC",
        )
    }
    return {
        "claimants": n,
        "rows": rows,
        "sector_share": {k: round(v / n, 4) for k, v in sectors.items()},
        "skill_share_top5": {k: round(v / n, 4) for k, v in list(skills.items())[:5]},
        "skill_share_bottom3": {k: round(v / n, 4) for k, v in list(skills.items())[-3:]},
        "mean_skills": round(
            run.scalar(
                url,
                "SELECT avg(jsonb_array_length(skills)) FROM partner_profiles WHERE searchable",
            ),
            2,
        ),
        "database_mb": round(
            run.scalar(url, "SELECT pg_database_size(current_database())") / 2**20, 1
        ),
        "profiles_table_mb": round(
            run.scalar(url, "SELECT pg_total_relation_size('partner_profiles')") / 2**20, 1
        ),
        "timings": timings,
        "seed_s": round(time.monotonic() - t0, 1),
    }


# The query mixes ----------------------------------------------------------------------------


def mix_params(rng: random.Random, cfg: PartnerConfig) -> dict[str, list[dict[str, Any]]]:
    """`variants` parameter sets per mix (the same for service and baseline, every size)."""
    today = dt.date.today()
    k = cfg.variants
    # Sectors over the whole range (a rare one makes the index walk longer per page).
    sectors = [SECTORS[i * len(SECTORS) // k] for i in range(k)]
    common = list(SKILLS[:10])
    return {
        "unfiltered": [{}]
        + [{"after": str(uuid.UUID(int=rng.getrandbits(128), version=4))} for _ in range(k - 1)],
        "sector": [{"sector": s} for s in sectors],
        "region_sector": [
            {"region": f"{rng.randrange(10, 100):02d}", "sector": SECTORS[i % 6]} for i in range(k)
        ],
        "skills_any": [
            {"skills": rng.sample(common if i % 2 else list(SKILLS), 2)} for i in range(k)
        ],
        "hours": [
            {
                "min_hours": lo,
                "max_hours": lo + rng.choice((4, 8, 12)),
                **(
                    {
                        "available_before": (
                            today + dt.timedelta(days=rng.randrange(0, 30))
                        ).isoformat()
                    }
                    if i % 2
                    else {}
                ),
            }
            for i, lo in enumerate(rng.choice((12, 16, 20, 24, 28, 32)) for _ in range(k))
        ],
    }


def query_string(params: dict[str, Any], page: int) -> str:
    """The query string of one search (skills repeated)."""
    items: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, list):
            items.extend((key, str(v)) for v in value)
        else:
            items.append((key, str(value)))
    items.append(("limit", str(page)))
    return urlencode(items)


# The baseline app ---------------------------------------------------------------------------


def baseline_sql(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The equivalent single SELECT on partner_profiles for one parameter set."""
    where = ["searchable"]
    bind: dict[str, Any] = {}
    if params.get("sector") is not None:
        where.append("sector = :sector")
        bind["sector"] = params["sector"]
    if params.get("region") is not None:
        where.append("region = :region")
        bind["region"] = params["region"]
    if params.get("min_hours") is not None:
        where.append("hours_per_week >= :min_hours")
        bind["min_hours"] = int(params["min_hours"])
    if params.get("max_hours") is not None:
        where.append("hours_per_week <= :max_hours")
        bind["max_hours"] = int(params["max_hours"])
    if params.get("available_before") is not None:
        where.append("available_from <= :available_before")
        bind["available_before"] = dt.date.fromisoformat(str(params["available_before"]))
    if params.get("skills"):
        where.append("skills ?| CAST(:skills AS text[])")
        bind["skills"] = list(params["skills"])
    if params.get("after") is not None:
        where.append("candidate_ref > :after")
        bind["after"] = uuid.UUID(str(params["after"]))
    sql = (
        f"SELECT {PROFILE_COLUMNS} FROM partner_profiles WHERE {' AND '.join(where)} "
        "ORDER BY candidate_ref LIMIT :n"
    )
    return sql, bind


def baseline_app(urls: dict[str, str]) -> FastAPI:
    """Bare FastAPI + SQLAlchemy: the search SELECT, and a placement-like insert."""
    from fastapi import Body, FastAPI, HTTPException, Query

    from shared.db.engine import build_engine
    from shared.settings import ServiceSettings

    defaults = ServiceSettings()
    engines = {
        tag: build_engine(
            url, pool_size=defaults.db_pool_size, max_overflow=defaults.db_max_overflow
        )
        for tag, url in urls.items()
    }
    app = FastAPI(title="bench partner baseline", docs_url=None, redoc_url=None, openapi_url=None)
    insert = text(
        "INSERT INTO bench_placements (id, partner_client_id, candidate_ref, case_id, claim_id, "
        "start_date, hours_per_week, hourly_wage_cents, contract_type, resumption, "
        "new_registration, work_resumption_id, closed_case, reported_at) VALUES (:id, :client, "
        ":ref, :case, :claim, :start, :hours, :wage, :contract, :resumption, :new, :wr, false, "
        "now())"
    )

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/base/{tag}/candidates")
    def candidates(
        tag: str,
        sector: str | None = None,
        region: str | None = None,
        skills: list[str] = Query([]),
        min_hours: int | None = None,
        max_hours: int | None = None,
        available_before: str | None = None,
        after: str | None = None,
        limit: int = 20,
    ) -> dict[str, Any]:
        engine = engines.get(tag)
        if engine is None:
            raise HTTPException(404)
        sql, bind = baseline_sql(
            {
                "sector": sector,
                "region": region,
                "skills": skills,
                "min_hours": min_hours,
                "max_hours": max_hours,
                "available_before": available_before,
                "after": after,
            }
        )
        with engine.connect() as conn:
            rows = conn.execute(text(sql), {**bind, "n": limit}).mappings().all()
        return {"items": [dict(r) for r in rows]}

    # Sync like the service's endpoint (the same thread pool).
    @app.post("/base/{tag}/placements", status_code=201)
    def placements(tag: str, body: dict[str, Any] = Body()) -> dict[str, str]:
        engine = engines.get(tag)
        if engine is None:
            raise HTTPException(404)
        row_id = uuid.uuid4()
        params = {
            "id": row_id,
            "client": CLIENT_ID,
            "ref": uuid.UUID(body["candidate_ref"]),
            "case": uuid.uuid4(),
            "claim": uuid.uuid4(),
            "start": dt.date.fromisoformat(body["start_date"]),
            "hours": float(body["hours_per_week"]),
            "wage": round(float(body["hourly_wage"]) * 100),
            "contract": body["contract_type"],
            "resumption": body["resumption"],
            "new": bool(body.get("new_registration")),
            "wr": uuid.uuid4(),
        }
        with engine.begin() as conn:
            conn.execute(insert, params)
        return {"id": str(row_id)}

    return app


# The load generator -------------------------------------------------------------------------


def _load(args: argparse.Namespace) -> None:
    """Closed loop over [method, path, body, headers] requests (own process)."""
    raw = json.loads(args.requests.read_text())
    reqs: list[tuple[str, str, bytes | None, dict[str, str]]] = [
        (
            str(m),
            str(p),
            None if b is None else json.dumps(b, separators=(",", ":")).encode(),
            {**({"content-type": "application/json"} if b is not None else {}), **h},
        )
        for m, p, b, h in raw
    ]
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    deadline = time.monotonic() + args.time_limit

    def batch(items: list[Any]) -> tuple[list[float], dict[str, int]]:
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        lock = threading.Lock()
        it = iter(items)

        def worker() -> None:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            while True:
                with lock:
                    item = next(it, None)
                if item is None:
                    return
                method, path, body, headers = item
                if time.monotonic() > deadline:
                    with lock:
                        statuses["not_sent_time_limit"] = statuses.get("not_sent_time_limit", 0) + 1
                    continue
                t = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    r = conn.getresponse()
                    r.read()
                    key = str(r.status)
                except (OSError, http.client.HTTPException) as exc:
                    key = type(exc).__name__
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                elapsed = time.perf_counter() - t
                with lock:
                    latencies.append(elapsed)
                    statuses[key] = statuses.get(key, 0) + 1

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(max(0.0, deadline - time.monotonic()) + 30)
        return latencies, statuses

    batch(reqs[: args.warmup])
    timed = reqs[args.warmup :]
    cpu = CpuWindow({"server": args.server_pid} if args.server_pid else {})
    cpu.start()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    latencies, statuses = batch(timed)
    elapsed = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    usage: dict[str, Any] = dict(cpu.stop())
    client_s = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    usage["client_cores"] = round(client_s / elapsed, 3) if elapsed > 0 else None
    ok = statuses.get(str(args.ok_status), 0)
    args.out.write_text(
        json.dumps(
            {
                "mode": "closed",
                "concurrency": args.concurrency,
                "warmup": args.warmup,
                "requests": len(timed),
                "ok": ok,
                "statuses": statuses,
                "elapsed_s": round(elapsed, 4),
                "rps": ok / elapsed if elapsed > 0 else 0.0,
                "latencies_s": latencies,
                "cpu": usage,
            }
        )
    )


def run_load(
    run: BenchRun,
    name: str,
    url: str,
    requests: list[list[Any]],
    *,
    concurrency: int,
    warmup: int,
    pid: int,
    ok_status: int,
    time_limit: float,
) -> dict[str, Any]:
    """One closed-loop segment in its own process; its JSON result."""
    req_file = run.dir / f"{name}-requests.json"
    req_file.write_text(json.dumps(requests))
    out = run.dir / f"{name}.json"
    proc = run.start_python(
        name,
        "bench.partner",
        [
            "load",
            "--url",
            url,
            "--requests",
            str(req_file),
            "--out",
            str(out),
            "--concurrency",
            str(concurrency),
            "--warmup",
            str(warmup),
            "--server-pid",
            str(pid),
            "--ok-status",
            str(ok_status),
            "--time-limit",
            str(time_limit),
        ],
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


# EXPLAIN ----------------------------------------------------------------------------------


def explain(url: str, params: dict[str, list[dict[str, Any]]], page: int) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) per mix (its first and its slowest-looking variant):
    the service's search query (captured from the repository) and the baseline's."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import Session

    from coaching.partner.candidates import repository

    engine = create_engine(url, pool_size=1, max_overflow=0)
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM partner_profiles" in statement:
            captured.append((statement, parameters))

    out: dict[str, Any] = {}
    try:
        for mix, variants in params.items():
            entries = []
            for p in variants:
                f = repository.CandidateFilters(
                    sector=p.get("sector"),
                    region=p.get("region"),
                    skills=tuple(p.get("skills", ())),
                    min_hours=p.get("min_hours"),
                    max_hours=p.get("max_hours"),
                    available_before=None
                    if p.get("available_before") is None
                    else dt.date.fromisoformat(p["available_before"]),
                )
                after = None if p.get("after") is None else uuid.UUID(p["after"])
                captured.clear()
                event.listen(engine, "before_cursor_execute", capture)
                try:
                    with Session(engine) as session:
                        repository.search(session, f, after=after, limit=page + 1)
                finally:
                    event.remove(engine, "before_cursor_execute", capture)
                if len(captured) != 1:
                    raise BenchError(f"captured {len(captured)} search queries for {mix}")
                statement, bound = captured[0]
                with engine.connect() as conn:
                    rows = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, bound
                    ).all()
                    svc = plan_summary(
                        [str(r[0]) for r in rows],
                        table="partner_profiles",
                        seq_key="seq_scan_on_profiles",
                    )
                    sql, bind = baseline_sql(p)
                    rows = conn.execute(
                        text("EXPLAIN (ANALYZE, BUFFERS) " + sql), {**bind, "n": page}
                    ).all()
                    base = plan_summary(
                        [str(r[0]) for r in rows],
                        table="partner_profiles",
                        seq_key="seq_scan_on_profiles",
                    )
                entries.append({"params": p, "service": svc, "baseline": base})
            slowest = max(entries, key=lambda e: e["service"]["execution_ms"] or 0.0)
            out[mix] = {
                "service_sql": " ".join(captured[0][0].split()),
                "service_execution_ms": [e["service"]["execution_ms"] for e in entries],
                "baseline_execution_ms": [e["baseline"]["execution_ms"] for e in entries],
                "service_indexes": sorted({i for e in entries for i in e["service"]["indexes"]}),
                "baseline_indexes": sorted({i for e in entries for i in e["baseline"]["indexes"]}),
                "service_bitmap_or_sort": any(
                    e["service"]["bitmap_scan"] or e["service"]["sorts"] for e in entries
                ),
                "service_seq_scan": any(e["service"]["seq_scan_on_profiles"] for e in entries),
                "slowest": slowest,
            }
    finally:
        engine.dispose()
    return out


# The phase ----------------------------------------------------------------------------------


def _search_requests(
    mix_sets: list[tuple[str, dict[str, Any]]],
    count: int,
    rng: random.Random,
    path: Callable[[dict[str, Any]], str],
    tokens: list[str] | None,
) -> list[list[Any]]:
    reqs = []
    for i in range(count):
        _, p = mix_sets[rng.randrange(len(mix_sets))]
        headers = {"authorization": f"Bearer {tokens[i % len(tokens)]}"} if tokens else {}
        reqs.append(["GET", path(p), None, headers])
    return reqs


def _split(total: int, segments: int) -> int:
    return max(1, total // max(1, segments))


def search(
    run: BenchRun,
    cfg: PartnerConfig,
    dbs: dict[int, str],
    servers: dict[int, tuple[str, Proc]],
    b_url: str,
    b_proc: Proc,
    tokens: Tokens,
) -> dict[str, Any]:
    """Latency per mix (1 connection) and throughput (16 connections), interleaved."""
    sizes = sorted(dbs)
    params = mix_params(random.Random(cfg.seed), cfg)
    one = [tokens.app(CLIENT_ID, *SCOPES)]
    many = [tokens.app(f"pc_bench{g:012d}", *SCOPES) for g in range(1, cfg.clients + 1)]
    pids = [p.popen.pid for _, p in servers.values()] + [b_proc.popen.pid]
    lat_n = _split(cfg.latency_requests, cfg.segments)
    thr_n = _split(cfg.throughput_requests, cfg.segments)
    segs: dict[tuple[str, str, str], dict[int, list[dict[str, Any]]]] = {}
    raw: dict[tuple[str, str, str], dict[int, list[float]]] = {}
    checks: dict[str, Any] = {}
    for n in sizes:  # the service answers, with candidates
        s_url = servers[n][0]
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(s_url).port, timeout=30)
        conn.request(
            "GET",
            "/partner/v1/candidates?" + query_string({"sector": "healthcare"}, cfg.page),
            headers={"authorization": f"Bearer {one[0]}"},
        )
        r = conn.getresponse()
        body = json.loads(r.read())
        conn.close()
        checks[size_tag(n)] = {
            "status": r.status,
            "items": len(body.get("items", [])),
            "ok": r.status == 200 and len(body.get("items", [])) == cfg.page,
        }
        if not checks[size_tag(n)]["ok"]:
            raise BenchError(f"partner search check failed at {n}: {r.status} {body}")
    for k in range(cfg.segments):
        for n in sizes:
            tag = size_tag(n)
            s_url, s_proc = servers[n]
            quiet = settle(max_wait_s=cfg.settle_s, pids=pids)
            rng = random.Random(cfg.seed + 31 * k + n)

            def svc_path(p: dict[str, Any]) -> str:
                return "/partner/v1/candidates?" + query_string(p, cfg.page)

            def base_path(p: dict[str, Any], tag: str = tag) -> str:
                return f"/base/{tag}/candidates?" + query_string(p, cfg.page)

            plan: list[tuple[str, str, str, Any, list[list[Any]], int, int]] = []
            # Latency: one connection, one load process per side: a mixed warm-up, then
            # lat_n requests of each mix in turn (split by position afterwards).
            all_sets = [(m, p) for m in MIXES for p in params[m]]
            warm = cfg.latency_warmup // (1 if k == 0 else 2)
            for side, url, proc, path, toks in (
                ("service", s_url, s_proc, svc_path, one),
                ("baseline", b_url, b_proc, base_path, None),
            ):
                reqs = _search_requests(all_sets, warm, rng, path, toks)
                for mix in MIXES:
                    sets = [(mix, p) for p in params[mix]]
                    reqs += _search_requests(sets, lat_n, rng, path, toks)
                plan.append(("latency", "all", side, (url, proc), reqs, 1, warm))
            all_sets = [(m, p) for m in MIXES for p in params[m]]
            warm = cfg.throughput_warmup // (1 if k == 0 else 2)
            for side, url, proc, path, toks in (
                ("service", s_url, s_proc, svc_path, one),
                ("service_16_clients", s_url, s_proc, svc_path, many),
                ("baseline", b_url, b_proc, base_path, None),
            ):
                reqs = _search_requests(all_sets, warm + thr_n, rng, path, toks)
                plan.append(("throughput", "all", side, (url, proc), reqs, cfg.concurrency, warm))
            for kind, mix, side, (url, proc), reqs, conc, warm in plan:
                seg = run_load(
                    run,
                    f"partner-{kind}-{mix}-{side}-{tag}-{k}",
                    url,
                    reqs,
                    concurrency=conc,
                    warmup=warm,
                    pid=proc.popen.pid,
                    ok_status=200,
                    time_limit=cfg.time_limit_s,
                )
                seg["before"] = quiet
                if kind == "latency":  # one connection: the latencies in request order
                    for i, m in enumerate(MIXES):
                        lats = seg["latencies_s"][i * lat_n : (i + 1) * lat_n]
                        raw.setdefault((kind, m, side), {}).setdefault(n, []).extend(lats)
                segs.setdefault((kind, mix, side), {}).setdefault(n, []).append(seg)
    out_sizes = []
    for n in sizes:
        entry: dict[str, Any] = {
            "claimants": n,
            "label": size_label(n),
            "check": checks[size_tag(n)],
        }
        for (kind, mix, side), by_size in segs.items():
            entry.setdefault(kind, {}).setdefault(mix, {})[side] = combine(by_size[n])
        lat = entry["latency"]
        for mix in MIXES:
            lat[mix] = {
                side: {"latency_ms": summary_ms(raw[("latency", mix, side)][n])}
                for side in ("service", "baseline")
            }
        # Pooled over the mixes (every mix with equal weight): the whole one-connection run.
        lat["pooled"] = lat.pop("all")
        ratios: dict[str, Any] = {}
        for mix in [*MIXES, "pooled"]:
            s, b = lat[mix]["service"]["latency_ms"], lat[mix]["baseline"]["latency_ms"]
            ratios[mix] = {
                "p50": ratio(s.get("p50"), b.get("p50")),
                "p99": ratio(s.get("p99"), b.get("p99")),
            }
        thr = entry["throughput"]["all"]
        ratios["rps"] = ratio(thr["service"]["rps"], thr["baseline"]["rps"])
        ratios["rps_16_clients"] = ratio(thr["service_16_clients"]["rps"], thr["baseline"]["rps"])
        ratios["throughput_p99"] = ratio(
            thr["service"]["latency_ms"].get("p99"), thr["baseline"]["latency_ms"].get("p99")
        )
        entry["ratios"] = ratios
        out_sizes.append(entry)
    small, large = out_sizes[0], out_sizes[-1]
    flat: dict[str, Any] = {"label": f"{large['label']} / {small['label']}"}
    for mix in [*MIXES, "pooled"]:
        for side in ("service", "baseline"):
            flat[f"{mix}_{side}_p99"] = ratio(
                large["latency"][mix][side]["latency_ms"].get("p99"),
                small["latency"][mix][side]["latency_ms"].get("p99"),
            )
    for side in ("service", "service_16_clients", "baseline"):
        flat[f"rps_{side}"] = ratio(
            large["throughput"]["all"][side]["rps"], small["throughput"]["all"][side]["rps"]
        )
    return {"params": params, "sizes": out_sizes, "flatness": flat}


def placements(
    run: BenchRun,
    cfg: PartnerConfig,
    url: str,
    n: int,
    server: tuple[str, Proc],
    b_url: str,
    b_proc: Proc,
    tokens: Tokens,
) -> dict[str, Any]:
    """POST /partner/v1/placements (partial) vs the bare placement-like insert."""
    token = tokens.app(CLIENT_ID, *SCOPES)
    per_seg = _split(cfg.placements, cfg.segments)
    warmups = [
        cfg.placement_warmup if k == 0 else cfg.placement_warmup // 2 for k in range(cfg.segments)
    ]
    needed = sum(warmups) + per_seg * cfg.segments
    refs = [
        str(r[0])
        for r in run.rows(
            url,
            "SELECT candidate_ref FROM partner_profiles WHERE searchable "
            "ORDER BY md5(candidate_ref::text) LIMIT :k",
            k=2 * needed,
        )
    ]
    if len(refs) < 2 * needed:
        raise BenchError(f"only {len(refs)} candidates for {needed} placements per side")
    # A client may report only candidates it was shown (a search result or a profile
    # view): these were shown to it yesterday (not counted against today's cap).
    with run.engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO partner_profile_views (client_id, day, candidate_ref, first_seen_at) "
                "SELECT :client, current_date - 1, r, now() - interval '1 day' "
                "FROM unnest(CAST(:refs AS uuid[])) AS r ON CONFLICT DO NOTHING"
            ),
            {"client": CLIENT_ID, "refs": refs},
        )
    today = dt.date.today().isoformat()
    contracts = ("temp", "fixed_term", "on_call", "permanent")
    tag = size_tag(n)
    s_url, s_proc = server
    pids = [s_proc.popen.pid, b_proc.popen.pid]

    def body(i: int, ref: str) -> dict[str, Any]:
        return {
            "candidate_ref": ref,
            "start_date": today,
            "hours_per_week": float(8 + i % 17),
            "hourly_wage": round(14.4 + (i % 50) * 0.37, 2),
            "contract_type": contracts[i % len(contracts)],
            "resumption": "partial",
            "new_registration": i % 2 == 0,
        }

    segs: dict[str, list[dict[str, Any]]] = {}
    used = 0
    for k in range(cfg.segments):
        quiet = settle(max_wait_s=cfg.settle_s, pids=pids)
        count = warmups[k] + per_seg
        for side, target, proc, path, hdr in (
            ("service", s_url, s_proc, "/partner/v1/placements", True),
            ("baseline", b_url, b_proc, f"/base/{tag}/placements", False),
        ):
            reqs = []
            for i in range(count):
                headers = {"idempotency-key": f"bench-{uuid.uuid4()}"}
                if hdr:
                    headers["authorization"] = f"Bearer {token}"
                reqs.append(["POST", path, body(used + i, refs[used + i]), headers])
            used += count
            seg = run_load(
                run,
                f"partner-placements-{side}-{tag}-{k}",
                target,
                reqs,
                concurrency=cfg.concurrency,
                warmup=warmups[k],
                pid=proc.popen.pid,
                ok_status=201,
                time_limit=cfg.time_limit_s,
            )
            seg["before"] = quiet
            segs.setdefault(side, []).append(seg)
    svc, base = combine(segs["service"]), combine(segs["baseline"])
    outcome = {
        "placements": run.scalar(url, "SELECT count(*) FROM placements"),
        "bench_placements": run.scalar(url, "SELECT count(*) FROM bench_placements"),
        "closed_cases": run.scalar(url, "SELECT count(*) FROM cases WHERE status <> 'open'"),
        "work_resumptions": run.scalar(url, "SELECT count(*) FROM work_resumptions"),
        "activities": run.scalar(
            url,
            "SELECT count(*) FROM job_search_activities WHERE reported_by = 'temp_agency'",
        ),
        "idempotency_keys": run.scalar(url, "SELECT count(*) FROM partner_idempotency_keys"),
    }
    return {
        "claimants": n,
        "service": svc,
        "baseline": base,
        "outcome": outcome,
        "ratios": {
            "rps": ratio(svc["rps"], base["rps"]),
            "p50": ratio(svc["latency_ms"].get("p50"), base["latency_ms"].get("p50")),
            "p99": ratio(svc["latency_ms"].get("p99"), base["latency_ms"].get("p99")),
        },
    }


def run_partner(run: BenchRun, cfg: PartnerConfig, _rng: random.Random) -> dict[str, Any]:
    """Seed every size, start the servers, measure search then placements, EXPLAIN."""
    sizes = sorted(set(cfg.claimants))
    if not sizes:
        raise BenchError("no claimant counts given")
    result: dict[str, Any] = {"config": asdict(cfg)}
    dbs: dict[int, str] = {}
    seeded: dict[str, Any] = {}
    for n in sizes:
        dbs[n] = run.database("coaching", f"pa{size_tag(n)}")
        seeded[size_tag(n)] = seed(run, dbs[n], n, cfg)
    result["seed"] = seeded
    checkpoint(run)
    b_port = free_port()
    b_url = f"http://127.0.0.1:{b_port}"
    b_proc = run.start_python(
        "partner-baseline",
        "bench.partner",
        [
            "serve",
            *[a for n in sizes for a in ("--db", f"{size_tag(n)}={dbs[n]}")],
            "--port",
            str(b_port),
        ],
        child_env(),
    )
    tokens = Tokens(run.state_dir / "dev-jwt-key.pem")
    servers: dict[int, tuple[str, Proc]] = {}
    for n in sizes:
        port = free_port()
        env = service_env(
            "coaching",
            state_dir=run.state_dir,
            database_url=dbs[n],
            kafka=run.kafka,
            topic_prefix=run.topic_prefix(f"p{size_tag(n)}"),
            port=port,
        )
        servers[n] = (
            f"http://127.0.0.1:{port}",
            run.procs.start(f"coaching-pa{size_tag(n)}", ["serve", "coaching"], env),
        )
    errors: dict[str, str] = {}
    try:
        healthy(b_url, b_proc)
        for url, proc in servers.values():
            healthy(url, proc)
        parts: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("search", lambda: search(run, cfg, dbs, servers, b_url, b_proc, tokens)),
            (
                "placements",
                lambda: placements(
                    run, cfg, dbs[sizes[-1]], sizes[-1], servers[sizes[-1]], b_url, b_proc, tokens
                ),
            ),
        ]
        for name, measure in parts:
            t = time.monotonic()
            try:
                result[name] = measure()
            except BenchError as exc:
                errors[name] = str(exc)
            except Exception as exc:
                errors[name] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-3000:]}"
            else:
                result[name]["wall_s"] = round(time.monotonic() - t, 1)
        result["search_log_rows"] = {
            size_tag(n): run.scalar(dbs[n], "SELECT count(*) FROM partner_search_log")
            for n in sizes
        }
        result["profile_views_rows"] = {
            size_tag(n): run.scalar(dbs[n], "SELECT count(*) FROM partner_profile_views")
            for n in sizes
        }
    finally:
        run.stop(*(p for _, p in servers.values()), b_proc)
    try:
        params = mix_params(random.Random(cfg.seed), cfg)
        result["explain"] = {"claimants": sizes[-1], **explain(dbs[sizes[-1]], params, cfg.page)}
    except Exception as exc:
        errors["explain"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-3000:]}"
    if errors:
        result["errors"] = errors
        result["error"] = "; ".join(f"{k}: {v.splitlines()[0]}" for k, v in errors.items())
    return result


def main() -> None:
    """`python -m bench.partner serve --db TAG=URL ... --port P` (the baseline app) or
    `python -m bench.partner load ...` (the closed-loop load generator)."""
    parser = argparse.ArgumentParser(description="partner bench helpers")
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--db", action="append", required=True, help="TAG=DATABASE_URL")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    ld = sub.add_parser("load")
    ld.add_argument("--url", required=True)
    from pathlib import Path

    ld.add_argument("--requests", type=Path, required=True)
    ld.add_argument("--out", type=Path, required=True)
    ld.add_argument("--concurrency", type=int, default=16)
    ld.add_argument("--warmup", type=int, default=0)
    ld.add_argument("--server-pid", type=int)
    ld.add_argument("--ok-status", type=int, default=200)
    ld.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    if args.cmd == "load":
        _load(args)
        return
    import uvicorn

    from shared.settings import ServiceSettings
    from ww.runner import _uvicorn_config

    urls = dict(item.split("=", 1) for item in args.db)
    config = _uvicorn_config(baseline_app(urls), ServiceSettings(host=args.host, port=args.port))
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
