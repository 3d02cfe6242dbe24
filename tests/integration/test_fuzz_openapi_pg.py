"""schemathesis over every operation of all four services, on PostgreSQL (issue 13).

Each service runs in-process on its own migrated PostgreSQL database (the four share one
embedded broker, so seeded events reach every replica). Before fuzzing, a small system is
built through the APIs: coaches, an intake agenda, claims registered by claimants, their
questionnaires, a work plan, a contact moment, a partner agency with a vacancy and a
starters application. During fuzzing, path, query and top-level body values whose name
matches a stored column (`claim_id`, `coach_id`, `activity_id`, `office_code`, ...) are
replaced by stored values half of the time, so the 2xx/404/409 paths behind a real row are
reached and not only "not found".

Every request carries a token of a role (or partner scope) the auth matrix allows for that
operation (tests/contract/test_auth_matrix.py): coach tokens name a rostered coach,
claimant tokens the claimant of a seeded claim most of the time. Each operation gets
`WW_FUZZ_POSITIVE` cases valid by the schema and `WW_FUZZ_NEGATIVE` violating it.

The seed is fresh each run and printed; `WW_FUZZ_SEED=<n>` replays a run (each operation's
Hypothesis seed is derived from it and the operation's name, so one operation replays the
same cases whatever else changed). Failures are collected, not shrunk: every 5xx is listed
with its operation, a curl line and the logged error, and the test fails on any. A summary
line per service ("fuzz <service>: N cases, M 5xx, seed S") is printed for the record.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from shared.clock import local_today
from shared.messaging.relay import drain
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.contract.test_auth_matrix import AGENCY as PARTNER_CLIENT
from tests.contract.test_auth_matrix import (
    MATRIX,
    OAUTH_TOKEN,
    QUESTIONNAIRE_ANSWERS,
    _register_agency,
)
from tests.support.pg import PgDatabases
from tests.support.system import embedded_containers
from tests.support.tokens import Tokens
from ww.registry import SERVICE_NAMES

# One service per test; about a minute each on two idle cores, more on a loaded CI runner.
pytestmark = [pytest.mark.integration, pytest.mark.fuzz, pytest.mark.timeout(900)]

# The example budget: cases per operation and generation mode. With about 120 operations
# this is some 5,000 requests, under two minutes on two cores.
POSITIVE = int(os.environ.get("WW_FUZZ_POSITIVE", "30"))
NEGATIVE = int(os.environ.get("WW_FUZZ_NEGATIVE", "12"))
OFFICE = "AMS"
# Operations that are not the service's own API (served by every app).
OPS_PATHS = ("/health", "/ready", "/metrics")


def run_seed() -> int:
    """WW_FUZZ_SEED, or a fresh random seed (printed, so a failing run can be replayed)."""
    value = os.environ.get("WW_FUZZ_SEED")
    return int(value) if value else random.SystemRandom().randrange(2**32)


SEED = run_seed()


@dataclass
class Fuzzed:
    """The four services on PostgreSQL, the seeded ids and subjects, a token minter."""

    containers: dict[str, ServiceContainer]
    apps: dict[str, FastAPI]
    tokens: Tokens
    coach_ids: list[str] = field(default_factory=list)
    claimants: list[str] = field(default_factory=list)
    claimant_bsn: dict[str, str] = field(default_factory=dict)
    claim_ids: list[str] = field(default_factory=list)

    def client(self, service: str) -> TestClient:
        return TestClient(self.apps[service])

    def drain_all(self) -> None:
        for _ in range(3):  # events cause events (claim -> triage -> coaching)
            for c in self.containers.values():
                drain(c.relay)

    def bearer(self, *roles: str, sub: str | None = None, bsn: str | None = None) -> dict[str, str]:
        sub = sub or str(uuid.uuid4())
        if "claimant" in roles and bsn is None:
            bsn = self.claimant_bsn.get(sub)  # a claimant signs in with their own BSN
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=OFFICE, bsn=bsn))


@pytest.fixture(scope="module")
def fuzzed(pg: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    state_dir: Path = tmp_path_factory.mktemp("fuzz-state")
    containers = embedded_containers(state_dir, database_urls=pg.create_all(), log_level="WARNING")
    apps = {s: build_app(c, manage_lifecycle=False) for s, c in containers.items()}
    f = Fuzzed(containers, apps, Tokens(state_dir / "dev-jwt-key.pem"))
    try:
        _seed(f)
        yield f
    finally:
        for c in containers.values():
            c.stop()


def _ok(r: Any, what: str) -> dict[str, Any]:
    assert r.status_code < 300, f"seeding {what}: {r.status_code} {r.text}"
    body = r.json() if r.content else {}
    return body if isinstance(body, dict) else {}


def _seed(f: Fuzzed) -> None:
    """A small system built through the APIs, so the fuzzed ids can hit real rows."""
    rng = random.Random(SEED)
    lead = f.bearer("team_lead")
    coaching, intake = f.client("coaching"), f.client("intake")
    triage, starters = f.client("triage"), f.client("starters")
    for name in ("Sanne de Boer", "Joris Bakker"):
        body: dict[str, Any] = {"display_name": name, "office_code": OFFICE, "contract_hours": 32}
        f.coach_ids.append(
            str(_ok(coaching.post("/v1/coaches", json=body, headers=lead), "coach")["id"])
        )
    f.drain_all()
    blocks = [
        {"weekday": d, "start_time": "09:00", "end_time": "12:00", "office_code": OFFICE}
        for d in range(5)
    ]
    for coach_id in f.coach_ids:
        r = intake.put(f"/v1/coaches/{coach_id}/agenda", json={"blocks": blocks}, headers=lead)
        _ok(r, "agenda")
    for i in range(4):
        sub = str(uuid.uuid4())
        claim = {
            "bsn": synthetic_bsn(rng),
            "given_name": "Fatima",
            "family_name": f"El Amrani-{'abcd'[i]}",
            "date_of_birth": "1988-03-14",
            "first_ww_day": local_today().isoformat(),
            "postcode": "1011 AB",
        }
        f.claimant_bsn[sub] = str(claim["bsn"])
        r = intake.post("/v1/claims", json=claim, headers=f.bearer("claimant", sub=sub))
        f.claimants.append(sub)
        f.claim_ids.append(str(_ok(r, "claim")["id"]))
    f.drain_all()
    for sub, claim_id in zip(f.claimants, f.claim_ids, strict=True):
        body = {"questionnaire_version": "1", "answers": QUESTIONNAIRE_ANSWERS}
        r = triage.put(
            f"/v1/claims/{claim_id}/questionnaire", json=body, headers=f.bearer("claimant", sub=sub)
        )
        _ok(r, "questionnaire")
    f.drain_all()
    admin = f.bearer("admin")
    claim_id = f.claim_ids[0]
    due = (local_today() + dt.timedelta(days=7)).isoformat()
    activity = {"kind": "application", "description": "Apply at the library", "due_on": due}
    _ok(
        coaching.post(f"/v1/cases/{claim_id}/work-plan/activities", json=activity, headers=admin),
        "activity",
    )
    planned = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    moment = {"planned_at": planned, "channel": "phone", "purpose": "first contact"}
    _ok(
        coaching.post(f"/v1/cases/{claim_id}/contact-moments", json=moment, headers=admin), "moment"
    )
    for i, (sub, case_claim) in enumerate(zip(f.claimants[:2], f.claim_ids[:2], strict=True)):
        profile = {
            "visibility": "named" if i else "anonymous",
            "skills": ["heftruck"],
            "hours_per_week": 32,
            "available_from": local_today().isoformat(),
            "display_name": "Fatima",
            "sector": "logistics",
        }
        r = coaching.put(
            f"/v1/cases/{case_claim}/partner-profile",
            json=profile,
            headers=f.bearer("claimant", sub=sub),
        )
        _ok(r, "partner profile")
    _register_agency(f.containers["coaching"])
    partner = Tokens.header(f.tokens.app(PARTNER_CLIENT, *_partner_scopes()))
    vacancy = {
        "title": "Orderpicker",
        "sector": "logistics",
        "postcode": "1012 AB",
        "hours_per_week": 32,
        "wage_min": 14.5,
        "wage_max": 16,
        "skills": ["heftruck"],
        "start_date": (local_today() + dt.timedelta(days=30)).isoformat(),
    }
    headers = {**partner, "Idempotency-Key": str(uuid.uuid4())}
    _ok(coaching.post("/partner/v1/vacancies", json=vacancy, headers=headers), "vacancy")
    application = {
        "claim_id": claim_id,
        "business_description": "A bicycle repair shop in Utrecht",
        "expected_start_date": (local_today() + dt.timedelta(days=14)).isoformat(),
        "hours_per_week": "30",
        "training": {
            "certificate": "ZOWW-2026-1234",
            "completed_on": (local_today() - dt.timedelta(days=3)).isoformat(),
        },
    }
    r = starters.post(
        "/v1/starters/applications",
        json=application,
        headers=f.bearer("claimant", sub=f.claimants[0]),
    )
    _ok(r, "starters application")
    f.drain_all()


def _partner_scopes() -> list[str]:
    return sorted({s for a in MATRIX.values() for s in a.scopes})


# --- ids of stored rows ------------------------------------------------------------------------


def _pools(engine: Engine) -> dict[str, list[str]]:
    """Up to 20 stored values per column name, and per `<table stem>_id` for `id` columns."""
    pools: dict[str, set[str]] = {}
    insp = inspect(engine)
    with engine.connect() as conn:
        for table in insp.get_table_names():
            if table in ("alembic_version", "outbox", "inbox"):
                continue
            for col in insp.get_columns(table):
                name = col["name"]
                if not (
                    name == "id" or name.endswith(("_id", "_ref", "_code")) or name == "version"
                ):
                    continue
                rows = conn.execute(
                    text(
                        f'SELECT DISTINCT "{name}" FROM "{table}" WHERE "{name}" IS NOT NULL LIMIT 20'
                    )
                )
                values = {str(r[0]) for r in rows}
                key = f"table:{table}" if name == "id" else name
                pools.setdefault(key, set()).update(values)
    return {k: sorted(v) for k, v in pools.items()}


def _pool_for(pools: dict[str, list[str]], name: str) -> list[str]:
    """Stored values a parameter called `name` may take (empty when nothing fits)."""
    if name.endswith("coach_id"):  # to_coach_id, covering_coach_id
        name = "coach_id"
    values = list(pools.get(name, []))
    if name.endswith("_id"):
        stem = name[: -len("_id")].rstrip("y")  # activity -> activit(ies)
        for key, ids in pools.items():
            if key.startswith("table:") and stem in key:
                values.extend(ids)
    return values


# --- the fuzz run ------------------------------------------------------------------------------


@dataclass
class Tally:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)


class _Errors(logging.Handler):
    """Log records carrying an exception (the 500 handler logs one): the traceback summary."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
            self.records.append(f"{type(exc).__name__}: {str(exc)[:300]} at {where}")


def _auth(f: Fuzzed, service: str, method: str, path: str, draw: Any) -> dict[str, str]:
    access = MATRIX[(service, method, path)]
    if access.scopes and (not access.roles or draw(st.booleans())):
        return Tokens.header(f.tokens.app(PARTNER_CLIENT, *_partner_scopes()))
    role = draw(st.sampled_from(sorted(access.roles)))
    if role == "coach":
        sub = draw(st.sampled_from(f.coach_ids))
    elif role == "claimant":
        sub = draw(st.sampled_from([*f.claimants, str(uuid.uuid4())]))
        if sub not in f.claimant_bsn:  # a new person, signed in with a BSN of their own
            return f.bearer(role, sub=sub, bsn=synthetic_bsn(random.Random(draw(st.integers()))))
    else:
        sub = str(uuid.uuid4())
    return f.bearer(role, sub=sub)


def _point_at_rows(case: Any, pools: dict[str, list[str]], draw: Any) -> None:
    """Half of the time, replace path/query/body values by stored ones of the same name."""
    containers = [case.path_parameters, case.query]
    if isinstance(case.body, dict):
        containers.append(case.body)
    for values in containers:
        if not isinstance(values, dict):
            continue
        for name in list(values):
            pool = _pool_for(pools, name)
            if pool and draw(st.booleans()):
                values[name] = draw(st.sampled_from(pool))


def _fuzz_operation(
    f: Fuzzed, service: str, operation: Any, tally: Tally, log_errors: _Errors
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    pools = _pools(f.containers[service].engine)
    op_seed = zlib.crc32(f"{SEED}:{service}:{label}".encode())
    for mode, examples in (
        (GenerationMode.POSITIVE, POSITIVE),
        (GenerationMode.NEGATIVE, NEGATIVE),
    ):
        try:
            _fuzz_mode(f, service, operation, mode, examples, op_seed, pools, tally, log_errors)
        except Unsatisfiable:
            # Nothing to violate (no parameters and no body): only positive cases exist.
            if mode is GenerationMode.POSITIVE:
                raise


def _fuzz_mode(
    f: Fuzzed,
    service: str,
    operation: Any,
    mode: GenerationMode,
    examples: int,
    op_seed: int,
    pools: dict[str, list[str]],
    tally: Tally,
    log_errors: _Errors,
) -> None:
    method, path = operation.method.upper(), operation.path
    label = f"{method} {path}"
    checks = [status_code_conformance, content_type_conformance]
    strategy = operation.as_strategy(generation_mode=mode)
    positive = mode is GenerationMode.POSITIVE
    mode_name = mode.value

    @hypothesis_seed(op_seed + (not positive))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        draw = data.draw
        if positive:
            _point_at_rows(case, pools, draw)
        headers = _auth(f, service, method, path, draw)
        if path.startswith("/partner/v1/") and method == "POST" and draw(st.booleans()):
            headers["Idempotency-Key"] = str(uuid.uuid4())
        before = len(log_errors.records)
        tally.cases[label] += 1
        try:
            response = case.call(headers=headers)
            status = response.status_code
        except Exception as exc:  # the app answered 500 and the test client re-raised
            response, status = None, 500
            log_errors.records.append(f"{type(exc).__name__}: {str(exc)[:300]}")
        tally.statuses[f"{label} {status}"] += 1
        if response is None or status >= 500:
            logged = "; ".join(dict.fromkeys(log_errors.records[before:])) or "(nothing logged)"
            tally.errors.append(
                f"{label} [{mode_name}] -> {status}: {logged}\n"
                f"    {case.as_curl_command(headers={'Authorization': 'Bearer ...'})[:1500]}"
            )
            return
        conformance = checks  # documented status codes and content types, 409 included
        if conformance:
            try:
                case.validate_response(response, checks=conformance, headers=headers)
            except BaseExceptionGroup as exc:  # a documented status or content type not kept
                first = [str(e).strip().splitlines()[0] for e in exc.exceptions]
                first += str(exc).strip().splitlines()[2:6]
                tally.nonconforming.append(f"{label} [{mode_name}]: {' / '.join(first)}")

    run()


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_openapi_fuzz_on_postgresql(
    fuzzed: Fuzzed, service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.apps[service])
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"invalid operation in the {service} OpenAPI: {result.err()}"
        op = result.ok()
        if op.path in OPS_PATHS or op.path == OAUTH_TOKEN:
            continue  # no token, nothing personal; OAUTH_TOKEN is fuzzed by the partner test
        operations.append(op)
    assert operations, service
    tally = Tally()
    log_errors = _Errors()
    root = logging.getLogger()
    root.addHandler(log_errors)
    started = time.monotonic()
    try:
        for op in operations:
            _fuzz_operation(fuzzed, service, op, tally, log_errors)
    finally:
        root.removeHandler(log_errors)
    total = sum(tally.cases.values())
    server_errors = sum(v for k, v in tally.statuses.items() if int(k.rsplit(" ", 1)[1]) >= 500)
    summary = (
        f"fuzz {service}: {total} cases over {len(tally.cases)} operations, "
        f"{server_errors} 5xx, {len(tally.nonconforming)} nonconforming, seed {SEED} "
        f"({time.monotonic() - started:.0f}s; replay: WW_FUZZ_SEED={SEED})"
    )
    with capsys.disabled():  # the per-service count belongs in every run's output
        print(f"\n{summary}")
    print("\n".join(f"  {k}: {v}" for k, v in sorted(tally.statuses.items())))
    for line in dict.fromkeys([*tally.errors, *tally.nonconforming]):
        print(f"  FINDING {line}")
    assert len(tally.cases) == len(operations), "an operation ran no case"
    assert not tally.errors, (
        f"{len(tally.errors)} 5xx (replay with WW_FUZZ_SEED={SEED}):\n" + "\n".join(tally.errors)
    )
    assert not tally.nonconforming, f"undocumented answers (WW_FUZZ_SEED={SEED}):\n" + "\n".join(
        tally.nonconforming
    )
