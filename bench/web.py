"""Web phase (issue 15): page render time of the coach's caseload (500 cases) and of the
claimant page, as a ratio to the sum of the backend calls each page makes, in one run.

- **System**: the four services as `ww run` processes on PostgreSQL and Kafka (as the
  end-to-end phase starts them), and the web as `ww web` runs it (`bench/web_server.py`:
  the same `create_app` over real HTTP, plus a recorder of the backend calls each page
  makes).
- **Data** (untimed): `--web-cases` (500) claims registered through intake's API in one
  office (Amsterdam), every one carried over Kafka into a triage score and a coaching
  case; one coach on the roster (coaching's API) and the 500 open cases assigned to them
  in the database (the assignment rules cap a caseload by contract hours; the page is
  measured at 500, as the issue asks). The claimant page is one of those claims
  (registered, scored, with its case and appointment).
- **Page**: the coach signs in through the dev sign-in (a real session cookie), then
  `GET /caseload` and `GET /claims/{id}` back to back on one connection (closed loop,
  after a warm-up), p50/p99.
- **Baseline**: the backend calls the page made (recorded by the web server for one
  render: service, method, path and query), replayed directly against the services with
  the same coach's token, one after another on kept-alive connections; the sum per
  render, p50/p99. The page's calls to different backends run concurrently, so the page
  can beat the sum; its own cost (session, templates, HTML) shows in the ratio.
- Interleaved segments (page, backends, page, backends, ...) so drift hits both sides.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text

from bench.common import claim_bodies
from bench.e2e import System
from bench.infra import BenchError, BenchRun, wait_for
from bench.stats import ratio, summary_ms
from tests.support.system import free_port, service_env, wait_healthy
from tests.support.tokens import Tokens

OFFICE = "AMS"
POSTCODES = ("1011 AB", "1012 CD", "1053 EF", "1071 GH", "1091 JK")


@dataclass(frozen=True)
class WebConfig:
    """Sizes of the phase."""

    cases: int = 500
    renders: int = 200  # per page and side, over the segments
    warmup: int = 20
    segments: int = 4


def family_name(i: int) -> str:
    """A distinct family name per claimant (letters only, as intake requires)."""
    letters = "".join(chr(97 + (i // 26**k) % 26) for k in (2, 1, 0))
    return f"Claimant {letters.capitalize()}"


def _register(system: System, rng: random.Random, n: int) -> list[str]:
    bodies = claim_bodies(rng, n, seen=system.seen)
    for i, b in enumerate(bodies):
        b["postcode"] = POSTCODES[i % len(POSTCODES)]
        b["family_name"] = family_name(i)
    headers = Tokens.header(system.token)

    with httpx.Client(base_url=system.urls["intake"], headers=headers, timeout=60) as c:

        def post(body: dict[str, Any]) -> str:
            r = c.post("/v1/claims", json=body)
            if r.status_code != 201:
                raise BenchError(f"registration failed: {r.status_code} {r.text}")
            return str(r.json()["id"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(post, bodies))
    system.expected += n
    return ids


def _coach(system: System) -> str:
    tokens = Tokens(system.run.state_dir / "dev-jwt-key.pem")
    lead = Tokens.header(tokens.user("team_lead", sub="bench-lead", office=OFFICE))
    body = {"display_name": "Bench Coach", "office_code": OFFICE, "contract_hours": 36}
    r = httpx.post(f"{system.urls['coaching']}/v1/coaches", json=body, headers=lead, timeout=30)
    if r.status_code != 201:
        raise BenchError(f"coach not created: {r.status_code} {r.text}")
    return str(r.json()["id"])


def _start_web(run: BenchRun, system: System) -> str:
    port = free_port()
    env = service_env("web", state_dir=run.state_dir)
    env.update(
        {
            "WEB_PORT": str(port),
            "WEB_ENVIRONMENT": "test",
            "WEB_PUBLIC_URL": f"http://127.0.0.1:{port}",
            **{f"WEB_{s.upper()}_URL": u for s, u in system.urls.items()},
        }
    )
    proc = run.start_python("web", "bench.web_server", [], env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout=60, proc=proc)
    except AssertionError as exc:
        raise BenchError(str(exc)) from None
    return url


def _sign_in(web: httpx.Client, coach_id: str) -> None:
    page = web.get("/dev/sign-in")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or not m:
        raise BenchError(f"dev sign-in page: {page.status_code}")
    r = web.post(
        "/dev/sign-in", data={"role": "coach", "coach_id": coach_id, "csrf_token": m.group(1)}
    )
    if r.status_code != 303:
        raise BenchError(f"dev sign-in refused: {r.status_code} {r.text[:200]}")


def _timed(fn: Callable[[], None], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def measure_page(
    web: httpx.Client,
    backends: dict[str, httpx.Client],
    path: str,
    cfg: WebConfig,
    expect: str,
) -> dict[str, Any]:
    """Page render vs the sum of its backend calls (see the module docstring)."""

    def render() -> None:
        r = web.get(path)
        if r.status_code != 200:
            raise BenchError(f"GET {path}: {r.status_code} {r.text[:300]}")

    for _ in range(cfg.warmup):
        render()
    web.get("/__bench/calls")  # forget the warm-up's calls
    first = web.get(path)
    if expect not in first.text:
        raise BenchError(f"GET {path} does not show {expect!r}")
    calls = web.get("/__bench/calls").json()
    if not calls:
        raise BenchError(f"GET {path} made no backend call")

    def replay() -> None:
        for c in calls:
            r = backends[c["service"]].request(
                c["method"], c["path"] + (f"?{c['query']}" if c["query"] else "")
            )
            if r.status_code >= 500:
                raise BenchError(f"{c['service']} {c['path']}: {r.status_code}")

    for _ in range(cfg.warmup):
        replay()
    page_s: list[float] = []
    backend_s: list[float] = []
    per = max(1, cfg.renders // cfg.segments)
    for _ in range(cfg.segments):
        page_s += _timed(render, per)
        backend_s += _timed(replay, per)
    page, back = summary_ms(page_s), summary_ms(backend_s)
    return {
        "path": re.sub(r"[0-9a-f-]{36}", "{id}", path),
        "calls": [f"{c['service']} {c['method']} {c['path']}" for c in calls],
        "calls_per_backend": dict(Counter(c["service"] for c in calls)),
        "html_bytes": len(first.content),
        "page_ms": page,
        "backends_ms": back,
        "ratio_p50": ratio(page.get("p50"), back.get("p50")),
        "ratio_p99": ratio(page.get("p99"), back.get("p99")),
    }


def run_web(run: BenchRun, cfg: WebConfig, rng: random.Random) -> dict[str, Any]:
    system = System(run, rng)
    try:
        system.warm_up()
        t = time.monotonic()
        ids = _register(system, rng, cfg.cases)
        wait_for(
            lambda: system.registered_in_coaching() >= system.expected,
            timeout=300,
            what=f"{cfg.cases} claims to reach coaching",
            procs=system.procs,
        )
        # Every score applied first: the consumers are idle when the cases are assigned
        # (an UPDATE racing a consumer's assignment of the same rows could deadlock).
        scored_sql = "SELECT count(*) FROM processed_events WHERE event_type = 'triage.scored'"
        wait_for(
            lambda: int(run.scalar(system.dbs["coaching"], scored_sql)) >= system.expected,
            timeout=300,
            what="the triage scores to reach coaching",
            procs=system.procs,
        )
        coach_id = _coach(system)
        with run.engine(system.dbs["coaching"]).begin() as conn:
            updated = conn.execute(
                text(
                    "UPDATE cases SET coach_id = :c, assignment_status = 'assigned', "
                    "assigned_at = now() WHERE claim_id = ANY(CAST(:ids AS uuid[])) "
                    "AND status = 'open'"
                ),
                {"c": coach_id, "ids": ids},
            ).rowcount
        if updated != cfg.cases:
            raise BenchError(f"assigned {updated} cases, wanted {cfg.cases}")
        setup_s = round(time.monotonic() - t, 1)
        web_url = _start_web(run, system)
        token = Tokens(run.state_dir / "dev-jwt-key.pem").user("coach", sub=coach_id, office=OFFICE)
        auth = Tokens.header(token)
        backends = {
            s: httpx.Client(base_url=u, headers=auth, timeout=60) for s, u in system.urls.items()
        }
        with httpx.Client(base_url=web_url, timeout=60) as web:
            _sign_in(web, coach_id)
            targets = {
                "claimant": (f"/claims/{ids[0]}", family_name(0)),
                "caseload": ("/caseload", "Claimant"),
            }
            pages: dict[str, Any] = {}
            errors = []
            for name, (path, expect) in targets.items():
                try:
                    pages[name] = measure_page(web, backends, path, cfg, expect)
                except BenchError as exc:  # keep the other page's figures
                    errors.append(f"{name}: {exc}"[:300])
        for c in backends.values():
            c.close()
        out: dict[str, Any] = {"config": cfg.__dict__, "setup_s": setup_s, "pages": pages}
        if errors:
            out["error"] = "; ".join(errors)
        return out
    finally:
        system.stop()


def summary(web: dict[str, Any], add: Callable[..., None]) -> None:
    """Headline rows: each page's p50 and p99 against the sum of its backend calls."""
    cases = web["config"]["cases"]
    for name, p in web.get("pages", {}).items():
        label = f"Web {name} page ({cases} cases)" if name == "caseload" else f"Web {name} page"
        n = len(p["calls"])
        for q in ("p50", "p99"):
            add(
                f"{label} {q} (vs its {n} backend calls in sequence)",
                "ms",
                p["page_ms"][q],
                p["backends_ms"][q],
                p[f"ratio_{q}"],
                "lower",
            )


def details(web: dict[str, Any]) -> list[tuple[str, str]]:
    """Detail lines: the calls each page made."""
    out = []
    for name, p in web.get("pages", {}).items():
        per = ", ".join(f"{s} {n}" for s, n in sorted(p["calls_per_backend"].items()))
        out.append((f"web {name}", f"{p['path']}: calls per backend {per}; {p['html_bytes']} B"))
    return out
