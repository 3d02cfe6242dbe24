"""Figure 1b: registration with booking against 10k and 1M existing appointments.

For each size N a fresh intake database is cloned from the migrated template and seeded
directly in PostgreSQL (set-based INSERT ... SELECT over generate_series and unnest, one
transaction, then VACUUM ANALYZE and a CHECKPOINT), with the same roster and agendas at
every size:

* roster coaches per office (`roster_coaches`), sized to the offices' share of the load
  so that every benchmarked registration finds a free slot before its deadline at its
  home office; an agenda per coach (Mon-Fri 09:00-17:00 at the coach's office, the
  service's slot length and buffer) and its slots over the slot horizon;
* the same upcoming bookings at every size: every `UPCOMING_EVERY`-th future slot carries
  an active (`booked`) appointment of an open claim;
* N - upcoming past appointments, picked at random from the grid of past slots of the
  coaches (about `PAST_FILL` of the past slots booked, so 10k is a week of history and
  1M about 2.5 years): completed, no-show or cancelled, each with its slot and its claim
  (unique BSN hash; closed after three months). Some of the load's claimants are
  returning claimants: their BSN has a closed earlier claim with a completed intake at
  their office, so the known-coach preference finds a coach.

Then `ww serve intake` runs on every seeded database side by side (idle while another is
measured) and the closed-loop registration load of figure 1 (same bodies, connections
and sizes) is sent in interleaved segments (10k, 1M, 10k, 1M). The figures are ratios to
the bare-insert baseline of the registration phase of the same run (measured here, the
same way, only when that phase did not run), and the flatness ratio 1M / 10k. Afterwards
the databases are checked: every registration booked, no shortfall, nothing unplanned.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import shutil
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bench.common import claim_bodies, run_loadgen
from bench.cpu import settle
from bench.infra import BenchError, BenchRun
from bench.registration import closed_args, combine, healthy, segment_plan, start_baseline
from bench.stats import ratio
from intake.calendar.rules import WorkingDays
from intake.settings import IntakeSettings
from shared.bsn import BsnVault
from shared.reference import OfficeDirectory, load_offices
from tests.support.system import REPO, Proc, free_port, service_env
from tests.support.tokens import Tokens

# Weekly blocks of every seeded coach: Monday to Friday, local time.
BLOCK_START = dt.time(9, 0)
BLOCK_END = dt.time(17, 0)
# Every n-th future slot is already booked (the same at every size).
UPCOMING_EVERY = 10
# Share of the past slots that carry a history appointment.
PAST_FILL = 0.85
# The history: status by share (the rest cancelled by the service).
HISTORY_MIX = (("completed", 0.80), ("no_show", 0.08), ("cancelled_by_claimant", 0.07))
SEED_SUBJECT = "bench-seed"
BENCH_SUBJECT = "bench-admin"


@dataclass(frozen=True)
class BookingConfig:
    """Sizes of the booking phase."""

    appointments: tuple[int, ...] = (10_000, 1_000_000)
    requests: int = 2000
    warmup: int = 200
    concurrency: int = 16
    segments: int = 2
    client: str = "stdlib"
    settle_s: float = 10.0
    time_limit_s: float = 180.0
    min_coaches_per_office: int = 6
    # Free slots per office in the deadline window, as a multiple of the office's share
    # of the load (the neighbours within travel time come on top).
    capacity_margin: float = 1.5
    returning_share: float = 0.1
    # py-spy the largest size's server for this many seconds of its last segment (0: off).
    profile_s: float = 0.0


def size_tag(n: int) -> str:
    """10000 -> '10k', 1000000 -> '1m' (database names, file names, figure labels)."""
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def size_label(n: int) -> str:
    """10000 -> '10k', 1000000 -> '1M'."""
    return size_tag(n).replace("m", "M")


# The seeding plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class SeedPlan:
    """What every seeded database shares: coaches, agendas, slot grid, returning claimants."""

    coaches: list[dict[str, Any]]
    slot_starts_min: list[int]  # minutes after midnight (local) of each slot of a block
    slot_minutes: int
    future_days: list[dt.date]  # today .. the end of the slot horizon, working days
    horizon_end: dt.date
    returning: list[tuple[str, str]]  # (bsn_hash, office_code) of returning claimants
    demand: dict[str, int]


def _working_days(start: dt.date, step: int, count: int) -> list[dt.date]:
    """`count` national working days from `start` (inclusive) going forward or back."""
    wd = WorkingDays()
    out: list[dt.date] = []
    day = start
    while len(out) < count:
        if wd.is_working_day(day):
            out.append(day)
        day += dt.timedelta(days=step)
    return out


def _postcode_of(offices: OfficeDirectory, code: str) -> str:
    office = offices.get(code)
    lo = office.postcode_ranges[0][0] if office is not None else 1000
    return f"{lo} AB"


def make_plan(
    cfg: BookingConfig,
    bodies: list[dict[str, Any]],
    *,
    vault: BsnVault,
    rng: random.Random,
    today: dt.date,
) -> SeedPlan:
    """Coaches sized to the load's offices, the slot grid, and the returning claimants."""
    settings = IntakeSettings()
    offices = load_offices()
    home = [offices.for_postcode(b["postcode"]).code for b in bodies]
    demand = Counter(home)
    step = settings.slot_minutes + settings.slot_buffer_minutes
    starts: list[int] = []
    m = BLOCK_START.hour * 60 + BLOCK_START.minute
    end = BLOCK_END.hour * 60 + BLOCK_END.minute
    while m + settings.slot_minutes <= end:
        starts.append(m)
        m += step
    # The deadline window holds at least the working days up to the deadline (today's
    # remaining slots come on top); the upcoming bookings take 1/UPCOMING_EVERY of it.
    window = settings.intake_deadline_working_days * len(starts) * (1 - 1 / UPCOMING_EVERY)
    coaches: list[dict[str, Any]] = []
    for o in offices.offices:
        need = math.ceil(cfg.capacity_margin * demand.get(o.code, 0) / window)
        for k in range(max(cfg.min_coaches_per_office, need)):
            coaches.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "office_code": o.code,
                    "rank": len(coaches),
                    "display_name": f"Coach {o.code} {k + 1}",
                    "postcode": _postcode_of(offices, o.code),
                }
            )
    future = _working_days(today, 1, settings.slot_horizon_working_days + 1)
    picks = rng.sample(range(len(bodies)), round(cfg.returning_share * len(bodies)))
    returning = [(vault.lookup_hash(bodies[i]["bsn"]), home[i]) for i in sorted(picks)]
    return SeedPlan(
        coaches=coaches,
        slot_starts_min=starts,
        slot_minutes=settings.slot_minutes,
        future_days=future,
        horizon_end=future[-1],
        returning=returning,
        demand=dict(sorted(demand.items())),
    )


# Seeding ---------------------------------------------------------------------------------

_GRID = """
SELECT c.id AS coach_id, c.office_code, c.postcode, c.rank, t.day, t.day_index, t.start_min,
       t.starts_at
FROM (SELECT d.day, d.i AS day_index, m.m AS start_min,
             (d.day + make_interval(mins => m.m)) AT TIME ZONE 'Europe/Amsterdam' AS starts_at
      FROM unnest(CAST(:days AS date[])) WITH ORDINALITY AS d(day, i)
      CROSS JOIN unnest(CAST(:starts AS int[])) AS m(m)) t
CROSS JOIN bench_coach c
"""


# The bulk-loaded tables: their indexes and constraints (and the foreign keys pointing at
# them) are dropped for the load and rebuilt from their own definitions afterwards, as
# pg_restore does: a sort-based index build instead of a million random B-tree inserts
# and foreign-key trigger calls. The rebuilt schema is compared with the original.
BULK_TABLES = ("slots", "claims", "appointments")


def _exec(conn: Connection, sql: str, **params: Any) -> int:
    return int(conn.execute(text(sql), params).rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Schema:
    constraints: list[tuple[str, str, str, str]]  # (table, name, type, definition)
    indexes: list[tuple[str, str]]  # (name, definition) of indexes without a constraint

    def signature(self) -> list[str]:
        return sorted(
            [f"{t}.{n} {k} {d}" for t, n, k, d in self.constraints]
            + [f"{n} {d}" for n, d in self.indexes]
        )


def _schema(conn: Connection) -> _Schema:
    tables = list(BULK_TABLES)
    constraints = [
        (str(r[0]), str(r[1]), str(r[2]), str(r[3]))
        for r in conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.conname, c.contype::text, "
                "pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype IN ('p', 'u', 'x', 'f') AND (c.conrelid::regclass::text = "
                "ANY(:t) OR (c.contype = 'f' AND c.confrelid::regclass::text = ANY(:t))) "
                "ORDER BY 1, 2"
            ),
            {"t": tables},
        )
    ]
    indexes = [
        (str(r[0]), str(r[1]))
        for r in conn.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(:t) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
                "AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY 1"
            ),
            {"t": tables},
        )
    ]
    return _Schema(constraints, indexes)


def _rebuilt(schema: _Schema) -> _Schema:
    """What is dropped and rebuilt: everything but the partial indexes and constraints.

    A partial predicate does not survive deparse and re-parse verbatim (`status IN (...)`
    comes back as an ARRAY of casts), which could change which queries may use the index;
    those stay in place during the load (they cover only the few active or open rows).
    """
    return _Schema(
        [c for c in schema.constraints if " WHERE " not in c[3]],
        [i for i in schema.indexes if " WHERE " not in i[1]],
    )


def _strip(conn: Connection, schema: _Schema) -> None:
    for table, name, _, _ in sorted(schema.constraints, key=lambda c: c[2] != "f"):
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in schema.indexes:
        conn.execute(text(f"DROP INDEX {name}"))


def _restore(conn: Connection, schema: _Schema) -> None:
    for _, definition in schema.indexes:
        conn.execute(text(definition))
    for table, name, _, definition in sorted(schema.constraints, key=lambda c: c[2] == "f"):
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def seed(run: BenchRun, url: str, n: int, plan: SeedPlan) -> dict[str, Any]:
    """Seed one database with the plan and n appointments; returns counts and timings."""
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    def lap(what: str, since: list[float]) -> None:
        now = time.monotonic()
        timings[what] = round(now - since[0], 2)
        since[0] = now

    mark = [t0]
    length = f"make_interval(mins => {int(plan.slot_minutes)})"
    with run.engine(url).begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        # A fresh connection: no temporary table used yet, so the buffer size may be set.
        conn.execute(text("SET LOCAL temp_buffers = '512MB'"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        conn.execute(
            text(
                "CREATE TEMP TABLE bench_coach (id uuid, office_code varchar(10), rank int, "
                "display_name varchar(200), postcode varchar(7)) ON COMMIT DROP"
            )
        )
        conn.execute(
            text(
                "INSERT INTO bench_coach VALUES (:id, :office_code, :rank, :display_name, "
                ":postcode)"
            ),
            plan.coaches,
        )
        _exec(
            conn,
            "INSERT INTO roster_coaches (id, display_name, office_code, specialisms, "
            "contract_hours, holds_intakes, active, updated_at) SELECT id, display_name, "
            "office_code, '[]', 36, true, true, now() FROM bench_coach",
        )
        _exec(
            conn,
            "INSERT INTO agendas (coach_id, slots_until, updated_by, updated_at) "
            "SELECT id, :until, :by, now() FROM bench_coach",
            until=plan.horizon_end,
            by=SEED_SUBJECT,
        )
        _exec(
            conn,
            "INSERT INTO agenda_blocks (id, coach_id, weekday, start_time, end_time, office_code) "
            "SELECT gen_random_uuid(), c.id, w, :start, :end, c.office_code "
            "FROM bench_coach c CROSS JOIN generate_series(0, 4) AS w",
            start=BLOCK_START,
            end=BLOCK_END,
        )
        # Future slots over the horizon; every UPCOMING_EVERY-th one already booked.
        conn.execute(
            text(
                "CREATE TEMP TABLE bench_future ON COMMIT DROP AS "
                "SELECT gen_random_uuid() AS slot_id, gen_random_uuid() AS claim_id, "
                "gen_random_uuid() AS appointment_id, g.*, "
                f"(g.day_index + g.start_min / 60 + g.rank) % {UPCOMING_EVERY} = 0 AS booked "
                f"FROM ({_GRID}) g WHERE g.starts_at > now()"
            ),
            {"days": plan.future_days, "starts": plan.slot_starts_min},
        )
        upcoming = int(
            conn.execute(text("SELECT count(*) FROM bench_future WHERE booked")).scalar_one()
        )
        history = n - upcoming
        if history < 0:
            raise BenchError(f"{n} appointments: fewer than the {upcoming} upcoming bookings")
        per_day = len(plan.coaches) * len(plan.slot_starts_min)
        past_days = _working_days(
            plan.future_days[0], -1, math.ceil(history / (PAST_FILL * per_day)) + 2
        )
        mix = " ".join(
            f"WHEN s < {sum(share for _, share in HISTORY_MIX[: i + 1]):.4f} THEN '{status}'"
            for i, (status, _) in enumerate(HISTORY_MIX)
        )
        # The grid of past slots; a row is booked (carries a history appointment) when its
        # random r lies below `fill`. No sort: the few rows off the exact count are moved
        # across the threshold afterwards.
        grid = _exec(
            conn,
            "CREATE TEMP TABLE bench_past ON COMMIT DROP AS "
            "SELECT gen_random_uuid() AS slot_id, gen_random_uuid() AS claim_id, "
            "gen_random_uuid() AS appointment_id, g.coach_id, g.office_code, g.postcode, "
            f"g.day, g.starts_at, random() AS r, CASE {mix} ELSE 'cancelled_by_service' END "
            "AS status, CAST(NULL AS varchar(64)) AS bsn_hash, "
            "CAST(floor(random() * 5000) AS int) AS n "
            f"FROM (SELECT g.*, random() AS s FROM ({_GRID}) g WHERE g.starts_at <= now()) g",
            days=past_days,
            starts=plan.slot_starts_min,
        )
        if grid < history:
            raise BenchError(f"{grid} past slots for {history} history appointments")
        lap("grid_s", mark)
        fill = history / grid if grid else 0.0
        off = history - int(
            conn.execute(
                text("SELECT count(*) FROM bench_past WHERE r < :fill"), {"fill": fill}
            ).scalar_one()
        )
        if off:
            _exec(
                conn,
                f"UPDATE bench_past SET r = {'0' if off > 0 else '2'} WHERE ctid IN "
                f"(SELECT ctid FROM bench_past WHERE r {'>=' if off > 0 else '<'} :fill "
                "LIMIT :k)",
                fill=fill,
                k=abs(off),
            )
        # Returning claimants: an earlier, closed claim with a completed intake at their
        # office (picked among a random subset of the completed history, per office).
        returning = 0
        if plan.returning:
            sample = min(fill, 40 * len(plan.returning) / max(grid, 1))
            returning = _exec(
                conn,
                "UPDATE bench_past h SET bsn_hash = r.bsn_hash "
                "FROM (SELECT bsn_hash, office_code, row_number() OVER "
                "(PARTITION BY office_code ORDER BY bsn_hash) AS k "
                "FROM unnest(CAST(:hashes AS text[]), CAST(:offices AS text[])) "
                "AS t(bsn_hash, office_code)) r, "
                "(SELECT slot_id, office_code, row_number() OVER "
                "(PARTITION BY office_code ORDER BY r) AS k FROM bench_past "
                "WHERE r < :sample AND status = 'completed') c "
                "WHERE h.slot_id = c.slot_id AND c.office_code = r.office_code AND c.k = r.k",
                hashes=[h for h, _ in plan.returning],
                offices=[o for _, o in plan.returning],
                sample=sample,
            )
        lap("history_pick_s", mark)
        before = _schema(conn)
        _strip(conn, _rebuilt(before))
        slots = _exec(
            conn,
            "INSERT INTO slots (id, coach_id, office_code, starts_at, ends_at, state) "
            f"SELECT slot_id, coach_id, office_code, starts_at, starts_at + {length}, 'open' "
            "FROM bench_past UNION ALL "
            f"SELECT slot_id, coach_id, office_code, starts_at, starts_at + {length}, 'open' "
            "FROM bench_future",
        )
        lap("slots_s", mark)
        claims = _exec(
            conn,
            "INSERT INTO claims (id, bsn_ciphertext, bsn_hash, status, given_name, family_name, "
            "date_of_birth, first_ww_day, postcode, office_code, channel, registered_by, "
            "registered_at, no_show_count) "
            "SELECT claim_id, decode(md5(claim_id::text), 'hex'), "
            "coalesce(bsn_hash, encode(sha256(convert_to(claim_id::text, 'UTF8')), 'hex')), "
            "CASE WHEN bsn_hash IS NOT NULL OR day < current_date - 92 THEN 'closed' "
            "ELSE 'open' END, 'Historic', 'Claimant' || n, "
            "date '1960-01-01' + 3 * n, day - 7, postcode, office_code, "
            "'staff', :by, starts_at - interval '4 days', "
            "CASE WHEN status = 'no_show' THEN 1 ELSE 0 END FROM bench_past WHERE r < :fill "
            "UNION ALL "
            "SELECT claim_id, decode(md5(claim_id::text), 'hex'), "
            "encode(sha256(convert_to(claim_id::text, 'UTF8')), 'hex'), 'open', 'Upcoming', "
            "'Claimant' || rank, date '1975-06-15', current_date - 3, postcode, office_code, "
            "'staff', :by, now() - interval '2 days', 0 FROM bench_future WHERE booked",
            by=SEED_SUBJECT,
            fill=fill,
        )
        lap("claims_s", mark)
        appointments = _exec(
            conn,
            "INSERT INTO appointments (id, claim_id, slot_id, coach_id, office_code, starts_at, "
            "ends_at, status, deadline, booked_at, reminder_sent_at, summoned) "
            f"SELECT appointment_id, claim_id, slot_id, coach_id, office_code, starts_at, "
            f"starts_at + {length}, status, day + 2, starts_at - interval '4 days', "
            "starts_at - interval '2 days', false FROM bench_past WHERE r < :fill "
            "UNION ALL "
            f"SELECT appointment_id, claim_id, slot_id, coach_id, office_code, starts_at, "
            f"starts_at + {length}, 'booked', day, now() - interval '2 days', NULL, false "
            "FROM bench_future WHERE booked",
            fill=fill,
        )
        lap("appointments_s", mark)
        if appointments != n:
            raise BenchError(f"seeded {appointments} appointments, wanted {n}")
        _restore(conn, _rebuilt(before))
        after = _schema(conn).signature()
        if after != before.signature():
            diff = sorted(set(after) ^ set(before.signature()))
            raise BenchError(f"the rebuilt indexes and constraints differ: {diff}")
        lap("indexes_constraints_s", mark)
    # VACUUM as autovacuum would have long done on a live database: statistics, hint bits
    # and the visibility map, so that autovacuum does not start during the load.
    run.execute(url, "VACUUM (ANALYZE)")
    lap("vacuum_analyze_s", mark)
    counts = {
        t: run.scalar(url, f"SELECT count(*) FROM {t}")
        for t in ("roster_coaches", "agenda_blocks", "slots", "claims", "appointments")
    }
    return {
        "appointments": n,
        "history": history,
        "upcoming": upcoming,
        "returning_claimants": returning,
        "past_working_days": len(past_days),
        "history_from": past_days[-1].isoformat(),
        "rows": counts,
        "inserted": {"slots": slots, "claims": claims, "appointments": appointments},
        "database_mb": round(
            run.scalar(url, "SELECT pg_database_size(current_database())") / 2**20, 1
        ),
        "timings": timings,
        "seed_s": round(time.monotonic() - t0, 1),
    }


def checkpoint(run: BenchRun) -> None:
    """Flush the bulk load's dirty buffers now, not during the measured segments."""
    try:
        run.execute(run.pg + "postgres", "CHECKPOINT")
    except Exception as exc:  # needs superuser or pg_checkpoint
        raise BenchError(f"CHECKPOINT failed: {exc}") from None


# Checking the outcome ---------------------------------------------------------------------


def outcome(run: BenchRun, url: str) -> dict[str, Any]:
    """What the bench's registrations became: booked, shortfall, unplanned (seeded rows excluded)."""
    mine = f"c.registered_by = '{BENCH_SUBJECT}'"
    booked = "appointments a JOIN claims c ON c.id = a.claim_id"
    earlier = (
        "JOIN claims c0 ON c0.bsn_hash = c.bsn_hash AND c0.id <> c.id "
        "JOIN appointments a0 ON a0.claim_id = c0.id AND a0.status = 'completed'"
    )
    row = run.rows(
        url,
        "SELECT "
        f"(SELECT count(*) FROM claims c WHERE {mine}), "
        f"(SELECT count(*) FROM {booked} WHERE {mine} AND a.status = 'booked'), "
        "(SELECT count(*) FROM capacity_shortfalls), "
        "(SELECT count(*) FROM unplanned_claims), "
        f"(SELECT count(*) FROM {booked} WHERE {mine} AND a.office_code <> c.office_code), "
        f"(SELECT count(*) FROM {booked} WHERE {mine} AND a.starts_at::date > a.deadline), "
        f"(SELECT count(DISTINCT c.id) FROM {booked} {earlier} WHERE {mine}), "
        f"(SELECT count(DISTINCT c.id) FROM {booked} {earlier} WHERE {mine} "
        "AND a0.coach_id = a.coach_id)",
    )[0]
    registered, n_booked, shortfalls, unplanned, elsewhere, late, back, known = (
        int(x) for x in row
    )
    return {
        "registered": registered,
        "booked": n_booked,
        "shortfalls": shortfalls,
        "unplanned": unplanned,
        "booked_at_a_neighbour": elsewhere,
        "booked_after_deadline": late,
        "returning_claimants": back,
        "returning_with_known_coach": known,
        "all_booked": registered == n_booked and shortfalls == 0 and unplanned == 0,
    }


def pg_sessions(run: BenchRun, url: str) -> int | None:
    """Sessions ever opened on a database (pg_stat_database; PostgreSQL 14+)."""
    try:
        value = run.scalar(
            run.pg + "postgres",
            "SELECT sessions FROM pg_stat_database WHERE datname = :db",
            db=url.rsplit("/", 1)[-1],
        )
    except Exception:
        return None
    return None if value is None else int(value)


# Profiling --------------------------------------------------------------------------------


# Frames of the process's main thread (the event loop), not of a request; the summary also
# leaves out the middlewares and routers that wrap every request.
_OUTER_FRAMES = {"<module>", "serve", "run_service"}


def start_profile(
    run: BenchRun, pid: int, seconds: float, tag: str
) -> tuple[subprocess.Popen[bytes], Path] | None:
    """py-spy record (GIL holder only) of a server for `seconds`; None without py-spy.

    The server is one Python process bound by the GIL, so the thread holding the GIL is
    where its CPU goes; without `--gil` the samples also count threads that wait for
    PostgreSQL or for the GIL. The collapsed stacks stay in var/bench/ after the run.
    """
    spy = shutil.which("py-spy") or str(REPO / ".venv" / "bin" / "py-spy")
    if not Path(spy).exists():
        return None
    out = REPO / "var" / "bench" / f"booking-pyspy-{run.run_id}-{tag}.txt"
    log = (run.log_dir / f"py-spy-{tag}.log").open("wb")
    proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
         "--rate", "100", "--gil", "--format", "raw", "--output", str(out), "--nonblocking"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    return proc, out


def summarise_profile(path: Path, top: int = 25) -> dict[str, Any]:
    """Inclusive share of samples per project function (intake/, shared/) in a raw profile."""
    if not path.exists():
        return {"error": "no profile written"}
    total = 0
    inclusive: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        seen: set[str] = set()
        for frame in stack.split(";"):
            name, _, where = frame.partition(" (")
            file = where.split(":", 1)[0]
            key = f"{name} ({file})"
            if (
                file.startswith(("intake/", "shared/"))
                and name not in _OUTER_FRAMES
                and not name.endswith("Middleware.__call__")
                and not file.endswith("router.py")
                and key not in seen
            ):
                seen.add(key)
                inclusive[key] += n
    return {
        "file": str(path.relative_to(REPO) if path.is_relative_to(REPO) else path),
        "mode": "py-spy record --gil (where the server's CPU goes)",
        "samples": total,
        "inclusive_pct": (
            {k: round(100 * v / total, 1) for k, v in inclusive.most_common(top)} if total else {}
        ),
    }


# The phase --------------------------------------------------------------------------------


def _reference_baseline(reference: dict[str, Any] | None) -> dict[str, Any] | None:
    if isinstance(reference, dict) and isinstance(reference.get("baseline"), dict):
        b = reference["baseline"]
        if b.get("rps"):
            return {"rps": b["rps"], "latency_ms": b["latency_ms"], "ok": b.get("ok")}
    return None


def run_booking(
    run: BenchRun,
    cfg: BookingConfig,
    rng: random.Random,
    *,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Seed a database per size, then measure registration with booking on each of them."""
    sizes = sorted(set(cfg.appointments))
    if not sizes:
        raise BenchError("no appointment sizes given")
    per_segment, warmups = segment_plan(cfg.requests, cfg.warmup, cfg.segments)
    bodies = claim_bodies(rng, sum(warmups) + per_segment * cfg.segments)
    # The service's BSN keys (dev keys in the run's state dir), to seed returning claimants.
    vault = BsnVault.from_settings(
        encryption_key_b64=None, hash_key_b64=None, dev_key_dir=run.state_dir
    )
    plan = make_plan(cfg, bodies, vault=vault, rng=rng, today=dt.date.today())

    dbs: dict[int, str] = {}
    seeded: dict[int, dict[str, Any]] = {}
    for n in sizes:
        dbs[n] = run.database("intake", f"book{size_tag(n)}")
        seeded[n] = seed(run, dbs[n], n, plan)
    checkpoint(run)

    baseline = _reference_baseline(reference)
    baseline_source = "registration phase of this run"
    b_proc: Proc | None = None
    b_url = ""
    if baseline is None:
        baseline_source = "measured in this phase (the registration phase did not run)"
        _, _, b_url, b_proc = start_baseline(run)

    token = Tokens(run.state_dir / "dev-jwt-key.pem").user("admin", sub=BENCH_SUBJECT)
    servers: dict[int, tuple[str, Proc]] = {}
    for n in sizes:
        port = free_port()
        env = service_env(
            "intake",
            state_dir=run.state_dir,
            database_url=dbs[n],
            kafka=run.kafka,
            topic_prefix=run.topic_prefix(f"b{size_tag(n)}"),
            port=port,
        )
        proc = run.procs.start(f"intake-book{size_tag(n)}", ["serve", "intake"], env)
        servers[n] = (f"http://127.0.0.1:{port}", proc)
    if b_proc is not None:
        healthy(b_url, b_proc)
    for url, proc in servers.values():
        healthy(url, proc)
    pids = [p.popen.pid for _, p in servers.values()] + ([b_proc.popen.pid] if b_proc else [])

    sides: list[tuple[str, str, str | None, Proc]] = []
    if b_proc is not None:
        sides.append(("baseline", b_url, None, b_proc))
    sides += [(size_tag(n), url, token, proc) for n, (url, proc) in servers.items()]
    segments: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in sides}
    sizes_by_tag = {size_tag(n): n for n in sizes}
    profile: dict[str, Any] | None = None
    start = 0
    for k in range(cfg.segments):
        chunk = bodies[start : start + warmups[k] + per_segment]
        start += len(chunk)
        chunk_file = run.dir / f"booking-bodies-{k}.json"
        chunk_file.write_text(json.dumps(chunk))
        for name, url, tok, proc in sides:
            quiet = settle(max_wait_s=cfg.settle_s, pids=pids)
            args = closed_args(
                url,
                chunk_file,
                client=cfg.client,
                concurrency=cfg.concurrency,
                warmup=warmups[k],
                pid=proc.popen.pid,
                token=tok,
            )
            spy = None
            if cfg.profile_s > 0 and k == cfg.segments - 1 and name == size_tag(sizes[-1]):
                spy = start_profile(run, proc.popen.pid, cfg.profile_s, name)
            db = dbs.get(sizes_by_tag.get(name, -1))
            s0 = pg_sessions(run, db) if db else None
            seg = run_loadgen(
                run, f"load-book-{name}-{k}", "closed", args, time_limit=cfg.time_limit_s
            )
            seg["before"] = quiet
            s1 = pg_sessions(run, db) if db else None
            if s0 is not None and s1 is not None:
                # New PostgreSQL connections during the segment (warm-up included): the
                # pool keeps 10, so a burst above 10 concurrent requests opens new ones.
                seg["pg_sessions_opened"] = s1 - s0
            segments[name].append(seg)
            if spy is not None:
                spy_proc, spy_out = spy
                try:
                    spy_proc.wait(cfg.profile_s + 30)
                except subprocess.TimeoutExpired:
                    spy_proc.kill()
                profile = summarise_profile(spy_out)
    run.stop(*(p for _, p in servers.values()), *([b_proc] if b_proc else []))

    if baseline is None:
        measured = combine(segments.pop("baseline"))
        baseline = {
            "rps": measured["rps"],
            "latency_ms": measured["latency_ms"],
            "ok": measured["ok"],
        }
        baseline_detail: dict[str, Any] | None = measured
    else:
        baseline_detail = None
    out_sizes: list[dict[str, Any]] = []
    for n in sizes:
        tag = size_tag(n)
        intake = combine(segments[tag])
        lat, blat = intake["latency_ms"], baseline["latency_ms"]
        entry: dict[str, Any] = {
            "appointments": n,
            "label": size_label(n),
            "seed": seeded[n],
            "intake": intake,
            "outcome": outcome(run, dbs[n]),
            "ratio_rps": ratio(intake["rps"], baseline["rps"]),
        }
        for q in ("p50", "p95", "p99"):
            entry[f"ratio_{q}"] = ratio(lat.get(q), blat.get(q))
        out_sizes.append(entry)
    small, large = out_sizes[0], out_sizes[-1]
    flat = {
        "from": small["appointments"],
        "to": large["appointments"],
        "label": f"{large['label']} / {small['label']}",
        "ratio_rps": ratio(large["intake"]["rps"], small["intake"]["rps"]),
    }
    for q in ("p50", "p95", "p99"):
        flat[f"ratio_{q}"] = ratio(
            large["intake"]["latency_ms"].get(q), small["intake"]["latency_ms"].get(q)
        )
    result: dict[str, Any] = {
        "config": asdict(cfg),
        "baseline_source": baseline_source,
        "baseline": baseline,
        "plan": {
            "coaches": len(plan.coaches),
            "slots_per_coach_per_day": len(plan.slot_starts_min),
            "horizon_end": plan.horizon_end.isoformat(),
            "returning_claimants_in_load": len(plan.returning),
            "load_per_office": plan.demand,
        },
        "sizes": out_sizes,
        "flatness": flat,
    }
    if baseline_detail is not None:
        result["baseline_measured"] = baseline_detail
    if profile is not None:
        result["profile"] = profile
    return result
