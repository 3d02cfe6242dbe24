"""The working-day calendar API on PostgreSQL: closures, working days, deadlines, access rules.

Dates are fixed in 2026: Monday 1 June to Friday 5 June is a plain working week, King's Day
is Monday 27 April, Liberation Day Tuesday 5 May.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from intake.calendar.service import WorkingDayCalendar, intake_deadline
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

BASE = "/v1/calendar"
CLOSURES = f"{BASE}/closures"
BSN = "111222333"
READERS = ("coach", "team_lead", "benefits_officer", "triage_analyst", "admin", "claimant")
NON_WRITERS = ("coach", "benefits_officer", "triage_analyst", "claimant")


@dataclass
class Cal:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def as_(self, *roles: str, office: str | None = None, sub: str = "user-1") -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin", sub="admin-1")

    def lead(self, office: str | None) -> dict[str, str]:
        return self.as_("team_lead", office=office, sub=f"lead-{office}")

    def close(
        self, day: str, office_code: str | None = None, reason: str = "office move", **kw: Any
    ) -> httpx.Response:
        headers = kw.pop("headers", None) or self.admin
        body = {"date": day, "office_code": office_code, "reason": reason}
        return self.client.post(CLOSURES, json=body, headers=headers)

    def deadline(self, start: str, office_code: str | None = None, **params: Any) -> str:
        query = {"start": start, **params}
        if office_code:
            query["office_code"] = office_code
        r = self.client.get(f"{BASE}/deadline", params=query, headers=self.as_("coach"))
        assert r.status_code == 200, r.text
        return str(r.json()["deadline"])

    def days(self, start: str, end: str, office_code: str | None = None) -> dict[str, Any]:
        query = {"from": start, "to": end}
        if office_code:
            query["office_code"] = office_code
        r = self.client.get(f"{BASE}/working-days", params=query, headers=self.as_("claimant"))
        assert r.status_code == 200, r.text
        return {d["date"]: d for d in r.json()["days"]}

    def count(self, table: str) -> int:
        with self.container.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def audit(self) -> list[dict[str, Any]]:
        with self.container.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT action, actor, resource_type, resource_id, old_values, new_values "
                    "FROM audit_log ORDER BY occurred_at"
                )
            )
            return [dict(r._mapping) for r in rows]


def _cal(pg: PgDatabases, state_dir: Path, **settings: Any) -> Cal:
    c = build_container(
        "intake",
        database_url=pg.create("intake"),
        state_dir=state_dir,
        transport="embedded",
        broker=EmbeddedBroker(),
        log_level="WARNING",
        **settings,
    )
    return Cal(
        c, TestClient(build_app(c, manage_lifecycle=False)), Tokens(state_dir / "dev-jwt-key.pem")
    )


@pytest.fixture
def cal(pg: PgDatabases, state_dir: Path) -> Iterator[Cal]:
    """A fresh, migrated intake database per test."""
    c = _cal(pg, state_dir)
    yield c
    c.container.stop()


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    return body


# --- closures CRUD ------------------------------------------------------------------------------


def test_closure_crud_with_audit(cal: Cal) -> None:
    created = cal.close("2026-06-03", None, "Nationale rouwdag")
    assert created.status_code == 201, created.text
    body = created.json()
    # No slots or appointments on that day: nothing to withdraw or rebook.
    assert body.pop("effect") == {
        "slots_withdrawn": 0,
        "appointments_cancelled": 0,
        "appointments_rebooked": 0,
        "appointments_unplanned": 0,
    }
    assert body["office_code"] is None
    assert (body["date"], body["reason"], body["created_by"]) == (
        "2026-06-03",
        "Nationale rouwdag",
        "admin-1",
    )
    location = created.headers["location"]
    assert location == f"{CLOSURES}/{body['id']}"
    assert cal.client.get(location, headers=cal.as_("claimant")).json() == body

    office = cal.close("2026-06-04", "AMS", "Verhuizing kantoor", headers=cal.lead("AMS"))
    assert office.status_code == 201, office.text
    assert office.json()["office_code"] == "AMS"
    assert office.json()["created_by"] == "lead-AMS"

    listed = cal.client.get(CLOSURES, headers=cal.as_("coach")).json()
    assert listed["total"] == 2
    assert [i["date"] for i in listed["items"]] == ["2026-06-03", "2026-06-04"]

    assert cal.client.delete(location, headers=cal.admin).status_code == 204
    _problem(cal.client.get(location, headers=cal.admin), 404)
    _problem(cal.client.delete(location, headers=cal.admin), 404)
    _problem(cal.client.delete(f"{CLOSURES}/{uuid.uuid4()}", headers=cal.admin), 404)
    assert cal.count("calendar_closures") == 1

    audit = cal.audit()
    assert [(a["action"], a["actor"], a["resource_type"]) for a in audit] == [
        ("closure.create", "admin-1", "closure"),
        ("closure.create", "lead-AMS", "closure"),
        ("closure.delete", "admin-1", "closure"),
    ]
    assert audit[0]["resource_id"] == body["id"]
    assert audit[0]["old_values"] is None
    assert audit[0]["new_values"] == {
        "date": "2026-06-03",
        "office_code": None,
        "reason": "Nationale rouwdag",
        "created_by": "admin-1",
        "slots_withdrawn": 0,
        "appointments_cancelled": 0,
        "appointments_rebooked": 0,
        "appointments_unplanned": 0,
    }
    assert audit[1]["new_values"]["office_code"] == "AMS"
    assert audit[2]["resource_id"] == body["id"]
    assert audit[2]["old_values"] == {
        k: audit[0]["new_values"][k] for k in ("date", "office_code", "reason", "created_by")
    }
    assert audit[2]["new_values"] == {"unplanned_booked": 0}
    # Reads are not audited: closures are not personal data.
    assert cal.count("outbox") == 0


def test_list_filters_and_pagination(cal: Cal) -> None:
    for day, office in [
        ("2026-06-10", "RTD"),
        ("2026-06-03", None),
        ("2026-06-04", "AMS"),
        ("2026-07-01", "AMS"),
        ("2026-06-03", "AMS"),
    ]:
        assert cal.close(day, office).status_code == 201
    h = cal.as_("coach")

    def dates(**params: Any) -> list[tuple[str, str | None]]:
        r = cal.client.get(CLOSURES, params=params, headers=h)
        assert r.status_code == 200, r.text
        return [(i["date"], i["office_code"]) for i in r.json()["items"]]

    assert [d for d, _ in dates()] == [
        "2026-06-03",
        "2026-06-03",
        "2026-06-04",
        "2026-06-10",
        "2026-07-01",
    ]
    assert set(dates(office_code="AMS")) == {
        ("2026-06-03", None),
        ("2026-06-03", "AMS"),
        ("2026-06-04", "AMS"),
        ("2026-07-01", "AMS"),
    }
    assert dates(office_code="AMS", include_national=False) == [
        ("2026-06-03", "AMS"),
        ("2026-06-04", "AMS"),
        ("2026-07-01", "AMS"),
    ]
    assert [d for d, _ in dates(**{"from": "2026-06-04", "to": "2026-06-10"})] == [
        "2026-06-04",
        "2026-06-10",
    ]
    page = cal.client.get(CLOSURES, params={"limit": 2, "offset": 2}, headers=h).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [i["date"] for i in page["items"]] == ["2026-06-04", "2026-06-10"]


# --- working days and deadlines ------------------------------------------------------------------


def test_working_days_name_rules_and_count(cal: Cal) -> None:
    r = cal.client.get(
        f"{BASE}/working-days",
        params={"from": "2026-04-24", "to": "2026-05-06"},
        headers=cal.as_("coach"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["office_code"] is None
    reasons = {d["date"]: d["reason"] for d in body["days"] if not d["is_working_day"]}
    assert reasons == {
        "2026-04-25": "Saturday",
        "2026-04-26": "Sunday",
        "2026-04-27": "King's Day",
        "2026-05-02": "Saturday",
        "2026-05-03": "Sunday",
        "2026-05-05": "Liberation Day",
    }
    assert len(body["days"]) == 13
    assert body["working_days"] == 7
    assert {d["source"] for d in body["days"] if not d["is_working_day"]} == {"rule"}
    # 366 days is allowed (2028 is a leap year).
    full = cal.client.get(
        f"{BASE}/working-days",
        params={"from": "2028-01-01", "to": "2028-12-31"},
        headers=cal.as_("coach"),
    )
    assert full.status_code == 200, full.text
    assert len(full.json()["days"]) == 366


def test_office_closure_affects_only_that_office(cal: Cal) -> None:
    assert cal.deadline("2026-06-01", "AMS") == "2026-06-08"
    assert cal.close("2026-06-03", "AMS", "Verhuizing", headers=cal.lead("AMS")).status_code == 201

    ams = cal.days("2026-06-01", "2026-06-05", "AMS")["2026-06-03"]
    assert (ams["is_working_day"], ams["reason"], ams["source"]) == (False, "Verhuizing", "closure")
    assert cal.days("2026-06-01", "2026-06-05", "RTD")["2026-06-03"]["is_working_day"] is True
    assert cal.days("2026-06-01", "2026-06-05")["2026-06-03"]["is_working_day"] is True

    assert cal.deadline("2026-06-01", "AMS") == "2026-06-09"
    assert cal.deadline("2026-06-01", "RTD") == "2026-06-08"
    assert cal.deadline("2026-06-01") == "2026-06-08"


def test_national_closure_affects_every_office(cal: Cal) -> None:
    assert cal.close("2026-06-04", None, "Nationale rouwdag").status_code == 201
    assert cal.close("2026-06-03", "AMS", "Verhuizing").status_code == 201
    for office in (None, "AMS", "RTD"):
        day = cal.days("2026-06-01", "2026-06-05", office)["2026-06-04"]
        assert (day["is_working_day"], day["reason"]) == (False, "Nationale rouwdag"), office
    assert cal.deadline("2026-06-01") == "2026-06-09"
    assert cal.deadline("2026-06-01", "RTD") == "2026-06-09"
    assert cal.deadline("2026-06-01", "AMS") == "2026-06-10"


def test_deadline_defaults_to_the_setting_and_takes_n(cal: Cal, pg: PgDatabases) -> None:
    r = cal.client.get(
        f"{BASE}/deadline", params={"start": "2026-04-23"}, headers=cal.as_("claimant")
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "start": "2026-04-23",
        "office_code": None,
        "working_days": 5,
        "deadline": "2026-05-01",
    }
    assert cal.deadline("2026-04-23", working_days=1) == "2026-04-24"
    assert cal.deadline("2026-04-24", working_days=1) == "2026-04-28"


def test_deadline_setting_is_configurable(pg: PgDatabases, tmp_path: Path) -> None:
    state = tmp_path / "other-state"
    state.mkdir()
    other = _cal(pg, state, intake_deadline_working_days=3)
    try:
        assert other.deadline("2026-06-01") == "2026-06-04"
    finally:
        other.container.stop()


# --- the calendar for other intake code ----------------------------------------------------------


def test_working_day_calendar_loads_closures_per_range_not_per_day(cal: Cal) -> None:
    # Every weekday of the eight weeks from Monday 7 September 2026 is closed for AMS.
    closed = [
        dt.date(2026, 9, 7) + dt.timedelta(days=d)
        for d in range(56)
        if (dt.date(2026, 9, 7) + dt.timedelta(days=d)).weekday() < 5
    ]
    for day in closed:
        assert cal.close(day.isoformat(), "AMS", "Renovatie").status_code == 201

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "calendar_closures" in statement:
            statements.append(statement)

    event.listen(cal.container.engine, "before_cursor_execute", count)
    try:
        with cal.container.session_factory() as session:
            calendar = WorkingDayCalendar(session)
            info = calendar.days(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "AMS")
            assert len(statements) == 1
            assert sum(d.is_working_day for d in info) == 261 - 8 - len(closed)
            # Days inside the loaded range need no further query.
            assert calendar.reason(dt.date(2026, 9, 8), "AMS") == "Renovatie"
            assert calendar.is_working_day(dt.date(2026, 9, 8), "RTD")  # another office: 1 query
            assert len(statements) == 2

            fresh = WorkingDayCalendar(session)
            # 5 working days after Fri 4 Sep for AMS: eight closed weeks, then Mon 2 Nov ...
            assert fresh.add_working_days(dt.date(2026, 9, 4), 5, "AMS") == dt.date(2026, 11, 6)
            assert len(statements) <= 4  # the first window and at most two chunks beyond it
            assert fresh.add_working_days(dt.date(2026, 9, 4), 5, "RTD") == dt.date(2026, 9, 11)
            assert fresh.working_days_between(dt.date(2026, 9, 4), dt.date(2026, 11, 6), "AMS") == 5
            assert intake_deadline(
                fresh,
                first_ww_day=dt.date(2026, 9, 1),
                registered_on=dt.date(2026, 9, 4),
                office_code="RTD",
                working_days=5,
            ) == dt.date(2026, 9, 11)
    finally:
        event.remove(cal.container.engine, "before_cursor_execute", count)


# --- conflicts and bad input ---------------------------------------------------------------------


def test_duplicate_closure_is_409(cal: Cal) -> None:
    first = cal.close("2026-06-03", "AMS")
    assert first.status_code == 201
    dup = _problem(cal.close("2026-06-03", "AMS", "another reason"), 409)
    assert dup["type"] == "urn:ww:problem:conflict"
    assert dup["existing_closure_id"] == first.json()["id"]
    national = cal.close("2026-06-03", None)
    assert national.status_code == 201  # national and office closures may share a day
    dup_national = _problem(cal.close("2026-06-03", None), 409)
    assert dup_national["existing_closure_id"] == national.json()["id"]
    assert cal.close("2026-06-03", "RTD").status_code == 201
    assert cal.count("calendar_closures") == 3
    assert [a["action"] for a in cal.audit()] == ["closure.create"] * 3


def _fields(r: httpx.Response) -> set[str]:
    body = _problem(r, 422)
    assert body["type"] == "urn:ww:problem:validation-error"
    return {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-30", "to": "2026-03-05"}, "from"),
        ({"from": "2026-03-01", "to": "soon"}, "to"),
        ({"to": "2026-03-05"}, "from"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"from": "2026-01-01", "to": "2027-01-02"}, "to"),  # 367 days
        ({"from": "1999-12-31", "to": "2000-01-05"}, "from"),
        ({"from": "2026-03-01", "to": "2026-03-05", "office_code": "XXX"}, "office_code"),
        ({"from": "2026-03-01", "to": "2026-03-05", "office_code": "X" * 11}, "office_code"),
    ],
)
def test_working_days_bad_input_is_422(cal: Cal, params: dict[str, str], field: str) -> None:
    r = cal.client.get(f"{BASE}/working-days", params=params, headers=cal.as_("coach"))
    assert _fields(r) == {field}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "tomorrow"}, "start"),
        ({}, "start"),
        ({"start": "2026-06-01", "working_days": 0}, "working_days"),
        ({"start": "2026-06-01", "working_days": 101}, "working_days"),
        ({"start": "2026-06-01", "office_code": "XXX"}, "office_code"),
        ({"start": "2100-01-01"}, "start"),
    ],
)
def test_deadline_bad_input_is_422(cal: Cal, params: dict[str, Any], field: str) -> None:
    r = cal.client.get(f"{BASE}/deadline", params=params, headers=cal.as_("coach"))
    assert _fields(r) == {field}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-06-05", "to": "2026-06-01"}, "to"),
        ({"office_code": "XXX"}, "office_code"),
        ({"limit": 0}, "limit"),
    ],
)
def test_closure_list_bad_input_is_422(cal: Cal, params: dict[str, Any], field: str) -> None:
    r = cal.client.get(CLOSURES, params=params, headers=cal.as_("coach"))
    assert _fields(r) == {field}


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"date": "2026-06-03", "office_code": "AMS", "reason": "Verhuizing"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(reason=f"Sluiting, bel {BSN}"), "reason"),
        (_body(reason="ab"), "reason"),
        (_body(reason="x" * 201), "reason"),
        (_body(reason=...), "reason"),
        (_body(date="2026-02-30"), "date"),
        (_body(date=BSN), "date"),
        (_body(date=...), "date"),
        (_body(date="2026-06-06"), "date"),  # a Saturday
        (_body(date="2026-04-27"), "date"),  # King's Day
        (_body(date="1999-06-01"), "date"),
        (_body(office_code="XXX"), "office_code"),
        (_body(office_code=BSN), "office_code"),
        (_body(created_by="someone"), "created_by"),
    ],
)
def test_closure_bad_input_is_422_and_stores_nothing(
    cal: Cal, body: dict[str, Any], field: str
) -> None:
    r = cal.client.post(CLOSURES, json=body, headers=cal.admin)
    assert _fields(r) == {field}
    assert BSN not in r.text
    assert cal.count("calendar_closures") == 0
    assert cal.count("audit_log") == 0


def test_bad_closure_id_is_422(cal: Cal) -> None:
    r = cal.client.delete(f"{CLOSURES}/not-a-uuid", headers=cal.admin)
    assert _fields(r) == {"closure_id"}


# --- who may do what -----------------------------------------------------------------------------


def _read_calls() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{BASE}/working-days", {"from": "2026-06-01", "to": "2026-06-07"}),
        (f"{BASE}/deadline", {"start": "2026-06-01"}),
        (CLOSURES, {}),
    ]


def test_reads_need_a_token_and_a_known_role(cal: Cal) -> None:
    closure = cal.close("2026-06-03", "AMS").json()
    calls = [*_read_calls(), (f"{CLOSURES}/{closure['id']}", {})]
    for url, params in calls:
        _problem(cal.client.get(url, params=params), 401)
        _problem(cal.client.get(url, params=params, headers=cal.as_()), 403)
        _problem(cal.client.get(url, params=params, headers=cal.as_("superuser")), 403)
        app = Tokens.header(cal.tokens.app("agency-x", "claims:register"))
        _problem(cal.client.get(url, params=params, headers=app), 403)
        for role in READERS:
            r = cal.client.get(url, params=params, headers=cal.as_(role, office="RTD"))
            assert r.status_code == 200, (url, role, r.text)


def test_writes_need_a_token(cal: Cal) -> None:
    _problem(cal.client.post(CLOSURES, json=_body()), 401)
    _problem(cal.client.delete(f"{CLOSURES}/{uuid.uuid4()}"), 401)
    expired = Tokens.header(cal.tokens.expired("admin"))
    _problem(cal.client.post(CLOSURES, json=_body(), headers=expired), 401)


@pytest.mark.parametrize("role", NON_WRITERS)
def test_other_roles_may_not_write(cal: Cal, role: str) -> None:
    closure = cal.close("2026-06-03", "AMS").json()
    headers = cal.as_(role, office="AMS")
    _problem(cal.client.post(CLOSURES, json=_body(date="2026-06-04"), headers=headers), 403)
    _problem(cal.client.delete(f"{CLOSURES}/{closure['id']}", headers=headers), 403)
    app = Tokens.header(cal.tokens.app("agency-x", "claims:register"))
    _problem(cal.client.post(CLOSURES, json=_body(date="2026-06-04"), headers=app), 403)
    assert cal.count("calendar_closures") == 1


def test_team_lead_manages_only_own_office_and_admin_everything(cal: Cal) -> None:
    ams, rtd, nobody = cal.lead("AMS"), cal.lead("RTD"), cal.lead(None)
    # Create.
    _problem(cal.close("2026-06-03", "AMS", headers=rtd), 403)
    _problem(cal.close("2026-06-03", "AMS", headers=nobody), 403)
    _problem(cal.close("2026-06-03", None, headers=ams), 403)
    own = cal.close("2026-06-03", "AMS", headers=ams)
    assert own.status_code == 201, own.text
    national = cal.close("2026-06-04", None, headers=cal.admin)
    rtd_by_admin = cal.close("2026-06-04", "RTD", headers=cal.admin)
    assert (national.status_code, rtd_by_admin.status_code) == (201, 201)
    # Delete.
    own_url = f"{CLOSURES}/{own.json()['id']}"
    national_url = f"{CLOSURES}/{national.json()['id']}"
    _problem(cal.client.delete(own_url, headers=rtd), 403)
    _problem(cal.client.delete(national_url, headers=ams), 403)
    assert cal.client.delete(own_url, headers=ams).status_code == 204
    assert (
        cal.client.delete(f"{CLOSURES}/{rtd_by_admin.json()['id']}", headers=rtd).status_code == 204
    )
    assert cal.client.delete(national_url, headers=cal.admin).status_code == 204
    assert cal.count("calendar_closures") == 0
    actions = [(a["action"], a["actor"]) for a in cal.audit()]
    assert actions == [
        ("closure.create", "lead-AMS"),
        ("closure.create", "admin-1"),
        ("closure.create", "admin-1"),
        ("closure.delete", "lead-AMS"),
        ("closure.delete", "lead-RTD"),
        ("closure.delete", "admin-1"),
    ]
