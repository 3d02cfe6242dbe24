"""Intake capacity planning on PostgreSQL (issue 3, item 11).

The plan is asked for a fortnight of plain working days (`M0` = its first Monday, found
from today). One AMS coach has an agenda of Mondays 09:00-12:00 (slots at 9, 10 and 11)
and Wednesdays 09:00-11:00 (9 and 10); one slot is 45 + 15 minutes = 1 coach-hour.
Expected registrations: 4 on Monday, 3 on Wednesday, 2 on Friday of the first week; each
must be held in the 5 working days after its registration day. Worked out by hand:

- the agendas give 10 slots, but Monday M0's 3 come before anything can be held: 7 for 9
  registrations. Earliest deadline first: Monday's on W0 (2) and M1 (2), Wednesday's on
  M1 (1) and W1 (2), and Friday's 2 find nothing by their deadline, Friday F1: a shortfall
  of 2 on F1;
- one slot every working day from Tuesday T0 to F1 holds all 9 in time (4 + 3 + 2), so the
  need is 1 a day and the peak is 1.
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
from sqlalchemy import text

from intake.agendas.rules import local_to_utc
from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.intake import add_roster_coach, intake_on_pg
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

URL = "/v1/planning/intake-capacity"
TODAY = local_today()


def _fortnight() -> dt.date:
    """The first Monday after today starting two weeks without holidays."""
    wd = WorkingDays()
    monday = TODAY + dt.timedelta(days=7 - TODAY.weekday())
    while not all(
        wd.is_working_day(monday + dt.timedelta(days=i)) for i in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)
    ):
        monday += dt.timedelta(days=7)
    return monday


M0 = _fortnight()


def day(i: int) -> dt.date:
    """M0 + i days (0 = Monday M0, 2 = W0, 4 = F0, 7 = M1, 9 = W1, 11 = F1)."""
    return M0 + dt.timedelta(days=i)


def iso(i: int) -> str:
    return day(i).isoformat()


FORECAST = {
    "office_code": "AMS",
    "days": [
        {"date": iso(0), "registrations": 4},
        {"date": iso(2), "registrations": 3},
        {"date": iso(4), "registrations": 2},
    ],
}


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    coach_id: uuid.UUID

    def as_(self, *roles: str, office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=f"user-{uuid.uuid4()}", office=office))

    def plan(self, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.client.post(URL, json=body, headers=headers or self.as_("admin"))

    def ok(self, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
        r = self.plan(body, headers)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    c = intake_on_pg(pg, state_dir)
    coach_id = add_roster_coach(c.engine)
    it = Intake(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        coach_id,
    )
    blocks = [
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00", "office_code": "AMS"},
        {"weekday": 2, "start_time": "09:00", "end_time": "11:00", "office_code": "AMS"},
    ]
    r = it.client.put(
        f"/v1/coaches/{coach_id}/agenda",
        json={"blocks": blocks},
        headers=it.as_("team_lead", office="AMS"),
    )
    assert r.status_code == 200, r.text
    yield it
    c.stop()


def _rows(office: dict[str, Any]) -> list[tuple[int, int, int, int, int]]:
    return [
        (
            (dt.date.fromisoformat(d["date"]) - M0).days,
            d["registrations"],
            d["needed_slots"],
            d["available_slots"],
            d["shortfall_slots"],
        )
        for d in office["days"]
    ]


def _fields(r: httpx.Response) -> set[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in r.json()["errors"]}


# The numbers -------------------------------------------------------------------------------


def test_need_capacity_and_shortfall_per_day_and_week(intake: Intake) -> None:
    rtd = {"office_code": "RTD", "days": [{"date": iso(0), "registrations": 1}]}
    body = intake.ok({"offices": [FORECAST, rtd]})
    assert (body["slot_minutes"], body["buffer_minutes"], body["coach_hours_per_slot"]) == (
        45,
        15,
        1.0,
    )
    assert body["deadline_working_days"] == 5
    ams, rtd_plan = body["offices"]
    assert ams["office_code"] == "AMS"
    # (day, registrations, needed, available, shortfall); days 5 and 6 are the weekend.
    assert _rows(ams) == [
        (0, 4, 0, 3, 0),
        (1, 0, 1, 0, 0),
        (2, 3, 1, 2, 0),
        (3, 0, 1, 0, 0),
        (4, 2, 1, 0, 0),
        (5, 0, 0, 0, 0),
        (6, 0, 0, 0, 0),
        (7, 0, 1, 3, 0),
        (8, 0, 1, 0, 0),
        (9, 0, 1, 2, 0),
        (10, 0, 1, 0, 0),
        (11, 0, 1, 0, 2),
    ]
    assert [d["is_working_day"] for d in ams["days"]][4:8] == [True, False, False, True]
    assert (ams["registrations"], ams["peak_needed_slots_per_day"]) == (9, 1)
    assert (ams["shortfall_slots"], ams["shortfall_coach_hours"]) == (2, 2.0)
    assert ams["days"][11]["shortfall_coach_hours"] == 2.0
    assert ams["days"][0]["available_coach_hours"] == 3.0
    weeks = [
        (w["registrations"], w["needed_slots"], w["available_slots"], w["shortfall_slots"])
        for w in ams["weeks"]
    ]
    assert weeks == [(9, 4, 5, 0), (0, 5, 5, 2)]
    assert ams["weeks"][0]["week_start"] == iso(0)
    assert ams["weeks"][1]["needed_coach_hours"] == 5.0

    # RTD has no agenda: Monday's registration is short on its deadline, Monday M1.
    assert rtd_plan["office_code"] == "RTD"
    assert _rows(rtd_plan) == [
        (0, 1, 0, 0, 0),
        (1, 0, 1, 0, 0),
        (2, 0, 0, 0, 0),
        (3, 0, 0, 0, 0),
        (4, 0, 0, 0, 0),
        (5, 0, 0, 0, 0),
        (6, 0, 0, 0, 0),
        (7, 0, 0, 0, 1),
    ]
    totals = [
        (w["registrations"], w["needed_slots"], w["available_slots"], w["shortfall_slots"])
        for w in body["weeks"]
    ]
    assert totals == [(10, 5, 5, 0), (0, 5, 5, 3)]


def test_available_slots_match_the_office_capacity_endpoint(intake: Intake) -> None:
    body = intake.ok({"offices": [FORECAST]})
    agenda = intake.client.get(
        f"/v1/coaches/{intake.coach_id}/agenda", headers=intake.as_("admin")
    ).json()
    last = min(day(11), dt.date.fromisoformat(agenda["slots_until"]))
    capacity = intake.client.get(
        "/v1/offices/AMS/capacity",
        params={"from": iso(0), "to": last.isoformat()},
        headers=intake.as_("admin"),
    ).json()
    generated = {d["date"]: d["free_slots"] for d in capacity["days"]}
    planned = {d["date"]: d["available_slots"] for d in body["offices"][0]["days"]}
    assert generated, "the slot horizon should reach the fortnight"
    assert {k: planned[k] for k in generated} == generated


def test_booked_intakes_and_leave_reduce_the_free_capacity(intake: Intake) -> None:
    # An intake booked in the 10:00 slot of M0, and leave on Wednesday W1.
    (slot_id,) = intake.sql(
        "SELECT id FROM slots WHERE coach_id = :c AND starts_at = :s",
        c=intake.coach_id,
        s=local_to_utc(day(0), dt.time(10)),
    )[0]
    claim_id = uuid.uuid4()
    intake.sql(
        "INSERT INTO claims (id, bsn_ciphertext, bsn_hash, status, first_ww_day, postcode, "
        "office_code, channel, registered_by, registered_at, no_show_count) VALUES (:id, "
        "'\\x00', 'h', 'open', :d, '1011 AB', 'AMS', 'staff', 't', now(), 0)",
        id=claim_id,
        d=TODAY,
    )
    intake.sql(
        "INSERT INTO appointments (id, claim_id, slot_id, coach_id, office_code, starts_at, "
        "ends_at, status, deadline, booked_at, summoned) SELECT :id, :claim, id, coach_id, "
        "office_code, starts_at, ends_at, 'booked', :d, now(), false FROM slots WHERE id = :slot",
        id=uuid.uuid4(),
        claim=claim_id,
        d=day(0),
        slot=slot_id,
    )
    r = intake.client.post(
        f"/v1/coaches/{intake.coach_id}/agenda/exceptions",
        json={"start_date": iso(9), "end_date": iso(9), "kind": "leave"},
        headers=intake.as_("team_lead", office="AMS"),
    )
    assert r.status_code == 201, r.text
    (ams,) = intake.ok({"offices": [FORECAST]})["offices"]
    rows = {i: (available, shortfall) for i, _, _, available, shortfall in _rows(ams)}
    assert rows[0] == (2, 0)
    assert rows[9] == (0, 2)  # Wednesday's registrations miss their deadline W1
    assert rows[11] == (0, 2)
    assert ams["shortfall_slots"] == 4
    capacity = intake.client.get(
        "/v1/offices/AMS/capacity",
        params={"from": iso(0), "to": iso(0)},
        headers=intake.as_("admin"),
    ).json()
    assert capacity["free_slots"] == 2


def test_a_deactivated_coach_offers_nothing(intake: Intake) -> None:
    intake.sql("UPDATE roster_coaches SET active = false WHERE id = :c", c=intake.coach_id)
    (ams,) = intake.ok({"offices": [FORECAST]})["offices"]
    assert sum(d["available_slots"] for d in ams["days"]) == 0
    assert ams["shortfall_slots"] == 9


# Access ----------------------------------------------------------------------------------------


def test_team_lead_plans_only_for_their_own_office(intake: Intake) -> None:
    lead = intake.as_("team_lead", office="AMS")
    assert intake.plan({"offices": [FORECAST]}, lead).status_code == 200
    rtd = {"office_code": "RTD", "days": [{"date": iso(0), "registrations": 1}]}
    for body in ({"offices": [rtd]}, {"offices": [FORECAST, rtd]}):
        r = intake.plan(body, lead)
        assert r.status_code == 403, r.text
        assert r.json()["type"] == "urn:ww:problem:forbidden"
    no_office = intake.plan({"offices": [FORECAST]}, intake.as_("team_lead"))
    assert no_office.status_code == 403


def test_benefits_officers_and_admins_plan_for_any_office(intake: Intake) -> None:
    rtd = {"office_code": "RTD", "days": [{"date": iso(0), "registrations": 1}]}
    officer = intake.as_("benefits_officer")
    assert intake.plan({"offices": [FORECAST, rtd]}, officer).status_code == 200
    assert intake.plan({"offices": [rtd]}, intake.as_("admin")).status_code == 200


@pytest.mark.parametrize("role", ["coach", "claimant", "triage_analyst"])
def test_other_roles_are_403(intake: Intake, role: str) -> None:
    r = intake.plan({"offices": [FORECAST]}, intake.as_(role, office="AMS"))
    assert r.status_code == 403, r.text


def test_no_token_is_401(intake: Intake) -> None:
    r = intake.client.post(URL, json={"offices": [FORECAST]})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


# Bad input ---------------------------------------------------------------------------------


def _one(office: str = "AMS", **day_fields: Any) -> dict[str, Any]:
    return {
        "offices": [
            {"office_code": office, "days": [{"date": iso(0), "registrations": 1, **day_fields}]}
        ]
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_one("XYZ"), "offices.0.office_code"),
        ({"offices": [FORECAST, FORECAST]}, "offices.1.office_code"),
        (_one(date=TODAY.isoformat()), "offices.0.days.0.date"),
        (_one(date=(TODAY - dt.timedelta(days=3)).isoformat()), "offices.0.days.0.date"),
        (_one(date=(TODAY + dt.timedelta(days=93)).isoformat()), "offices.0.days.0.date"),
        (_one(date="2026-02-30"), "offices.0.days.0.date"),
        (_one(registrations=-1), "offices.0.days.0.registrations"),
        (_one(registrations=100_001), "offices.0.days.0.registrations"),
        (_one(registrations="many"), "offices.0.days.0.registrations"),
        (_one(extra=1), "offices.0.days.0.extra"),
        (
            {
                "offices": [
                    {"office_code": "AMS", "days": [{"date": iso(0), "registrations": 1}] * 2}
                ]
            },
            "offices.0.days.1.date",
        ),
        ({"offices": []}, "offices"),
        ({"offices": [{"office_code": "AMS", "days": []}]}, "offices.0.days"),
        (
            {
                "offices": [
                    {
                        "office_code": "AMS",
                        "days": [
                            {"date": (TODAY + dt.timedelta(days=i)).isoformat(), "registrations": 1}
                            for i in range(1, 94)
                        ],
                    }
                ]
            },
            "offices.0.days",
        ),
        (
            {"offices": [{"office_code": "", "days": [{"date": iso(0), "registrations": 1}]}]},
            "offices.0.office_code",
        ),
        ({}, "offices"),
    ],
)
def test_bad_input_is_422_naming_the_field(intake: Intake, body: Any, field: str) -> None:
    assert _fields(intake.plan(body)) == {field}


def test_malformed_json_is_400(intake: Intake) -> None:
    r = intake.client.post(
        URL,
        content=b"{not json",
        headers={**intake.as_("admin"), "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["type"] == "urn:ww:problem:malformed-json"
