"""Figure 4: the coaching service: a coach's caseload query at 10k, 100k and 500k cases,
and case assignment throughput (issue 5).

**Caseload query** (`caseload`). For each size N (`--coaching-cases`, default
10k,100k,500k) a fresh coaching database is cloned from the migrated template and seeded
in PostgreSQL with one set-based `INSERT ... SELECT` over `generate_series` (explicit
column lists, only columns that exist since coaching_0003; later columns take their
defaults): 70 % of the cases are a coach's (every coach exactly `open_per_coach` (150)
open and `closed_per_coach` (25) closed cases, so N / 250 coaches over the offices of
the reference data; a coach's rows are spread over the whole table as in a table filled
over time), the rest are digital-service cases (no coach) and a few personal cases in
the team lead's queue. Every case is registered and scored (21 score factors in JSONB,
as triage sends them), opened in the last year (closed ones a year before). The plain
indexes of `cases` are dropped for the load and rebuilt from their own definitions (and
compared with them) afterwards. Then VACUUM (ANALYZE), and one CHECKPOINT after all sizes.

`ww serve coaching` runs on every seeded database side by side; a bare FastAPI +
SQLAlchemy endpoint (`python -m bench.coaching`, the same uvicorn settings and pool as
`bench/baseline_app.py`) runs `SELECT <the listed columns> FROM cases WHERE coach_id =
:c ORDER BY opened_at DESC LIMIT 50` on the same databases (no authentication, no
count, no audit row, no response model). All sides are asked as the same coach (a coach
token whose subject is the coach id), in interleaved segments (every size and side per
segment; one settle wait per size and segment), with `bench.loadgen`'s closed loop:

* latency: one connection, requests back to back (`GET /v1/cases?limit=50`: the coach's
  newest cases and the total; and `?limit=50&status=open&sort=-weeks_in_ww`); p50/p99;
* throughput: `--concurrency` (16) connections, `GET /v1/cases?limit=50`; requests/s.

Figures: service / baseline at each size, and the flatness ratios largest / smallest
size. Every list call writes an audit row (the service's behaviour, kept). The service's
queries (captured from `coaching.cases.repository.list_cases` itself) and the baseline's
are EXPLAINed (ANALYZE, BUFFERS) at the largest size: which index they use.

**Assignment** (`assignment`). Cases/s of the service path: `maybe_assign` on PostgreSQL
(the roster of the case's office locked FOR UPDATE, open cases counted per coach, the
rules, the case updated, `case.assigned` in the outbox), the case loaded by claim as the
handler does: one unit of work per case, and `assign_batch` (200) cases per unit of work
as a consumer poll commits them. The roster: 80 coaches of 16-40 contract hours in five
offices, 40 % holding one specialism; they start with 2 open cases per contract hour.
The cases are personal, final score, no intake coach, with needs drawn as in the unit
balance test. In-run comparisons: the pure rules on the same cases (`assign` one case at
a time in the service's order, the same decisions expected; `assign_many` as a batch),
and `assign_many` for 10,000 cases to 80 coaches starting empty (the acceptance's
balance: maximum / mean relative load <= 1.10, printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import random
import statistics
import time
import traceback
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bench.booking import checkpoint, size_label, size_tag
from bench.common import child_env, plan_summary, run_loadgen
from bench.cpu import settle
from bench.infra import BenchError, BenchRun
from bench.registration import closed_args, combine, healthy
from bench.stats import ratio
from tests.support.system import Proc, free_port, service_env
from tests.support.tokens import Tokens

if TYPE_CHECKING:
    from fastapi import FastAPI

    from coaching.assignment.rules import CaseNeeds, CoachLoad

HOURS = (16.0, 20.0, 24.0, 28.0, 32.0, 36.0, 40.0)
KINDS = ("over_55", "under_27", "starters", "sector_care", "sector_logistics", "sector_ict")
MODEL_VERSION = "werkverkenner-2026.1"
# The columns the list endpoint returns (CaseRead without the computed fields): what the
# baseline selects.
LISTED = (
    "id, claim_id, status, office_code, first_ww_day, coach_id, assignment_status, "
    "assignment_reason, checkin_on, assigned_at, segment, probability, band, "
    "score_model_version, score_provisional, opened_at, updated_at"
)
BASELINE_SQL = f"SELECT {LISTED} FROM cases WHERE coach_id = :c ORDER BY opened_at DESC LIMIT :n"
PATH_DEFAULT = "/v1/cases?limit={n}"
PATH_SORTED = "/v1/cases?limit={n}&status=open&sort=-weeks_in_ww"


@dataclass(frozen=True)
class CoachingConfig:
    """Sizes of the coaching phase."""

    cases: tuple[int, ...] = (10_000, 100_000, 500_000)
    open_per_coach: int = 150
    closed_per_coach: int = 25
    coach_share: float = 0.70  # of all cases; the rest digital (9 in 10) or unassigned
    page: int = 50
    latency_requests: int = 400  # per side and size, over the segments, one connection
    latency_warmup: int = 50
    throughput_requests: int = 500  # per side and size, over the segments
    throughput_warmup: int = 100
    concurrency: int = 16
    segments: int = 2
    client: str = "stdlib"
    settle_s: float = 10.0
    time_limit_s: float = 120.0
    assign_cases: int = 2000  # service path: half one unit of work each, half in batches
    assign_batch: int = 200
    assign_warmup: int = 50
    assign_coaches: int = 80
    assign_offices: int = 5
    assign_preload_per_hour: float = 2.0
    pure_cases: int = 10_000
    pure_repeats: int = 3
    seed: int = 20261128


def coach_uuid(g: int) -> uuid.UUID:
    """The id of seeded coach g (the SQL computes the same: md5('bench-coach-' || g))."""
    return uuid.UUID(hashlib.md5(f"bench-coach-{g}".encode()).hexdigest())


def factors_json(n: int = 21) -> str:
    """Score factors as triage sends them (factor, value, contribution), as JSON."""
    return json.dumps(
        [
            {"factor": f"factor_{k:02d}", "value": f"level_{k % 4}", "contribution": -0.5 + k / 20}
            for k in range(n)
        ]
    )


# Seeding the caseload databases -----------------------------------------------------------


@dataclass(frozen=True)
class CaseloadPlan:
    """One size: how many coaches and cases, and the measured coach."""

    cases: int
    coaches: int
    with_coach: int
    coach_index: int

    @property
    def coach_id(self) -> uuid.UUID:
        return coach_uuid(self.coach_index)


def caseload_plan(n: int, cfg: CoachingConfig) -> CaseloadPlan:
    """N cases: coach_share of them spread evenly over N * share / (open + closed) coaches."""
    per_coach = cfg.open_per_coach + cfg.closed_per_coach
    coaches = max(1, int(n * cfg.coach_share) // per_coach)
    with_coach = coaches * per_coach
    if with_coach > n:
        raise BenchError(f"{n} cases are too few for one coach of {per_coach} cases")
    return CaseloadPlan(n, coaches, with_coach, coaches // 2)


_SEED_COACHES = """
INSERT INTO coaches (id, display_name, office_code, specialisms, contract_hours,
                     holds_intakes, active, created_at, updated_at)
SELECT md5('bench-coach-' || g)::uuid, 'Coach ' || g, o.codes[1 + g % o.n], '[]'::jsonb,
       (ARRAY[16, 20, 24, 28, 32, 36, 40])[1 + g % 7], true, true, now(), now()
FROM generate_series(0, CAST(:coaches AS int) - 1) AS g,
     (SELECT CAST(:offices AS text[]) AS codes, cardinality(CAST(:offices AS text[])) AS n) o
"""

# Row i < with_coach belongs to coach i % coaches, as the (i / coaches)-th of its cases:
# the first open_per_coach open, the rest closed. The others: digital, every 10th personal
# without a coach (the team lead's queue).
_SEED_CASES = """
INSERT INTO cases (id, claim_id, registered, office_code, first_ww_day, age_at_first_ww_day,
                   status, coach_id, segment, probability, band, score_model_version,
                   score_provisional, score_factors, scored_at, opened_at, updated_at, sector,
                   assignment_status, assignment_reason, checkin_on, intake_coach_id,
                   intake_held, assigned_at, claimant_subject, closed_at, closed_on,
                   closure_result, obligation_regime)
SELECT gen_random_uuid(), gen_random_uuid(), true, office, first_day, 18 + (i * 7) % 49,
       CASE WHEN closed THEN 'closed' ELSE 'open' END, coach, segment, p,
       CASE WHEN p < 0.25 THEN '0-25' WHEN p < 0.5 THEN '25-50' WHEN p < 0.75 THEN '50-75'
            ELSE '75-100' END,
       :model, false, CAST(:factors AS jsonb), opened + interval '2 days', opened, now(),
       (ARRAY['care', 'logistics', 'ict', 'retail', 'construction', NULL])[1 + i % 6],
       CASE WHEN coach IS NOT NULL THEN 'assigned' WHEN segment = 'digital' THEN 'digital'
            ELSE 'unassigned' END,
       CASE WHEN coach IS NOT NULL THEN 'office_load' WHEN segment = 'digital' THEN 'digital'
            ELSE 'all_coaches_at_maximum' END,
       CASE WHEN segment = 'digital' THEN first_day + 91 END,
       coach, coach IS NOT NULL, CASE WHEN coach IS NOT NULL THEN opened + interval '3 days' END,
       'idp|' || md5(i::text),
       CASE WHEN closed THEN opened + interval '200 days' END,
       CASE WHEN closed THEN (opened + interval '200 days')::date END,
       CASE WHEN closed THEN 'work_resumed' END,
       CASE WHEN coach IS NOT NULL THEN 'regular' END
FROM (
    SELECT s.*, (s.opened AT TIME ZONE 'Europe/Amsterdam')::date - i % 5 AS first_day,
           CASE WHEN s.segment = 'digital' THEN 0.5 + 0.5 * s.r2 ELSE 0.5 * s.r2 END AS p
    FROM (
        SELECT g.i,
               CASE WHEN g.i < :with_coach THEN md5('bench-coach-' || g.i % :coaches)::uuid
               END AS coach,
               g.i < :with_coach AND g.i / :coaches >= :open_per AS closed,
               CASE WHEN g.i < :with_coach OR g.i % 10 = 0 THEN 'personal' ELSE 'digital'
               END AS segment,
               o.codes[1 + (CASE WHEN g.i < :with_coach THEN g.i % :coaches ELSE g.i END) % o.n]
                   AS office,
               now() - make_interval(secs => 86400 * 365 * (random()
                   + CASE WHEN g.i < :with_coach AND g.i / :coaches >= :open_per THEN 1
                          ELSE 0 END)) AS opened,
               random() AS r2
        FROM generate_series(0, CAST(:n AS int) - 1) AS g(i),
             (SELECT CAST(:offices AS text[]) AS codes,
                     cardinality(CAST(:offices AS text[])) AS n) o
    ) s
) t
"""


def _plain_indexes(conn: Connection) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of `cases` without a constraint or a predicate."""
    return [
        (str(r[0]), str(r[1]))
        for r in conn.execute(
            text(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'cases'::regclass AND i.indpred IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                "ORDER BY 1"
            )
        )
    ]


def seed_caseload(
    run: BenchRun, url: str, plan: CaseloadPlan, cfg: CoachingConfig
) -> dict[str, Any]:
    """Seed one database; returns counts, size and timings."""
    from shared.reference import load_offices

    offices = [o.code for o in load_offices().offices]
    t0 = time.monotonic()
    timings: dict[str, float] = {}
    with run.engine(url).begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        conn.execute(text("SELECT setseed(:s)"), {"s": (cfg.seed % 1000) / 1000})
        conn.execute(text(_SEED_COACHES), {"coaches": plan.coaches, "offices": offices})
        # The plain indexes of `cases` are dropped for the load and rebuilt from their own
        # definitions afterwards (a sorted build instead of N random B-tree inserts each),
        # as the booking phase does; primary key, unique and partial ones stay.
        indexes = _plain_indexes(conn)
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        t = time.monotonic()
        inserted = conn.execute(
            text(_SEED_CASES),
            {
                "n": plan.cases,
                "coaches": plan.coaches,
                "with_coach": plan.with_coach,
                "open_per": cfg.open_per_coach,
                "offices": offices,
                "model": MODEL_VERSION,
                "factors": factors_json(),
            },
        ).rowcount
        timings["insert_s"] = round(time.monotonic() - t, 2)
        t = time.monotonic()
        for _, definition in indexes:
            conn.execute(text(definition))
        if sorted(_plain_indexes(conn)) != sorted(indexes):
            raise BenchError("the rebuilt indexes of cases differ from the migrated ones")
        timings["indexes_s"] = round(time.monotonic() - t, 2)
    if inserted != plan.cases:
        raise BenchError(f"seeded {inserted} cases, wanted {plan.cases}")
    t = time.monotonic()
    run.execute(url, "VACUUM (ANALYZE)")
    timings["vacuum_analyze_s"] = round(time.monotonic() - t, 2)
    counts = {
        "coaches": run.scalar(url, "SELECT count(*) FROM coaches"),
        "cases": run.scalar(url, "SELECT count(*) FROM cases"),
        "open": run.scalar(url, "SELECT count(*) FROM cases WHERE status = 'open'"),
        "with_coach": run.scalar(url, "SELECT count(*) FROM cases WHERE coach_id IS NOT NULL"),
        "digital": run.scalar(url, "SELECT count(*) FROM cases WHERE segment = 'digital'"),
        "measured_coach_cases": run.scalar(
            url, "SELECT count(*) FROM cases WHERE coach_id = :c", c=plan.coach_id
        ),
        "measured_coach_open": run.scalar(
            url,
            "SELECT count(*) FROM cases WHERE coach_id = :c AND status = 'open'",
            c=plan.coach_id,
        ),
    }
    return {
        "cases": plan.cases,
        "coaches": plan.coaches,
        "rows": counts,
        "database_mb": round(
            run.scalar(url, "SELECT pg_database_size(current_database())") / 2**20, 1
        ),
        "cases_table_mb": round(
            run.scalar(url, "SELECT pg_total_relation_size('cases')") / 2**20, 1
        ),
        "timings": timings,
        "seed_s": round(time.monotonic() - t0, 1),
    }


# The baseline app ---------------------------------------------------------------------------


def baseline_app(urls: dict[str, str]) -> FastAPI:
    """A bare FastAPI + SQLAlchemy GET: a coach's newest cases from one of the databases."""
    from fastapi import FastAPI, HTTPException

    from shared.db.engine import build_engine
    from shared.settings import ServiceSettings

    defaults = ServiceSettings()
    engines = {
        tag: build_engine(
            url, pool_size=defaults.db_pool_size, max_overflow=defaults.db_max_overflow
        )
        for tag, url in urls.items()
    }
    query = text(BASELINE_SQL)
    app = FastAPI(title="bench coaching baseline", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # Sync like the service's endpoint (the same thread pool); rows as dicts through
    # FastAPI's default encoder.
    @app.get("/v1/base/{tag}/cases")
    def cases(tag: str, coach_id: uuid.UUID, limit: int = 50) -> dict[str, Any]:
        engine = engines.get(tag)
        if engine is None:
            raise HTTPException(404)
        with engine.connect() as conn:
            rows = conn.execute(query, {"c": coach_id, "n": limit}).mappings().all()
        return {"items": [dict(r) for r in rows]}

    return app


def main() -> None:
    """`python -m bench.coaching --db TAG=URL ... --port P`: the baseline app."""
    import uvicorn

    from shared.settings import ServiceSettings
    from ww.runner import _uvicorn_config

    parser = argparse.ArgumentParser(description="coaching bench baseline app")
    parser.add_argument("--db", action="append", required=True, help="TAG=DATABASE_URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    urls = dict(item.split("=", 1) for item in args.db)
    app = baseline_app(urls)
    config = _uvicorn_config(app, ServiceSettings(host=args.host, port=args.port))
    uvicorn.Server(config).run()


# EXPLAIN ----------------------------------------------------------------------------------


def explain(url: str, coach_id: uuid.UUID, page: int) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the service's list queries (captured from the
    repository itself) for the default and the sorted variant, and of the baseline's."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import Session

    from coaching.cases import repository

    engine = create_engine(url, pool_size=1, max_overflow=0)
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM cases" in statement:
            captured.append((statement, parameters))

    out: dict[str, Any] = {}
    try:
        for name, sort, status in (
            ("default", "-opened_at", None),
            ("sorted", "-weeks_in_ww", "open"),
        ):
            captured.clear()
            event.listen(engine, "before_cursor_execute", capture)
            try:
                with Session(engine) as session:
                    repository.list_cases(
                        session,
                        office_code=None,
                        coach_id=coach_id,
                        segment=None,
                        status=status,
                        sort=sort,
                        limit=page,
                        offset=0,
                    )
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            queries = []
            with engine.connect() as conn:
                for statement, params in captured:
                    rows = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, params
                    ).all()
                    summary = plan_summary(
                        [str(r[0]) for r in rows], table="cases", seq_key="seq_scan_on_cases"
                    )
                    summary["sql"] = " ".join(statement.split())
                    queries.append(summary)
            out[name] = queries
        with engine.connect() as conn:
            rows = conn.execute(
                text("EXPLAIN (ANALYZE, BUFFERS) " + BASELINE_SQL), {"c": coach_id, "n": page}
            ).all()
        base = plan_summary([str(r[0]) for r in rows], table="cases", seq_key="seq_scan_on_cases")
        base["sql"] = BASELINE_SQL
        out["baseline"] = [base]
    finally:
        engine.dispose()
    service_queries = out["default"] + out["sorted"]
    out["service_uses_index"] = all(q["indexes"] for q in service_queries) and not any(
        q["seq_scan_on_cases"] for q in service_queries
    )
    # The index made for this query (coaching_0003): does the service's page query read it
    # in order (and stop after the page), or read all the coach's rows and sort them?
    out["service_page_reads_index_in_order"] = any(
        "ix_cases_coach_opened" in q["indexes"] and not q["bitmap_scan"] and not q["sorts"]
        for q in out["default"]
        if "count(" not in q["sql"]
    )
    return out


# The caseload query -------------------------------------------------------------------------


def _get_json(url: str, token: str) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read())


def check_pages(
    base_url: str, token: str, plan: CaseloadPlan, cfg: CoachingConfig
) -> dict[str, Any]:
    """The service answers the coach with their own cases (and the right totals)."""
    out: dict[str, Any] = {}
    for name, path, want in (
        ("default", PATH_DEFAULT, cfg.open_per_coach + cfg.closed_per_coach),
        ("sorted", PATH_SORTED, cfg.open_per_coach),
    ):
        status, body = _get_json(base_url + path.format(n=cfg.page), token)
        items = body.get("items", [])
        out[name] = {
            "status": status,
            "total": body.get("total"),
            "items": len(items),
            "own_only": all(i.get("coach_id") == str(plan.coach_id) for i in items),
            "ok": status == 200
            and body.get("total") == want
            and len(items) == min(cfg.page, want)
            and all(i.get("coach_id") == str(plan.coach_id) for i in items),
        }
    return out


def _split(total: int, segments: int) -> int:
    return max(1, total // max(1, segments))


def caseload(run: BenchRun, cfg: CoachingConfig) -> dict[str, Any]:
    """Seed every size, start the servers, measure in interleaved segments."""
    sizes = sorted(set(cfg.cases))
    if not sizes:
        raise BenchError("no case counts given")
    plans = {n: caseload_plan(n, cfg) for n in sizes}
    dbs: dict[int, str] = {}
    seeded: dict[int, dict[str, Any]] = {}
    for n in sizes:
        dbs[n] = run.database("coaching", f"cl{size_tag(n)}")
        seeded[n] = seed_caseload(run, dbs[n], plans[n], cfg)
    checkpoint(run)

    b_port = free_port()
    b_url = f"http://127.0.0.1:{b_port}"
    b_proc = run.start_python(
        "coaching-baseline",
        "bench.coaching",
        [a for n in sizes for a in ("--db", f"{size_tag(n)}={dbs[n]}")] + ["--port", str(b_port)],
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
            topic_prefix=run.topic_prefix(f"c{size_tag(n)}"),
            port=port,
        )
        proc = run.procs.start(f"coaching-cl{size_tag(n)}", ["serve", "coaching"], env)
        servers[n] = (f"http://127.0.0.1:{port}", proc)
    healthy(b_url, b_proc)
    for url, proc in servers.values():
        healthy(url, proc)
    pids = [p.popen.pid for _, p in servers.values()] + [b_proc.popen.pid]
    checks = {}
    for n in sizes:
        token = tokens.user("coach", sub=str(plans[n].coach_id))
        checks[size_tag(n)] = check_pages(servers[n][0], token, plans[n], cfg)

    # (kind, side) -> size -> segments
    segs: dict[tuple[str, str], dict[int, list[dict[str, Any]]]] = {}
    lat_n = _split(cfg.latency_requests, cfg.segments)
    thr_n = _split(cfg.throughput_requests, cfg.segments)
    for k in range(cfg.segments):
        for n in sizes:
            plan, tag = plans[n], size_tag(n)
            s_url, s_proc = servers[n]
            token = tokens.user("coach", sub=str(plan.coach_id))
            base_path = f"/v1/base/{tag}/cases?coach_id={plan.coach_id}&limit={cfg.page}"
            sides = [
                ("latency", "service", s_url, s_proc, token, PATH_DEFAULT.format(n=cfg.page)),
                ("latency", "service_sorted", s_url, s_proc, token, PATH_SORTED.format(n=cfg.page)),
                ("latency", "baseline", b_url, b_proc, None, base_path),
                ("throughput", "service", s_url, s_proc, token, PATH_DEFAULT.format(n=cfg.page)),
                ("throughput", "baseline", b_url, b_proc, None, base_path),
            ]
            # One settle wait per size and segment (not per side): the sides follow each
            # other within ~30 s, and 30 waits of up to 10 s would double the phase.
            quiet = settle(max_wait_s=cfg.settle_s, pids=pids)
            for kind, side, url, proc, tok, path in sides:
                latency = kind == "latency"
                warm = (cfg.latency_warmup if latency else cfg.throughput_warmup) // (
                    1 if k == 0 else 2
                )
                count = warm + (lat_n if latency else thr_n)
                name = f"coaching-{kind}-{side}-{tag}-{k}"
                bodies = run.dir / f"{name}-bodies.json"
                paths = run.dir / f"{name}-paths.json"
                bodies.write_text(json.dumps([None] * count))
                paths.write_text(json.dumps([path] * count))
                args = closed_args(
                    url,
                    bodies,
                    client=cfg.client,
                    concurrency=1 if latency else cfg.concurrency,
                    warmup=warm,
                    pid=proc.popen.pid,
                    token=tok,
                )
                args += ["--method", "GET", "--paths", str(paths), "--ok-status", "200"]
                seg = run_loadgen(run, name, "closed", args, time_limit=cfg.time_limit_s)
                seg["before"] = quiet
                segs.setdefault((kind, side), {}).setdefault(n, []).append(seg)
    audit = {
        size_tag(n): run.scalar(dbs[n], "SELECT count(*) FROM audit_log WHERE action = 'case.list'")
        for n in sizes
    }
    run.stop(*(p for _, p in servers.values()), b_proc)

    out_sizes: list[dict[str, Any]] = []
    for n in sizes:
        entry: dict[str, Any] = {
            "cases": n,
            "label": size_label(n),
            "seed": seeded[n],
            "coach_id": str(plans[n].coach_id),
            "check": checks[size_tag(n)],
            "audit_rows": audit[size_tag(n)],
        }
        for (kind, side), by_size in segs.items():
            entry.setdefault(kind, {})[side] = combine(by_size[n])
        lat, thr = entry["latency"], entry["throughput"]
        b = lat["baseline"]["latency_ms"]
        entry["ratios"] = {
            "p50": ratio(lat["service"]["latency_ms"].get("p50"), b.get("p50")),
            "p99": ratio(lat["service"]["latency_ms"].get("p99"), b.get("p99")),
            "sorted_p50": ratio(lat["service_sorted"]["latency_ms"].get("p50"), b.get("p50")),
            "sorted_p99": ratio(lat["service_sorted"]["latency_ms"].get("p99"), b.get("p99")),
            "rps": ratio(thr["service"]["rps"], thr["baseline"]["rps"]),
            "throughput_p99": ratio(
                thr["service"]["latency_ms"].get("p99"), thr["baseline"]["latency_ms"].get("p99")
            ),
        }
        out_sizes.append(entry)
    small, large = out_sizes[0], out_sizes[-1]

    def flat(kind: str, side: str, key: str) -> float | None:
        if key == "rps":
            return ratio(large[kind][side]["rps"], small[kind][side]["rps"])
        return ratio(
            large[kind][side]["latency_ms"].get(key), small[kind][side]["latency_ms"].get(key)
        )

    flatness = {
        "label": f"{large['label']} / {small['label']}",
        "p50": flat("latency", "service", "p50"),
        "p99": flat("latency", "service", "p99"),
        "sorted_p99": flat("latency", "service_sorted", "p99"),
        "baseline_p99": flat("latency", "baseline", "p99"),
        "rps": flat("throughput", "service", "rps"),
        "baseline_rps": flat("throughput", "baseline", "rps"),
    }
    plans_out = {
        size_tag(n): {"coaches": p.coaches, "cases_with_coach": p.with_coach}
        for n, p in plans.items()
    }
    return {
        "sizes": out_sizes,
        "flatness": flatness,
        "plans": plans_out,
        "explain": {
            "cases": sizes[-1],
            **explain(dbs[sizes[-1]], plans[sizes[-1]].coach_id, cfg.page),
        },
    }


# Assignment ---------------------------------------------------------------------------------


def scenario(
    rng: random.Random,
    *,
    offices: Sequence[str],
    n_coaches: int,
    n_cases: int,
    specialist_demand: float = 0.6,
    roster: Sequence[CoachLoad] | None = None,
) -> tuple[list[CoachLoad], list[CaseNeeds]]:
    """The unit balance test's scenario (continuity 0): coaches of 16-40 hours, 40 % with
    one specialism; cases per office in proportion to its hours, needs drawn with
    `specialist_demand` times the share of the office's hours holding them."""
    from coaching.assignment.rules import CaseNeeds, CoachLoad
    from shared.events.common import Segment

    if roster is None:
        roster = [
            CoachLoad(
                coach_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                office=offices[i % len(offices)],
                specialisms=frozenset([rng.choice(KINDS)]) if rng.random() < 0.4 else frozenset(),
                contract_hours=rng.choice(HOURS),
            )
            for i in range(n_coaches)
        ]
    hours = {o: sum(k.contract_hours for k in roster if k.office == o) for o in offices}
    total = sum(hours.values())
    weights = [hours[o] / total for o in offices]

    def share(o: str, kind: str) -> float:
        held = sum(k.contract_hours for k in roster if k.office == o and kind in k.specialisms)
        return held / hours[o]

    cases: list[CaseNeeds] = []
    for _ in range(n_cases):
        o = rng.choices(offices, weights=weights)[0]
        r = rng.random()
        over_55 = r < specialist_demand * share(o, "over_55")
        under_27 = not over_55 and r > 1 - specialist_demand * share(o, "under_27")
        r, acc, sector = rng.random(), 0.0, None
        for s in ("care", "logistics", "ict"):
            acc += specialist_demand * share(o, "sector_" + s)
            if r < acc:
                sector = s
                break
        else:
            sector = rng.choice(["retail", "construction", None])
        cases.append(
            CaseNeeds(
                claim_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                office=o,
                segment=Segment.PERSONAL,
                over_55=over_55,
                under_27=under_27,
                sector=sector,
            )
        )
    return list(roster), cases


def load_ratios(roster: Sequence[CoachLoad], loads: dict[uuid.UUID, int]) -> dict[str, float]:
    """Maximum / mean relative load (cases per contract hour): overall and worst office."""
    rel = {k.coach_id: loads.get(k.coach_id, 0) / k.contract_hours for k in roster}
    mean = sum(rel.values()) / len(rel)
    worst = 0.0
    for o in {k.office for k in roster}:
        r = [rel[k.coach_id] for k in roster if k.office == o]
        worst = max(worst, max(r) / (sum(r) / len(r)))
    return {
        "max_over_mean": round(max(rel.values()) / mean, 4) if mean else math.nan,
        "worst_office_max_over_mean": round(worst, 4),
        "mean_cases_per_hour": round(mean, 3),
    }


def _age(c: CaseNeeds) -> int:
    return 58 if c.over_55 else 24 if c.under_27 else 41


def seed_assignment(
    run: BenchRun,
    url: str,
    roster: Sequence[CoachLoad],
    preload: dict[uuid.UUID, int],
    cases: Sequence[CaseNeeds],
    today: dt.date,
) -> None:
    """The roster with its open cases, and the cases to assign (personal, final score)."""
    now = dt.datetime.now(dt.UTC)
    with run.engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO coaches (id, display_name, office_code, specialisms, contract_hours,"
                " holds_intakes, active, created_at, updated_at) VALUES (:id, :name, :office, "
                "CAST(:spec AS jsonb), :hours, true, true, :now, :now)"
            ),
            [
                {
                    "id": k.coach_id,
                    "name": f"Coach {k.office} {i}",
                    "office": k.office,
                    "spec": json.dumps(sorted(k.specialisms)),
                    "hours": k.contract_hours,
                    "now": now,
                }
                for i, k in enumerate(roster)
            ],
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, claim_id, registered, office_code, first_ww_day, "
                "age_at_first_ww_day, status, coach_id, segment, probability, band, "
                "score_model_version, score_provisional, scored_at, opened_at, updated_at, "
                "assignment_status, assignment_reason, intake_held, assigned_at) "
                "SELECT gen_random_uuid(), gen_random_uuid(), true, c.office, :day, 40, 'open', "
                "c.id, 'personal', 0.3, '25-50', :model, false, :now, :now, :now, 'assigned', "
                "'office_load', false, :now "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:offices AS text[]), "
                "CAST(:counts AS int[])) AS c(id, office, n), generate_series(1, c.n)"
            ),
            {
                "ids": [k.coach_id for k in roster],
                "offices": [k.office for k in roster],
                "counts": [preload[k.coach_id] for k in roster],
                "day": today - dt.timedelta(days=120),
                "model": MODEL_VERSION,
                "now": now - dt.timedelta(days=100),
            },
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, claim_id, registered, office_code, first_ww_day, "
                "age_at_first_ww_day, status, segment, probability, band, score_model_version, "
                "score_provisional, scored_at, opened_at, updated_at, sector, intake_held) "
                "VALUES (gen_random_uuid(), :claim, true, :office, :day, :age, 'open', "
                "'personal', 0.3, '25-50', :model, false, :now, :now, :now, :sector, false)"
            ),
            [
                {
                    "claim": c.claim_id,
                    "office": c.office,
                    "day": today - dt.timedelta(days=20),
                    "age": _age(c),
                    "model": MODEL_VERSION,
                    "now": now,
                    "sector": c.sector,
                }
                for c in cases
            ],
        )
    run.execute(url, "VACUUM (ANALYZE)")


def assignment(run: BenchRun, cfg: CoachingConfig) -> dict[str, Any]:
    """maybe_assign on PostgreSQL (per case and per batch) vs the pure rules."""
    from coaching.assignment.rules import (
        AssignmentPolicy,
        CoachLoad,
        Outcome,
        assign,
        assign_many,
    )
    from coaching.assignment.service import maybe_assign
    from coaching.cases import repository
    from coaching.main import SPEC
    from coaching.settings import CoachingSettings
    from shared.clock import local_today
    from shared.messaging.embedded import EmbeddedBroker
    from shared.reference import load_offices
    from shared.runtime import ServiceContainer

    rng = random.Random(cfg.seed)
    offices = [o.code for o in load_offices().offices][: cfg.assign_offices]
    today = local_today()
    out: dict[str, Any] = {}

    # 1. Pure: assign_many, 10,000 cases to 80 coaches starting empty (the acceptance).
    # A maximum that does not bind (10 per hour; the mean is ~4.5), as in the unit test.
    roomy = AssignmentPolicy(max_cases_per_contract_hour=10.0)
    roster, cases = scenario(
        rng, offices=offices, n_coaches=cfg.assign_coaches, n_cases=cfg.pure_cases
    )
    times: list[float] = []
    quiet = settle(max_wait_s=cfg.settle_s)
    assign_many(cases[:500], roster, roomy, today=today)  # warm-up
    result = None
    for _ in range(max(1, cfg.pure_repeats)):
        t = time.perf_counter()
        result = assign_many(cases, roster, roomy, today=today)
        times.append(time.perf_counter() - t)
    assert result is not None
    pure_s = statistics.median(times)
    out["pure_balance"] = {
        "function": "coaching.assignment.rules.assign_many",
        "cases": len(cases),
        "coaches": len(roster),
        "offices": len(offices),
        "policy_max_cases_per_contract_hour": roomy.max_cases_per_contract_hour,
        "seconds_median": round(pure_s, 4),
        "repeats": len(times),
        "cases_per_s": len(cases) / pure_s,
        "unassigned": len(result.unassigned),
        "rules": _count(d.rule.value for d in result.decisions),
        "before": quiet,
        **load_ratios(roster, result.loads),
    }

    # 2. The service path on PostgreSQL: the same kind of roster with open cases already.
    db_url = run.database("coaching", "assign")
    settings = CoachingSettings(
        database_url=db_url,
        state_dir=run.state_dir,
        transport="embedded",
    )
    policy = settings.assignment_policy()
    roster, cases = scenario(
        random.Random(cfg.seed + 1),
        offices=offices,
        n_coaches=cfg.assign_coaches,
        n_cases=cfg.assign_warmup + cfg.assign_cases,
    )
    preload = {k.coach_id: round(cfg.assign_preload_per_hour * k.contract_hours) for k in roster}
    t = time.monotonic()
    seed_assignment(run, db_url, roster, preload, cases, today)
    seed_s = round(time.monotonic() - t, 1)
    warm, rest = cases[: cfg.assign_warmup], cases[cfg.assign_warmup :]
    half = len(rest) // 2
    single, batched = rest[:half], rest[half:]
    container = ServiceContainer(SPEC, settings, broker=EmbeddedBroker())
    decided: dict[uuid.UUID, Any] = {}

    def one(uow: Any, claim_id: uuid.UUID) -> None:
        case = repository.by_claim(uow.session, claim_id)
        if case is None:
            raise BenchError(f"case of claim {claim_id} not found")
        decided[claim_id] = maybe_assign(uow=uow, case=case, policy=policy, today=today)

    service: dict[str, Any] = {}
    try:
        for c in warm:
            with container.uow() as uow:
                one(uow, c.claim_id)
                uow.commit()
        quiet = settle(max_wait_s=cfg.settle_s)
        c0 = time.process_time()
        t0 = time.perf_counter()
        for c in single:
            with container.uow() as uow:
                one(uow, c.claim_id)
                uow.commit()
        single_s = time.perf_counter() - t0
        single_cpu = time.process_time() - c0
        quiet_b = settle(max_wait_s=cfg.settle_s)
        c0 = time.process_time()
        t0 = time.perf_counter()
        for lo in range(0, len(batched), cfg.assign_batch):
            with container.uow() as uow:
                for c in batched[lo : lo + cfg.assign_batch]:
                    one(uow, c.claim_id)
                uow.commit()
        batch_s = time.perf_counter() - t0
        batch_cpu = time.process_time() - c0
    finally:
        container.stop()
    service["per_case_uow"] = {
        "cases": len(single),
        "seconds": round(single_s, 3),
        "cases_per_s": len(single) / single_s if single_s > 0 else None,
        "ms_per_case": round(1000 * single_s / max(1, len(single)), 3),
        "python_cpu_ms_per_case": round(1000 * single_cpu / max(1, len(single)), 3),
        "before": quiet,
    }
    service["batched_uow"] = {
        "cases": len(batched),
        "batch": cfg.assign_batch,
        "seconds": round(batch_s, 3),
        "cases_per_s": len(batched) / batch_s if batch_s > 0 else None,
        "ms_per_case": round(1000 * batch_s / max(1, len(batched)), 3),
        "python_cpu_ms_per_case": round(1000 * batch_cpu / max(1, len(batched)), 3),
        "before": quiet_b,
    }
    url = db_url
    stored = {
        uuid.UUID(str(r[0])): (r[1], r[2])
        for r in run.rows(
            url,
            "SELECT claim_id, coach_id, assignment_status FROM cases WHERE claim_id = ANY(:ids)",
            ids=[c.claim_id for c in cases],
        )
    }
    final = {
        uuid.UUID(str(r[0])): int(r[1])
        for r in run.rows(
            url,
            "SELECT coach_id, count(*) FROM cases WHERE status = 'open' AND coach_id IS NOT NULL "
            "GROUP BY coach_id",
        )
    }
    gained = {k.coach_id: final.get(k.coach_id, 0) - preload[k.coach_id] for k in roster}
    outbox = run.scalar(url, "SELECT count(*) FROM outbox")

    # 3. The pure rules on the same roster and cases: `assign` one case at a time in the
    # service's order (must give the same decisions), and `assign_many` as one batch.
    def sequential() -> list[Any]:
        loads = dict(preload)
        decisions = []
        for c in cases:
            coaches = [
                CoachLoad(
                    k.coach_id, k.office, k.specialisms, k.contract_hours, True, loads[k.coach_id]
                )
                for k in roster
            ]
            d = assign(c, coaches, policy, today=today)
            if d.outcome is Outcome.ASSIGNED and d.coach_id is not None:
                loads[d.coach_id] += 1
            decisions.append(d)
        return decisions

    t0 = time.perf_counter()
    seq = sequential()
    seq_s = time.perf_counter() - t0
    mismatches = sum(
        1
        for c, d in zip(cases, seq, strict=True)
        if stored.get(c.claim_id, (None, None))[0] != d.coach_id
        or (decided.get(c.claim_id) is not None and decided[c.claim_id].coach_id != d.coach_id)
    )
    loaded = [
        CoachLoad(k.coach_id, k.office, k.specialisms, k.contract_hours, True, preload[k.coach_id])
        for k in roster
    ]
    batch_times = []
    for _ in range(max(1, cfg.pure_repeats)):
        t0 = time.perf_counter()
        batch_result = assign_many(cases, loaded, policy, today=today)
        batch_times.append(time.perf_counter() - t0)
    batch_pure_s = statistics.median(batch_times)
    per_case_rate = service["per_case_uow"]["cases_per_s"]
    batched_rate = service["batched_uow"]["cases_per_s"]
    seq_rate = len(cases) / seq_s if seq_s > 0 else None
    many_rate = len(cases) / batch_pure_s if batch_pure_s > 0 else None
    out["service"] = {
        "function": "coaching.assignment.service.maybe_assign (case loaded by claim)",
        "coaches": len(roster),
        "offices": len(offices),
        "policy_max_cases_per_contract_hour": policy.max_cases_per_contract_hour,
        "preloaded_open_cases": sum(preload.values()),
        "cases": len(cases),
        "warmup": len(warm),
        "seed_s": seed_s,
        **service,
        "outcomes": _count(str(s[1]) for s in stored.values()),
        "outbox_rows": outbox,
        "same_decisions_as_pure_sequential": mismatches == 0,
        "mismatches": mismatches,
        "final_load": load_ratios(roster, final),
        "gained_load": load_ratios(roster, gained),
    }
    out["pure_same_cases"] = {
        "sequential_assign_cases_per_s": seq_rate,
        "assign_many_cases_per_s": many_rate,
        "assign_many_seconds_median": round(batch_pure_s, 4),
        "assign_many_final_load": load_ratios(roster, dict(batch_result.loads)),
    }
    out["ratios"] = {
        "per_case_uow_vs_sequential_assign": ratio(per_case_rate, seq_rate),
        "batched_uow_vs_sequential_assign": ratio(batched_rate, seq_rate),
        "per_case_uow_vs_assign_many": ratio(per_case_rate, many_rate),
        "batched_uow_vs_assign_many": ratio(batched_rate, many_rate),
    }
    return out


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


# The phase ----------------------------------------------------------------------------------


def run_coaching(run: BenchRun, cfg: CoachingConfig, rng: random.Random) -> dict[str, Any]:
    """Assignment first (in-process, no servers), then the caseload query."""
    result: dict[str, Any] = {"config": asdict(cfg)}
    parts: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("assignment", lambda: assignment(run, cfg)),
        ("caseload", lambda: caseload(run, cfg)),
    ]
    errors: dict[str, str] = {}
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
    if errors:
        result["errors"] = errors
        result["error"] = "; ".join(f"{k}: {v.splitlines()[0]}" for k, v in errors.items())
    return result


if __name__ == "__main__":
    main()
