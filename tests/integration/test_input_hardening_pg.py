"""Issue 13 items 2, 5 and 8a on PostgreSQL: bad bytes and out-of-range values are a 422
naming the field, never a 500; a 422 never echoes the rejected value; no SQL parameter
reaches a log line (ADR 0024).

Each request carries a valid token of a role that may call the route, so the request gets
past authorisation and reaches the schema: on main these went to the database and came
back as a 500 whose log carried the statement's parameters.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

NUL = "a\u0000b"
MARKER = "Zwanenburg-7731"  # a value that must never come back in a 422
TODAY = local_today()
REASON = "labour_market_knowledge"


@dataclass
class App:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def as_(self, *roles: str, office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=str(uuid.uuid4()), office=office))


@pytest.fixture(scope="module")
def apps(pg: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, App]]:
    state_dir: Path = tmp_path_factory.mktemp("hardening")
    out: dict[str, App] = {}
    for name in ("intake", "triage", "coaching", "starters"):
        c = build_container(
            name,
            database_url=pg.create(name),
            transport="embedded",
            broker=EmbeddedBroker(),
            state_dir=state_dir,
            log_level="WARNING",
        )
        out[name] = App(
            c,
            TestClient(build_app(c, manage_lifecycle=False)),
            Tokens(state_dir / "dev-jwt-key.pem"),
        )
    yield out
    for a in out.values():
        a.container.stop()


def _claim(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bsn": "111222333",
        "given_name": "Annemarie",
        "family_name": "Oudshoorn",
        "date_of_birth": "1984-02-29",
        "email": "annemarie.oudshoorn@example.nl",
        "phone": "06-1234 5678",
        "preferred_language": "nl",
        "first_ww_day": TODAY.isoformat(),
        "postcode": "1011 AB",
        "sector": "retail",
    }
    body.update(changes)
    return body


def _assert_422(r: httpx.Response, field: str, *, location: str | None = None) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = r.json()["errors"]
    assert field in [e["field"] for e in errors], r.text
    if location is not None:
        assert {e["location"] for e in errors if e["field"] == field} == {location}, r.text
    # The errors name the field; they never repeat the value (the `instance` is the path).
    assert "\u0000" not in repr(errors)
    assert "\\u0000" not in repr(errors)


# --- item 2: NUL and control characters -------------------------------------------------------


def test_nul_in_a_claims_sector_and_names_is_422(apps: dict[str, App]) -> None:
    intake = apps["intake"]
    for field in ("sector", "family_name", "given_name", "email", "last_employer"):
        r = intake.client.post(
            "/v1/claims", json=_claim(**{field: NUL}), headers=intake.as_("benefits_officer")
        )
        _assert_422(r, field, location="body")
    assert intake.client.post(
        "/v1/claims", json=_claim(), headers=intake.as_("benefits_officer")
    ).status_code in (201, 202)


@pytest.mark.parametrize("char", ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\n", "\t"])
def test_control_characters_in_a_single_line_field_are_422(apps: dict[str, App], char: str) -> None:
    coaching = apps["coaching"]
    body = {"display_name": f"Sanne{char}de Boer", "office_code": "AMS", "contract_hours": 32}
    r = coaching.client.post("/v1/coaches", json=body, headers=coaching.as_("admin"))
    _assert_422(r, "display_name")


def test_a_lone_surrogate_is_422_not_an_encoding_500(apps: dict[str, App]) -> None:
    coaching = apps["coaching"]
    raw = b'{"display_name": "Sanne \\ud800", "office_code": "AMS", "contract_hours": 32}'
    r = coaching.client.post(
        "/v1/coaches",
        content=raw,
        headers={**coaching.as_("admin"), "Content-Type": "application/json"},
    )
    _assert_422(r, "display_name")


def test_multi_line_free_text_keeps_line_breaks_but_not_nul(apps: dict[str, App]) -> None:
    coaching = apps["coaching"]
    admin = coaching.as_("admin")
    body = {"display_name": "Sanne de Boer", "office_code": "AMS", "contract_hours": 32}
    r = coaching.client.post("/v1/coaches", json=body, headers=admin)
    assert r.status_code == 201, r.text
    coach_id = r.json()["id"]
    r = coaching.client.post(
        f"/v1/coaches/{coach_id}/deactivate", json={"reason": NUL + " left"}, headers=admin
    )
    _assert_422(r, "reason")
    r = coaching.client.post(
        f"/v1/coaches/{coach_id}/deactivate",
        json={"reason": "left the team\r\n\tend of contract"},
        headers=admin,
    )
    assert r.status_code == 200, r.text


def test_nul_in_notes_and_reasons_is_422(apps: dict[str, App]) -> None:
    coaching, triage, intake = apps["coaching"], apps["triage"], apps["intake"]
    claim = uuid.uuid4()  # the schema refuses before anything is looked up
    lead = coaching.as_("team_lead", office="AMS")
    r = coaching.client.post(
        f"/v1/cases/{claim}/close", json={"result": "other", "note": NUL}, headers=lead
    )
    _assert_422(r, "note")
    r = triage.client.post(
        f"/v1/claims/{claim}/override",
        json={"segment": "personal", "reason_category": REASON, "reason_text": f"because {NUL}"},
        headers=triage.as_("triage_analyst"),
    )
    _assert_422(r, "reason_text")
    r = intake.client.post(
        f"/v1/claims/{claim}/withdraw",
        json={"reason": "other", "reason_text": NUL},
        headers=intake.as_("benefits_officer"),
    )
    _assert_422(r, "reason_text")


def test_nul_in_a_vacancy_title_is_422(apps: dict[str, App]) -> None:
    coaching = apps["coaching"]
    r = coaching.client.post(
        "/v1/partner-clients",
        json={"name": "Uitzendbureau Snel", "scopes": ["vacancies:write"]},
        headers=coaching.as_("admin"),
    )
    assert r.status_code == 201, r.text
    data = r.json()
    r = coaching.client.post(
        "/partner/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": data["client_id"],
            "client_secret": data["client_secret"],
        },
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text
    agency = {"Authorization": f"Bearer {r.json()['access_token']}"}
    vacancy = {
        "title": f"Magazijn{NUL}medewerker",
        "sector": "logistics",
        "postcode": "1011 AB",
        "hours_per_week": 32,
        "skills": ["heftruck"],
    }
    r = coaching.client.post("/partner/v1/vacancies", json=vacancy, headers=agency)
    _assert_422(r, "title", location="body")


@pytest.mark.parametrize(
    ("service", "path", "param", "roles"),
    [
        ("intake", "/v1/claims", "family_name", ("benefits_officer",)),
        ("intake", "/v1/claims", "office_code", ("benefits_officer",)),
        ("coaching", "/v1/coaches", "office_code", ("admin",)),
        ("intake", "/v1/calendar/closures", "office_code", ("admin",)),
    ],
)
def test_nul_in_a_query_parameter_is_422_naming_it(
    apps: dict[str, App], service: str, path: str, param: str, roles: tuple[str, ...]
) -> None:
    app = apps[service]
    for value in ("a\x00b", "a\nb", "a\x1bb"):
        r = app.client.get(path, params={param: value}, headers=app.as_(*roles))
        _assert_422(r, param, location="query")
    assert app.client.get(path, params={param: "AMS"}, headers=app.as_(*roles)).status_code == 200


def test_nul_in_a_path_parameter_is_422_naming_it(apps: dict[str, App]) -> None:
    intake = apps["intake"]
    r = intake.client.get(
        "/v1/offices/A%00B/capacity",
        params={"from": TODAY.isoformat(), "to": TODAY.isoformat()},
        headers=intake.as_("admin"),
    )
    _assert_422(r, "office_code", location="path")


def test_a_database_error_logs_no_statement_parameters(
    apps: dict[str, App], caplog: pytest.LogCaptureFixture
) -> None:
    """The schema catches NUL now; a database error that still happens (here: forced by
    writing NUL past the schema) is logged by type, SQLSTATE and frames, never its
    parameters, and answers without them."""
    from sqlalchemy import text
    from sqlalchemy.exc import DataError

    intake = apps["intake"]
    secret = "Oudshoorn-\u0000-1984-02-29"
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(DataError) as info:
            with intake.container.engine.begin() as conn:
                conn.execute(text("SELECT CAST(:x AS text)"), {"x": secret})
    assert "Oudshoorn" not in str(info.value)  # hide_parameters on the engine
    assert "hidden" in str(info.value)

    # Over HTTP: the handler answers 422/503/500 without the parameters and logs none.
    from shared.logging import safe_error_fields

    fields = safe_error_fields(info.value)
    assert "Oudshoorn" not in repr(fields)
    assert fields["error_type"] == "DataError"
    assert "Oudshoorn" not in caplog.text


# --- item 5: values that reached a 500 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "bad"),
    [
        ("09:00+02:00", "12:00", ["start_time"]),
        ("09:00", "12:00Z", ["end_time"]),
        ("09:00+02:00", "12:00+02:00", ["start_time", "end_time"]),
    ],
)
def test_unavailable_times_with_an_offset_are_422(
    apps: dict[str, App], start: str, end: str, bad: list[str]
) -> None:
    intake = apps["intake"]
    body = _claim(unavailable=[{"weekday": 1, "start_time": start, "end_time": end}])
    r = intake.client.post("/v1/claims", json=body, headers=intake.as_("benefits_officer"))
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == [f"unavailable.0.{name}" for name in bad], r.text


@pytest.mark.parametrize(
    ("start", "end"), [("09:00+01:00", "12:00"), ("09:00", "12:00Z"), ("09:00Z", "12:00Z")]
)
def test_agenda_times_with_an_offset_are_422(apps: dict[str, App], start: str, end: str) -> None:
    intake = apps["intake"]
    coach = uuid.uuid4()
    r = intake.client.put(
        f"/v1/coaches/{coach}/agenda",
        json={
            "blocks": [{"weekday": 0, "start_time": start, "end_time": end, "office_code": "AMS"}]
        },
        headers=intake.as_("admin"),
    )
    assert r.status_code == 422, r.text
    fields = {e["field"] for e in r.json()["errors"]}
    offset = [n for n, v in (("start_time", start), ("end_time", end)) if v[5:]]
    assert fields == {f"blocks.0.{n}" for n in offset}, r.text


@pytest.mark.parametrize(
    ("first_ww_day", "start", "field"),
    [
        ("2014-06-02", "2014-07-01", "first_ww_day"),
        ("9999-01-01", "9999-02-01", "first_ww_day"),
        ("2024-06-03", "2024-07-01", "first_ww_day"),  # before max_dagloon has a value
        ("2025-06-02", "9999-12-31", "start"),
    ],
)
def test_starters_simulation_dates_out_of_range_are_422(
    apps: dict[str, App], first_ww_day: str, start: str, field: str
) -> None:
    starters = apps["starters"]
    params = {
        "dagloon": "120",
        "first_ww_day": first_ww_day,
        "entitlement_months": 12,
        "start": start,
    }
    r = starters.client.get(
        "/v1/starters/simulation", params=params, headers=starters.as_("benefits_officer")
    )
    _assert_422(r, field, location="query")


def test_starters_simulation_within_range_still_answers(apps: dict[str, App]) -> None:
    starters = apps["starters"]
    params = {
        "dagloon": "120",
        "first_ww_day": "2025-01-06",
        "entitlement_months": 12,
        "start": "2025-02-03",
    }
    r = starters.client.get(
        "/v1/starters/simulation", params=params, headers=starters.as_("benefits_officer")
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("param", ["from", "to"])
def test_override_report_dates_out_of_range_are_422(
    apps: dict[str, App], day: str, param: str
) -> None:
    triage = apps["triage"]
    r = triage.client.get(
        "/v1/reports/overrides", params={param: day}, headers=triage.as_("triage_analyst")
    )
    _assert_422(r, param, location="query")


@pytest.mark.parametrize("hours", [5e-324, 1e-7, 0.5, 0, -2, 41])
def test_contract_hours_out_of_range_are_422(apps: dict[str, App], hours: float) -> None:
    coaching = apps["coaching"]
    body = {"display_name": "Sanne de Boer", "office_code": "AMS", "contract_hours": hours}
    r = coaching.client.post("/v1/coaches", json=body, headers=coaching.as_("admin"))
    _assert_422(r, "contract_hours")


def test_huge_integers_and_far_dates_in_a_body_are_422(apps: dict[str, App]) -> None:
    intake = apps["intake"]
    officer = intake.as_("benefits_officer")
    r = intake.client.post("/v1/claims", json=_claim(date_of_birth="0001-01-01"), headers=officer)
    _assert_422(r, "date_of_birth")
    r = intake.client.post("/v1/claims", json=_claim(first_ww_day="9999-12-31"), headers=officer)
    _assert_422(r, "first_ww_day")


# --- item 8a: a 422 never echoes the rejected value -------------------------------------------


def test_a_422_never_echoes_the_rejected_value(apps: dict[str, App]) -> None:
    intake, coaching = apps["intake"], apps["coaching"]
    officer = intake.as_("benefits_officer")
    bodies = [
        _claim(email=MARKER),
        _claim(postcode=MARKER),
        _claim(phone=MARKER),
        _claim(sector=MARKER),
        _claim(preferred_language=MARKER),
        _claim(date_of_birth=MARKER),
        _claim(bsn=MARKER),
        _claim(family_name=MARKER * 40),
    ]
    for body in bodies:
        r = intake.client.post("/v1/claims", json=body, headers=officer)
        assert r.status_code == 422, r.text
        assert MARKER not in r.text, r.text
        assert all(set(e) == {"field", "location", "message", "code"} for e in r.json()["errors"])
    r = intake.client.get("/v1/claims", params={"sort": MARKER}, headers=officer)
    assert r.status_code == 422, r.text
    assert MARKER not in r.text, r.text
    r = coaching.client.post(
        "/v1/coaches",
        json={"display_name": "x", "office_code": MARKER, "contract_hours": MARKER},
        headers=coaching.as_("admin"),
    )
    assert r.status_code == 422, r.text
    assert MARKER not in r.text, r.text


def test_dates_at_the_bounds_are_accepted(apps: dict[str, App]) -> None:
    intake = apps["intake"]
    officer = intake.as_("benefits_officer")
    r = intake.client.get("/v1/claims", params={"first_ww_day_from": "2100-12-31"}, headers=officer)
    assert r.status_code == 200, r.text
    r = intake.client.get("/v1/claims", params={"first_ww_day_from": "2101-01-01"}, headers=officer)
    _assert_422(r, "first_ww_day_from", location="query")
    r = intake.client.get(
        "/v1/claims", params={"registered_from": "9999-12-31T00:00:00Z"}, headers=officer
    )
    _assert_422(r, "registered_from", location="query")
