"""`python -m bench`: every figure as a ratio against a baseline measured in the same run.

1. Registration throughput: POST /v1/claims on `ww serve intake` vs a bare FastAPI +
   SQLAlchemy insert endpoint (bench/baseline_app.py), same uvicorn settings, same client.
1b. Registration with booking (`booking`): the same load on intake databases seeded with
   agendas, free slots and 10k / 1M existing appointments (bench/booking.py); throughput
   and p50/p95/p99 as ratios to the bare-insert baseline of figure 1, and 1M / 10k.
1c. Triage scoring (`triage`): one claimant in-process (`model.score` + `hindering`) vs a
   NumPy dot product of the same model; PUT questionnaire on `ww serve triage` vs the
   bare-insert baseline of figure 1; batch scoring claimants/s (`triage.batch`) vs plain
   NumPy on the same claimants (bench/triage.py).
2. Event throughput: outbox -> `ww relay intake` -> Kafka -> `ww consume coaching` vs raw
   kafka-python produce -> consume on the same broker.
3. End-to-end latency: all four services (`ww run`) at steady open-loop rates (5 and 20
   registrations/s), POST sent -> claim.registered applied in coaching, vs raw
   produce -> consume at the same rate.
4. Coaching (`coaching`): a coach's caseload query (GET /v1/cases on `ww serve coaching`)
   at 10k / 100k / 500k cases vs a bare SELECT endpoint on the same databases, and
   500k / 10k; assignment throughput (`maybe_assign` on PostgreSQL) in cases/s vs the
   pure rules, and the max/mean load ratio of 10,000 cases to 80 coaches
   (bench/coaching.py).
5. Starters (`starters`): monthly benefit schedules for 100k claimants per second
   (`starters.rules.schedule.monthly_schedule`) vs a straight-line computation of the same
   formula in the same run, and their agreement (bench/starters.py).
6. Partner API (`partner`): candidate search (GET /partner/v1/candidates on `ww serve
   coaching`) p50/p99 and throughput with 500k consenting claimants (and 50k for
   flatness) vs a bare SELECT endpoint on partner_profiles on the same databases;
   placement reporting (POST /partner/v1/placements) placements/s vs a bare insert of a
   placement-like row (bench/partner.py).
7. Messages (`messages`): e-mails sent per second by `intake.messages.sending.send_due`
   (the shared delivery mechanism: claim, hand-over and record commits per message) to a
   local aiosmtpd sink in its own process, vs a bare smtplib loop sending the same
   composed messages over one connection to the same server; every message checked to
   arrive exactly once (bench/messages.py).
8. Web (`web`): page render p50/p99 of the coach's caseload with 500 cases and of the
   claimant page (the web as `ww web` runs it, the services on PostgreSQL and Kafka), vs
   the sum of the backend calls each page makes, replayed directly (bench/web.py).

Needs WW_TEST_PG_URL and WW_TEST_KAFKA (scripts/bench.sh sets them). Prints a table and
writes var/bench/results.json. Nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.booking import BookingConfig, run_booking
from bench.coaching import CoachingConfig, run_coaching
from bench.e2e import E2EConfig, run_e2e
from bench.events import EventsConfig, run_events
from bench.infra import BenchRun
from bench.messages import MessagesConfig, run_messages
from bench.messages import details as messages_details
from bench.messages import summary as messages_summary
from bench.partner import MIXES, PartnerConfig, run_partner
from bench.registration import RegistrationConfig, run_registration
from bench.starters import StartersConfig, run_starters
from bench.triage import TriageConfig, run_triage
from bench.web import WebConfig, run_web
from bench.web import details as web_details
from bench.web import summary as web_summary
from tests.support.system import REPO

PHASES = (
    "registration",
    "booking",
    "triage",
    "events",
    "e2e",
    "coaching",
    "starters",
    "partner",
    "messages",
    "web",
)
console = Console()


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_info(run: BenchRun) -> dict[str, Any]:
    """What the figures were measured on."""
    mem_kib = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(len(os.sched_getaffinity(0)))
    pg: dict[str, Any] = {}
    try:
        pg = {
            row[0]: row[1]
            for row in run.rows(
                run.pg + "postgres",
                "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', "
                "'synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level')",
            )
        }
    except Exception as exc:
        pg = {"error": str(exc)}
    jars = sorted((REPO / "deploy/local/.cache/kafka-libs").glob("kafka_2.13-*.jar"))
    kafka_version = (
        jars[-1].name.removeprefix("kafka_2.13-").removesuffix(".jar") if jars else "unknown"
    )

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True
            ).stdout.strip()
        except OSError:
            return ""

    return {
        "nproc": nproc,
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg,
        "kafka": {
            "version": kafka_version,
            "source": "deploy/local jar cache",
            "bootstrap": run.kafka,
        },
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _ratio(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.2g}x" if 0 < abs(value) < 0.01 else f"{value:.2f}x"


def summary_rows(phases: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures: figure, unit, system, baseline, ratio, which way is better."""
    rows: list[dict[str, Any]] = []

    def add(figure: str, unit: str, system: Any, baseline: Any, ratio: Any, better: str) -> None:
        rows.append(
            {
                "figure": figure,
                "unit": unit,
                "system": system,
                "baseline": baseline,
                "ratio": ratio,
                "better": better,
            }
        )

    reg = phases.get("registration")
    if isinstance(reg, dict) and "intake" in reg:
        i, b = reg["intake"], reg["baseline"]
        add("Registration throughput", "req/s", i["rps"], b["rps"], reg["ratio_rps"], "higher")
        for q in ("p50", "p95"):
            add(
                f"Registration latency {q}",
                "ms",
                i["latency_ms"][q],
                b["latency_ms"][q],
                reg[f"ratio_{q}"],
                "lower",
            )
    book = phases.get("booking")
    if isinstance(book, dict) and "sizes" in book:
        b = book["baseline"]
        for size in book["sizes"]:
            i, at = size["intake"], f"{size['label']} appts"
            add(
                f"Booking throughput @ {at}",
                "req/s",
                i["rps"],
                b["rps"],
                size["ratio_rps"],
                "higher",
            )
            for q in ("p50", "p95", "p99"):
                add(
                    f"Booking latency {q} @ {at}",
                    "ms",
                    i["latency_ms"].get(q),
                    b["latency_ms"].get(q),
                    size[f"ratio_{q}"],
                    "lower",
                )
        flat, small, large = book["flatness"], book["sizes"][0], book["sizes"][-1]
        if large is not small:
            li, si = large["intake"], small["intake"]
            add(
                f"Booking flatness: throughput {flat['label']}",
                "req/s",
                li["rps"],
                si["rps"],
                flat["ratio_rps"],
                "flat",
            )
            add(
                f"Booking flatness: p99 {flat['label']}",
                "ms",
                li["latency_ms"].get("p99"),
                si["latency_ms"].get("p99"),
                flat["ratio_p99"],
                "flat",
            )
    tri = phases.get("triage")
    if isinstance(tri, dict):
        triage_summary(tri, add)
    co = phases.get("coaching")
    if isinstance(co, dict):
        coaching_summary(co, add)
    pa = phases.get("partner")
    if isinstance(pa, dict):
        partner_summary(pa, add)
    ms = phases.get("messages")
    if isinstance(ms, dict) and "ratio" in ms:
        messages_summary(ms, add)
    wb = phases.get("web")
    if isinstance(wb, dict) and "pages" in wb:
        web_summary(wb, add)
    st = phases.get("starters")
    if isinstance(st, dict) and "ratio" in st:
        add(
            f"Starters benefit schedules ({st['claimants']:,} claimants, vs straight line)",
            "schedules/s",
            st["service"]["schedules_per_s"],
            st["straight_line"]["schedules_per_s"],
            st["ratio"],
            "higher",
        )
    ev = phases.get("events")
    if isinstance(ev, dict) and "pipeline" in ev:
        p, b = ev["pipeline"], ev["baseline"]
        add(
            "Event throughput",
            "events/s",
            p["events_per_s"],
            b["events_per_s"],
            ev["ratio"],
            "higher",
        )
    e2e = phases.get("e2e")
    if isinstance(e2e, dict) and "rates" in e2e:
        for at in e2e["rates"]:
            for q in ("p50", "p95", "p99", "max"):
                add(
                    f"End-to-end latency {q} @ {at['rate']:g}/s",
                    "ms",
                    at["system"]["latency_ms"].get(q),
                    at["baseline"]["latency_ms"].get(q),
                    at["ratios"][q],
                    "lower",
                )
    return rows


def triage_summary(tri: dict[str, Any], add: Callable[..., None]) -> None:
    """Headline rows of the triage phase (each part only if it was measured)."""
    ip = tri.get("in_process")
    if isinstance(ip, dict):
        s, b = ip["latency_us"]["service"], ip["latency_us"]["numpy"]
        for q in ("p50", "p99"):
            add(
                f"Triage score in-process {q} (score + hindering vs NumPy dot)",
                "µs",
                s.get(q),
                b.get(q),
                ip[f"ratio_{q}"],
                "lower",
            )
    api = tri.get("api")
    if isinstance(api, dict):
        t, b = api["triage"], api["baseline"]
        add(
            "Triage PUT questionnaire throughput",
            "req/s",
            t["rps"],
            b["rps"],
            api["ratio_rps"],
            "higher",
        )
        for q in ("p50", "p99"):
            add(
                f"Triage PUT questionnaire latency {q}",
                "ms",
                t["latency_ms"].get(q),
                b["latency_ms"].get(q),
                api[f"ratio_{q}"],
                "lower",
            )
    bt = tri.get("batch")
    if isinstance(bt, dict):
        add(
            f"Triage batch scoring ({bt['claimants']:,} claimants, vs NumPy)",
            "claimants/s",
            bt["service"]["claimants_per_s"],
            bt["numpy"]["claimants_per_s"],
            bt["ratio"],
            "higher",
        )
        vp = bt.get("vectorised_probabilities")
        if isinstance(vp, dict):
            add(
                "Triage vectorised decision (p + segment, from answers), vs NumPy incl. encoding",
                "claimants/s",
                vp["claimants_per_s"],
                bt["numpy_with_encoding_claimants_per_s"],
                vp["ratio_to_numpy_with_encoding"],
                "higher",
            )


def coaching_summary(co: dict[str, Any], add: Callable[..., None]) -> None:
    """Headline rows of the coaching phase (each part only if it was measured)."""
    cl = co.get("caseload")
    if isinstance(cl, dict):
        for size in cl["sizes"]:
            lat, thr, r, at = size["latency"], size["throughput"], size["ratios"], size["label"]
            s, ss, b = (lat[k]["latency_ms"] for k in ("service", "service_sorted", "baseline"))
            for q in ("p50", "p99"):
                add(
                    f"Caseload GET /v1/cases?limit=50 {q} @ {at} cases (1 connection)",
                    "ms",
                    s.get(q),
                    b.get(q),
                    r[q],
                    "lower",
                )
            add(
                f"Caseload open, sort -weeks_in_ww p99 @ {at} cases",
                "ms",
                ss.get("p99"),
                b.get("p99"),
                r["sorted_p99"],
                "lower",
            )
            add(
                f"Caseload throughput @ {at} cases",
                "req/s",
                thr["service"]["rps"],
                thr["baseline"]["rps"],
                r["rps"],
                "higher",
            )
        flat, small, large = cl["flatness"], cl["sizes"][0], cl["sizes"][-1]
        if large is not small:
            for side, key, what in (
                ("service", "p99", "p99"),
                ("service_sorted", "sorted_p99", "sorted p99"),
                ("baseline", "baseline_p99", "baseline p99"),
            ):
                add(
                    f"Caseload flatness: {what} {flat['label']}",
                    "ms",
                    large["latency"][side]["latency_ms"].get("p99"),
                    small["latency"][side]["latency_ms"].get("p99"),
                    flat[key],
                    "flat",
                )
            add(
                f"Caseload flatness: throughput {flat['label']}",
                "req/s",
                large["throughput"]["service"]["rps"],
                small["throughput"]["service"]["rps"],
                flat["rps"],
                "flat",
            )
    asg = co.get("assignment")
    if isinstance(asg, dict):
        sv, same = asg["service"], asg["pure_same_cases"]
        add(
            "Assignment maybe_assign, 1 unit of work per case (vs pure assign, same order)",
            "cases/s",
            sv["per_case_uow"]["cases_per_s"],
            same["sequential_assign_cases_per_s"],
            asg["ratios"]["per_case_uow_vs_sequential_assign"],
            "higher",
        )
        add(
            f"Assignment maybe_assign, {sv['batched_uow']['batch']} per unit of work "
            "(vs pure assign, same order)",
            "cases/s",
            sv["batched_uow"]["cases_per_s"],
            same["sequential_assign_cases_per_s"],
            asg["ratios"]["batched_uow_vs_sequential_assign"],
            "higher",
        )
        pb = asg["pure_balance"]
        add(
            f"Assignment assign_many {pb['cases']:,} cases / {pb['coaches']} coaches (pure)",
            "cases/s",
            pb["cases_per_s"],
            None,
            None,
            "higher",
        )
        add(
            f"Assignment balance max/mean relative load, {pb['cases']:,} cases (pure; <= 1.10)",
            "ratio",
            pb["max_over_mean"],
            None,
            None,
            "lower",
        )
        add(
            "Assignment balance max/mean relative load, service run (final loads)",
            "ratio",
            sv["final_load"]["max_over_mean"],
            None,
            None,
            "lower",
        )


def partner_summary(pa: dict[str, Any], add: Callable[..., None]) -> None:
    """Headline rows of the partner phase (each part only if it was measured)."""
    se = pa.get("search")
    if isinstance(se, dict):
        for size in se["sizes"]:
            lat, r, at = size["latency"], size["ratios"], size["label"]
            for mix in ("pooled", *MIXES):
                s, b = lat[mix]["service"]["latency_ms"], lat[mix]["baseline"]["latency_ms"]
                for q in ("p50", "p99") if mix == "pooled" else ("p99",):
                    add(
                        f"Partner search {mix} {q} @ {at} claimants (1 connection)",
                        "ms",
                        s.get(q),
                        b.get(q),
                        r[mix][q],
                        "lower",
                    )
            thr = size["throughput"]["all"]
            for side, key, what in (
                ("service", "rps", "1 client"),
                ("service_16_clients", "rps_16_clients", "16 clients"),
            ):
                add(
                    f"Partner search throughput @ {at} claimants ({what}, 16 connections)",
                    "req/s",
                    thr[side]["rps"],
                    thr["baseline"]["rps"],
                    r[key],
                    "higher",
                )
        flat, small, large = se["flatness"], se["sizes"][0], se["sizes"][-1]
        if large is not small:
            add(
                f"Partner search flatness: pooled p99 {flat['label']}",
                "ms",
                large["latency"]["pooled"]["service"]["latency_ms"].get("p99"),
                small["latency"]["pooled"]["service"]["latency_ms"].get("p99"),
                flat["pooled_service_p99"],
                "flat",
            )
            add(
                f"Partner search flatness: throughput {flat['label']}",
                "req/s",
                large["throughput"]["all"]["service"]["rps"],
                small["throughput"]["all"]["service"]["rps"],
                flat["rps_service"],
                "flat",
            )
    pl = pa.get("placements")
    if isinstance(pl, dict):
        s, b, at = pl["service"], pl["baseline"], f"{pl['claimants']:,}"
        add(
            f"Partner placements POST throughput @ {at} claimants (16 connections)",
            "placements/s",
            s["rps"],
            b["rps"],
            pl["ratios"]["rps"],
            "higher",
        )
        for q in ("p50", "p99"):
            add(
                f"Partner placements POST latency {q} (16 connections)",
                "ms",
                s["latency_ms"].get(q),
                b["latency_ms"].get(q),
                pl["ratios"][q],
                "lower",
            )


def partner_details(pa: dict[str, Any]) -> list[tuple[str, str]]:
    """Detail rows of the partner phase: seed, plans, outcome."""
    out: list[tuple[str, str]] = []
    for tag, sd in (pa.get("seed") or {}).items():
        t = sd["timings"]
        out.append(
            (
                f"partner seed {tag}",
                f"{sd['rows']['searchable']:,} searchable of {sd['rows']['profiles']:,} "
                f"profiles ({sd['rows']['named']:,} named); {sd['database_mb']} MB "
                f"(partner_profiles {sd['profiles_table_mb']} MB); seeded in {sd['seed_s']}s "
                f"(cases {t.get('cases_s')}s, profiles {t.get('profiles_s')}s, indexes "
                f"{t.get('indexes_s')}s, vacuum {t.get('vacuum_analyze_s')}s)",
            )
        )
    ex = pa.get("explain")
    if isinstance(ex, dict):
        for mix in MIXES:
            e = ex.get(mix)
            if isinstance(e, dict):
                out.append(
                    (
                        f"partner EXPLAIN {mix} @ {ex['claimants']:,}",
                        f"service {', '.join(e['service_indexes']) or 'NO INDEX'}"
                        f"{' (bitmap/sort)' if e['service_bitmap_or_sort'] else ''}"
                        f"{' SEQ SCAN' if e['service_seq_scan'] else ''}; ms "
                        f"{e['service_execution_ms']}; baseline "
                        f"{', '.join(e['baseline_indexes']) or 'NO INDEX'}; ms "
                        f"{e['baseline_execution_ms']}",
                    )
                )
    pl = pa.get("placements")
    if isinstance(pl, dict):
        out.append(
            (
                "partner placements outcome",
                ", ".join(f"{k} {v}" for k, v in pl["outcome"].items())
                + f"; service statuses {pl['service']['statuses']}; baseline statuses "
                f"{pl['baseline']['statuses']}",
            )
        )
    return out


def coaching_details(co: dict[str, Any]) -> list[tuple[str, str]]:
    """Detail rows of the coaching phase."""
    out: list[tuple[str, str]] = []
    cl = co.get("caseload")
    if isinstance(cl, dict):
        for size in cl["sizes"]:
            sd, chk = size["seed"], size["check"]
            lat = size["latency"]
            out.append(
                (
                    f"coaching caseload @ {size['label']}",
                    f"{sd['rows']['cases']:,} cases ({sd['rows']['open']:,} open, "
                    f"{sd['rows']['with_coach']:,} with a coach, {sd['rows']['digital']:,} "
                    f"digital), {sd['coaches']:,} coaches; coach {size['coach_id'][:8]} has "
                    f"{sd['rows']['measured_coach_cases']} cases "
                    f"({sd['rows']['measured_coach_open']} open); {sd['database_mb']} MB; "
                    f"seeded in {sd['seed_s']}s; pages ok "
                    f"{all(c['ok'] for c in chk.values())}; p50/p99 ms service "
                    f"{lat['service']['latency_ms'].get('p50')}/"
                    f"{lat['service']['latency_ms'].get('p99')}, sorted "
                    f"{lat['service_sorted']['latency_ms'].get('p50')}/"
                    f"{lat['service_sorted']['latency_ms'].get('p99')}, baseline "
                    f"{lat['baseline']['latency_ms'].get('p50')}/"
                    f"{lat['baseline']['latency_ms'].get('p99')}; {size['audit_rows']:,} audit "
                    "rows; background before "
                    + ", ".join(
                        str(s["before"]["background_busy_cores"])
                        for s in lat["service"]["segments"]
                    ),
                )
            )
        ex = cl.get("explain")
        if isinstance(ex, dict):
            parts = []
            for name in ("default", "sorted", "baseline"):
                for q in ex.get(name, []):
                    kind = "count" if "count(" in q["sql"] else "page"
                    parts.append(
                        f"{name} {kind}: {', '.join(q['indexes']) or 'NO INDEX'}"
                        + (" (bitmap)" if q.get("bitmap_scan") else "")
                        + (" + sort" if q.get("sorts") else "")
                        + (" + SEQ SCAN" if q["seq_scan_on_cases"] else "")
                        + f" ({q['execution_ms']} ms)"
                    )
            out.append(
                (
                    f"coaching EXPLAIN @ {size_label_of(ex['cases'])}",
                    f"service uses an index: {ex['service_uses_index']}; its page query reads "
                    "ix_cases_coach_opened in order (no sort): "
                    f"{ex.get('service_page_reads_index_in_order')}; " + "; ".join(parts),
                )
            )
    asg = co.get("assignment")
    if isinstance(asg, dict):
        sv, pb, same = asg["service"], asg["pure_balance"], asg["pure_same_cases"]
        out.append(
            (
                "coaching assignment",
                f"{sv['coaches']} coaches in {sv['offices']} offices, "
                f"{sv['preloaded_open_cases']:,} open cases before; "
                f"{sv['per_case_uow']['cases']:,} cases one per unit of work "
                f"({sv['per_case_uow']['ms_per_case']} ms each, "
                f"{sv['per_case_uow'].get('python_cpu_ms_per_case')} ms Python CPU), "
                f"{sv['batched_uow']['cases']:,} in units of {sv['batched_uow']['batch']} "
                f"({sv['batched_uow']['ms_per_case']} ms each, "
                f"{sv['batched_uow'].get('python_cpu_ms_per_case')} ms Python CPU); "
                f"outcomes {sv['outcomes']}; "
                f"same decisions as pure `assign` in order: "
                f"{sv['same_decisions_as_pure_sequential']} ({sv['mismatches']} differ); "
                f"max/mean final {sv['final_load']['max_over_mean']} (worst office "
                f"{sv['final_load']['worst_office_max_over_mean']}), of the run's own cases "
                f"{sv['gained_load']['max_over_mean']}; pure assign_many on the same cases "
                f"{_fmt(same['assign_many_cases_per_s'])}/s; pure balance run "
                f"{pb['cases']:,} cases: max/mean {pb['max_over_mean']} (worst office "
                f"{pb['worst_office_max_over_mean']}), {pb['unassigned']} unassigned, "
                f"rules {pb['rules']}",
            )
        )
    return out


def size_label_of(n: int) -> str:
    """10000 -> '10k' (the booking phase's labels)."""
    from bench.booking import size_label

    return size_label(n)


def triage_details(tri: dict[str, Any]) -> list[tuple[str, str]]:
    """Detail rows of the triage phase."""
    out: list[tuple[str, str]] = []
    ip = tri.get("in_process")
    if isinstance(ip, dict):
        lat = ip["latency_us"]
        out.append(
            (
                "triage in-process",
                f"{ip['calls']:,} calls per side after {ip['warmup']:,} warm-up, "
                f"{ip['features']} features / {ip['design_columns']} design columns; "
                "mean / p50 / p99 µs: "
                + "; ".join(
                    f"{k} {v.get('mean')} / {v.get('p50')} / {v.get('p99')}" for k, v in lat.items()
                )
                + f"; mean ratio {_ratio(ip.get('ratio_mean'))}; max |Δp| "
                f"{ip['max_abs_diff_probability']:.1e}; background before "
                + ", ".join(str(r["background_busy_cores"]) for r in ip["rounds_before"]),
            )
        )
    api = tri.get("api")
    if isinstance(api, dict):
        t, rows = api["triage"], api["triage"]["rows"]
        segs = t["segments"]
        out.append(
            (
                "triage API",
                f"{t['ok']}/{t['requests']} x 200 in {t['elapsed_s']:.2f}s; p95 "
                f"{t['latency_ms'].get('p95')} ms; req/s per segment "
                + ", ".join(f"{s['rps']:.0f}" for s in segs)
                + "; server cores "
                + ", ".join(str(c) for c in api["server_cores"])
                + "; server CPU ms/req "
                + ", ".join(str(c) for c in t["server_cpu_ms_per_request"])
                + "; background before "
                + ", ".join(str(s["before"]["background_busy_cores"]) for s in segs)
                + f"; baseline {api['baseline']['rps']:.1f} req/s, {api['baseline_source']}",
            )
        )
        out.append(
            (
                "triage API rows",
                f"{rows['claims']} claims (claim.registered via the consumer path in "
                f"{api['claims_setup']['seconds']}s), {rows['questionnaire_responses']} answer "
                f"sets, {rows['model_scores']} model scores + {rows['provisional_scores']} "
                f"provisional, {rows['outbox']} outbox, {rows['audit_log']} audit; stored vs "
                f"core max |Δp| {_fmt(api['stored_vs_core_max_abs_diff'])} over "
                f"{api['stored_checked']}",
            )
        )
    bt = tri.get("batch")
    if isinstance(bt, dict):
        sv, pp, npy, enc = (
            bt["service"],
            bt["service_pure_python"],
            bt["numpy"],
            bt["numpy_encoding"],
        )
        out.append(
            (
                "triage batch",
                f"{bt['claimants']:,} claimants in chunks of {bt['chunk_size']}: "
                f"score_many ({sv['path']}) {sv['seconds']}s = {sv['us_per_claimant']} µs each; "
                f"pure-Python path {_fmt(pp['claimants_per_s'])}/s vs NumPy path "
                f"{_fmt(pp['numpy_path_claimants_per_s_same_claimants'])}/s on the same "
                f"{pp['claimants']:,}; "
                f"NumPy {npy['ns_per_claimant']} ns each (median of {npy['repeats']}); "
                f"encoding (design_row) {enc['us_per_claimant']} µs each -> NumPy incl. "
                f"encoding {_fmt(bt['numpy_with_encoding_claimants_per_s'])}/s, ratio "
                f"{_ratio(bt['ratio_to_numpy_with_encoding'])}; max |Δp| "
                f"{bt['max_abs_diff_probability']:.1e}; {bt['segment_mismatches']} segment "
                f"mismatches ({bt['segment_mismatches_off_threshold']} off the threshold; "
                f"{bt['at_threshold']} claimants at p = threshold exactly); background before "
                f"{bt['before']['background_busy_cores']}",
            )
        )
    return out


def detail_rows(phases: dict[str, Any]) -> list[tuple[str, str]]:
    """What explains the figures: CPU use, stages, background load, completeness."""
    out: list[tuple[str, str]] = []
    reg = phases.get("registration", {})
    if "intake" in reg:
        for name in ("intake", "baseline"):
            d = reg[name]
            segs = d["segments"]
            out.append(
                (
                    f"registration {name}",
                    f"{d['ok']}/{d['requests']} x 201 in {d['elapsed_s']:.2f}s; p99 "
                    f"{d['latency_ms']['p99']} ms; req/s per segment "
                    + ", ".join(f"{s['rps']:.0f}" for s in segs)
                    + "; server cores "
                    + ", ".join(str(s["cpu"].get("server_cores")) for s in segs)
                    + "; client CPU ms/req "
                    + ", ".join(str(s["cpu"].get("client_cpu_ms_per_request")) for s in segs)
                    + "; background before "
                    + ", ".join(str(s["before"]["background_busy_cores"]) for s in segs),
                )
            )
    out.extend(booking_details(phases.get("booking", {})))
    tri = phases.get("triage")
    if isinstance(tri, dict):
        out.extend(triage_details(tri))
    co = phases.get("coaching")
    if isinstance(co, dict):
        out.extend(coaching_details(co))
    pa = phases.get("partner")
    if isinstance(pa, dict):
        out.extend(partner_details(pa))
    ms = phases.get("messages")
    if isinstance(ms, dict) and "system" in ms:
        out.extend(messages_details(ms))
    wb = phases.get("web")
    if isinstance(wb, dict) and "pages" in wb:
        out.extend(web_details(wb))
    ev = phases.get("events", {})
    if "pipeline" in ev:
        p, b = ev["pipeline"], ev["baseline"]
        out.append(
            (
                "events pipeline",
                f"{p['processed']}/{p['events']} in {p['elapsed_s']}s; events/s per segment "
                + ", ".join(f"{s['events_per_s']:.0f}" for s in p["segments"])
                + f"; relay alone {_fmt(p.get('relay_events_per_s'))} events/s; cores "
                + "; ".join(str(s["cpu"]) for s in p["segments"]),
            )
        )
        out.append(
            (
                "events raw kafka",
                f"{b['received']}/{b['events']} x {b['message_bytes']} B in {b['elapsed_s']}s; "
                "events/s per segment "
                + ", ".join(f"{s['events_per_s']:.0f}" for s in b["segments"]),
            )
        )
    for at in phases.get("e2e", {}).get("rates", []):
        s, b = at["system"], at["baseline"]
        out.append(
            (
                f"e2e @ {at['rate']:g}/s",
                f"{s['ok']}/{s['scheduled']} x 201, {s['not_in_coaching']} not in coaching; "
                f"API p50/p95 {s['api_ms'].get('p50')}/{s['api_ms'].get('p95')} ms; "
                f"201->coaching p50/p95 {s['after_201_ms'].get('p50')}/"
                f"{s['after_201_ms'].get('p95')} ms; p50 by third {s['latency_p50_by_third_ms']}; "
                f"generator lag max {s['send_lag_ms'].get('max')} ms; cores {s['cpu']}; "
                f"background before {s['before']['background_busy_cores']}",
            )
        )
        out.append((f"raw kafka @ {at['rate']:g}/s", f"{b['received']}/{b['sent']} received"))
    return out


def booking_details(book: dict[str, Any]) -> list[tuple[str, str]]:
    """Detail rows of the booking phase: load, outcome, seed, profile."""
    if "sizes" not in book:
        return []
    plan, base = book["plan"], book["baseline"]
    out = [
        (
            "booking baseline",
            f"{base['rps']:.1f} req/s, {book['baseline_source']}; seeded roster "
            f"{plan['coaches']} coaches, slots until {plan['horizon_end']}; "
            f"{plan['returning_claimants_in_load']} returning claimants in the load",
        )
    ]
    for size in book["sizes"]:
        d, sd, oc = size["intake"], size["seed"], size["outcome"]
        segs = d["segments"]

        def each(key: str, segs: list[dict[str, Any]] = segs) -> str:
            return ", ".join(str(s["cpu"].get(key)) for s in segs)

        out.append(
            (
                f"booking @ {size['label']}",
                f"{d['ok']}/{d['requests']} x 201 in {d['elapsed_s']:.2f}s; p99 "
                f"{d['latency_ms'].get('p99')} ms; req/s per segment "
                + ", ".join(f"{s['rps']:.0f}" for s in segs)
                + f"; server cores {each('server_cores')}; machine cores "
                + each("machine_busy_cores")
                + "; new PG connections "
                + ", ".join(str(s.get("pg_sessions_opened", "-")) for s in segs)
                + "; background before "
                + ", ".join(str(s["before"]["background_busy_cores"]) for s in segs),
            )
        )
        out.append(
            (
                f"booking @ {size['label']} outcome",
                f"{oc['booked']}/{oc['registered']} registrations booked, "
                f"{oc['shortfalls']} shortfalls, {oc['unplanned']} unplanned, "
                f"{oc['booked_after_deadline']} after the deadline, "
                f"{oc['booked_at_a_neighbour']} at a neighbour office; "
                f"{oc['returning_with_known_coach']}/{oc['returning_claimants']} returning "
                "claimants with the coach they met"
                + ("" if oc["all_booked"] else " [NOT ALL BOOKED: see results.json]"),
            )
        )
        t = sd["timings"]
        out.append(
            (
                f"booking @ {size['label']} seed",
                f"{sd['history']:,} past + {sd['upcoming']:,} upcoming appointments since "
                f"{sd['history_from']}, {sd['rows']['slots']:,} slots, "
                f"{sd['rows']['claims']:,} claims; {sd['database_mb']} MB; seeded in "
                f"{sd['seed_s']}s (rows {t.get('slots_s', 0) + t.get('claims_s', 0) + t.get('appointments_s', 0):.1f}s, "
                f"indexes {t.get('indexes_constraints_s')}s, vacuum {t.get('vacuum_analyze_s')}s)",
            )
        )
    prof = book.get("profile")
    if isinstance(prof, dict) and prof.get("inclusive_pct"):
        top = list(prof["inclusive_pct"].items())[:14]
        out.append(
            (
                "booking profile",
                f"{prof['file']} ({prof['samples']} GIL samples): "
                + "; ".join(f"{k} {v}%" for k, v in top),
            )
        )
    elif isinstance(prof, dict):
        out.append(("booking profile", str(prof.get("error"))))
    return out


def disturbed(node: Any, path: str = "") -> list[str]:
    """Segments that started while foreign load was above the settle threshold."""
    out: list[str] = []
    if isinstance(node, dict):
        before = node.get("before")
        if isinstance(before, dict) and (before.get("background_busy_cores") or 0) > 0.4:
            out.append(f"{path or '/'}: {before['background_busy_cores']} cores")
        for k, v in node.items():
            if k != "before":
                out.extend(disturbed(v, f"{path}/{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(disturbed(v, f"{path}/{i}"))
    return out


def print_report(results: dict[str, Any]) -> None:
    """The headline table and the details that explain it."""
    table = Table(title="WW bench: each figure against a baseline measured in this run")
    for col, justify in (
        ("figure", "left"),
        ("system", "right"),
        ("baseline", "right"),
        ("ratio", "right"),
        ("", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in results["summary"]:
        table.add_row(
            f"{r['figure']} [{r['unit']}]",
            _fmt(r["system"]),
            _fmt(r["baseline"]),
            _ratio(r["ratio"]),
            "1.0 = flat" if r["better"] == "flat" else f"{r['better']} is better",
        )
    console.print(table)
    console.print(
        "system: intake API | triage | relay+consumer | all four services.  baseline: bare "
        "FastAPI+SQLAlchemy insert | plain NumPy (triage in-process, batch) | raw kafka-python "
        "produce->consume.  ratio = system / baseline.  Booking flatness rows: system = the "
        "largest size, baseline = the smallest.  Coaching: caseload vs a bare SELECT endpoint "
        "on the same database; assignment vs the pure rules on the same cases.  Partner: "
        "search and placements vs a bare SELECT / INSERT endpoint on the same database.  "
        "Messages: send_due vs a bare smtplib loop to the same SMTP sink"
    )
    details = Table(title="details", show_header=False)
    details.add_column("what")
    details.add_column("value")
    for what, value in detail_rows(results["phases"]):
        details.add_row(what, value)
    console.print(details)
    if results.get("disturbed"):
        console.print(
            "[yellow]foreign load above 0.4 cores when these segments started[/yellow] "
            "(the machine is shared; compare with a quieter run): "
            + "; ".join(results["disturbed"])
        )
    for name, value in results["phases"].items():
        if isinstance(value, dict) and "error" in value:
            console.print(f"[red]{name} failed[/red]: {value['error']}")
    console.print(
        f"total wall time {results['wall_time_s']:.1f}s; results in {results['json_path']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", default=",".join(PHASES), help="comma-separated phases")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--requests", type=int, default=2000, help="timed POSTs per side")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--client", choices=["stdlib", "httpx"], default="stdlib", help="closed-loop HTTP client"
    )
    parser.add_argument(
        "--appointments",
        help="booking: existing appointments per seeded database, comma-separated "
        "(default 10000,1000000; with --quick 10000,100000)",
    )
    parser.add_argument(
        "--profile-booking",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="booking: py-spy the largest size's server during its last segment",
    )
    parser.add_argument(
        "--triage-calls",
        type=int,
        help="triage: in-process single-claimant calls per side (default 20000; --quick 3000)",
    )
    parser.add_argument(
        "--triage-batch",
        type=int,
        help="triage: claimants scored in memory per side (default 100000; --quick 10000)",
    )
    parser.add_argument(
        "--coaching-cases",
        help="coaching: cases per seeded database, comma-separated "
        "(default 10000,100000,500000; with --quick 10000,100000)",
    )
    parser.add_argument(
        "--coaching-assign",
        type=int,
        help="coaching: cases assigned through maybe_assign (default 2000; --quick 1000)",
    )
    parser.add_argument(
        "--starters-claimants",
        type=int,
        help="starters: claimants whose schedules are computed (default 100000; --quick 10000)",
    )
    parser.add_argument(
        "--partner-claimants",
        type=int,
        help="partner: consenting claimants of the largest database; one tenth of it is "
        "seeded too, for flatness (default 500000; --quick 50000)",
    )
    parser.add_argument(
        "--messages",
        type=int,
        help="messages: e-mails planned and sent per side (default 2000; --quick 300)",
    )
    parser.add_argument(
        "--web-cases",
        type=int,
        help="web: cases on the coach's caseload page (default 500; --quick 200)",
    )
    parser.add_argument("--events", type=int, default=5000, help="events per side")
    parser.add_argument("--segments", type=int, default=2, help="interleaved segments per side")
    parser.add_argument("--rates", default="5,20", help="e2e rates in registrations/s")
    parser.add_argument("--duration", type=float, default=30.0, help="e2e seconds per rate")
    parser.add_argument(
        "--settle", type=float, default=10.0, help="max seconds to wait for an idle machine"
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep-logs", action="store_true", help="keep var/bench/run-*/")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench" / "results.json")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.warmup, args.events, args.duration = 300, 50, 500, 5.0
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    rates = tuple(float(r) for r in args.rates.split(",") if r.strip())
    appointments = args.appointments or ("10000,100000" if args.quick else "10000,1000000")
    sizes = tuple(int(float(a)) for a in appointments.split(",") if a.strip())
    coaching_cases = args.coaching_cases or (
        "10000,100000" if args.quick else "10000,100000,500000"
    )

    partner_claimants = args.partner_claimants or (50_000 if args.quick else 500_000)

    def on_term(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rng = random.Random(args.seed)
    run = BenchRun(keep_logs=args.keep_logs)
    console.print(f"bench run {run.run_id}: phases {', '.join(phases)} (work dir: {run.dir})")
    results: dict[str, Any] = {"started_at": started_at, "run_id": run.run_id, "phases": {}}
    configs: dict[str, Any] = {
        "registration": RegistrationConfig(
            requests=args.requests,
            warmup=args.warmup,
            concurrency=args.concurrency,
            segments=args.segments,
            client=args.client,
            settle_s=args.settle,
        ),
        "booking": BookingConfig(
            appointments=sizes,
            requests=args.requests,
            warmup=args.warmup,
            concurrency=args.concurrency,
            segments=args.segments,
            client=args.client,
            settle_s=args.settle,
            profile_s=args.profile_booking,
        ),
        "triage": TriageConfig(
            calls=args.triage_calls or (3_000 if args.quick else 20_000),
            call_warmup=300 if args.quick else 1_000,
            batch=args.triage_batch or (10_000 if args.quick else 100_000),
            batch_pure_python=2_000 if args.quick else 10_000,
            requests=args.requests,
            warmup=args.warmup,
            concurrency=args.concurrency,
            segments=args.segments,
            client=args.client,
            settle_s=args.settle,
        ),
        "coaching": CoachingConfig(
            cases=tuple(int(float(c)) for c in coaching_cases.split(",") if c.strip()),
            latency_requests=200 if args.quick else 400,
            throughput_requests=200 if args.quick else 500,
            concurrency=args.concurrency,
            segments=args.segments,
            client=args.client,
            settle_s=args.settle,
            assign_cases=args.coaching_assign or (1000 if args.quick else 2000),
            pure_cases=10_000,
            seed=args.seed,
        ),
        "starters": StartersConfig(
            claimants=args.starters_claimants or (10_000 if args.quick else 100_000),
            seed=args.seed,
        ),
        "partner": PartnerConfig(
            claimants=(
                partner_claimants // 10,
                partner_claimants,
            ),
            latency_requests=100 if args.quick else 200,
            throughput_requests=300 if args.quick else 600,
            placements=300 if args.quick else 600,
            concurrency=args.concurrency,
            segments=args.segments,
            settle_s=args.settle,
        ),
        "messages": MessagesConfig(
            messages=args.messages or (300 if args.quick else 2000), seed=args.seed
        ),
        "web": WebConfig(
            cases=args.web_cases or (200 if args.quick else 500),
            renders=100 if args.quick else 200,
        ),
        "events": EventsConfig(events=args.events, segments=args.segments, settle_s=args.settle),
        "e2e": E2EConfig(rates=rates, duration_s=args.duration, settle_s=args.settle),
    }
    runners: dict[str, Callable[..., dict[str, Any]]] = {
        "registration": run_registration,
        # The booking figures are ratios to the registration phase's baseline of this run.
        "booking": lambda run, cfg, rng: run_booking(
            run, cfg, rng, reference=results["phases"].get("registration")
        ),
        # So are the triage API figures (the same bare-insert baseline app).
        "triage": lambda run, cfg, rng: run_triage(
            run, cfg, rng, reference=results["phases"].get("registration")
        ),
        "events": run_events,
        "e2e": run_e2e,
        "coaching": run_coaching,
        "starters": run_starters,
        "partner": run_partner,
        "messages": run_messages,
        "web": run_web,
    }
    failed = False
    problems: list[str] = []
    try:
        results["machine"] = machine_info(run)
        for name in phases:
            t = time.monotonic()
            console.print(f"[bold]{name}[/bold] ...")
            try:
                results["phases"][name] = runners[name](run, configs[name], rng)
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                failed = True
                run.failed = True
                console.print(traceback.format_exc())
                results["phases"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            if "error" in results["phases"][name]:  # a phase that kept some figures
                failed = True
                run.failed = True
            results["phases"][name]["phase_wall_s"] = round(time.monotonic() - t, 1)
            console.print(f"  {name} done in {time.monotonic() - t:.1f}s")
    except KeyboardInterrupt:
        failed = True
        run.failed = True
        console.print("[red]interrupted[/red]; cleaning up")
    finally:
        problems = run.close()
        if problems:
            console.print(f"[yellow]cleanup problems[/yellow]: {problems}")
    results["cleanup_problems"] = problems
    results["summary"] = summary_rows(results["phases"])
    results["disturbed"] = disturbed(results["phases"])
    results["wall_time_s"] = round(time.monotonic() - started, 1)
    out = args.out.resolve()
    results["json_path"] = str(out.relative_to(REPO) if out.is_relative_to(REPO) else out)
    results["command"] = " ".join(["python -m bench", *sys.argv[1:]])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_report(results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
