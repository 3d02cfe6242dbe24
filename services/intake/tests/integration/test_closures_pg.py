"""Closures block booking (issue 12, item 2 and its acceptance test), through the API on PostgreSQL.

Slots are placed on the working days D1..D3 after today. With the 5-working-day deadline each
of those weekdays occurs once between now and the deadline, so slot counts are exact.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from intake.agendas.rules import local_day, local_to_utc
from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.intake import add_roster_coach, intake_on_pg
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1, D2, D3 = (WorkingDays().add_working_days(TODAY, n) for n in (1, 2, 3))
POSTCODES = {"AMS": "1011 AB", "ALK": "1811 AA"}


def _block(day: dt.date, start: str, end: str, office: str = "AMS") -> dict[str, Any]:
    return {"weekday": day.weekday(), "start_time": start, "end_time": end, "office_code": office}


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin", sub="admin-1")

    def lead(self, office: str = "AMS") -> dict[str, str]:
        return self.as_("team_lead", sub=f"lead-{office}", office=office)

    def coach_with(self, office: str, *blocks: dict[str, Any]) -> uuid.UUID:
        coach = add_roster_coach(self.container.engine, office)
        self.put_agenda(coach, office, *blocks)
        return coach

    def put_agenda(self, coach: uuid.UUID, office: str, *blocks: dict[str, Any]) -> None:
        r = self.client.put(
            f"/v1/coaches/{coach}/agenda", json={"blocks": list(blocks)}, headers=self.lead(office)
        )
        assert r.status_code == 200, r.text

    def register(self, office: str = "AMS") -> str:
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": "Noor",
            "family_name": "Smit",
            "date_of_birth": "1990-02-02",
            "first_ww_day": TODAY.isoformat(),
            "postcode": POSTCODES[office],
        }
        r = self.client.post("/v1/claims", json=body, headers=self.as_("benefits_officer"))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def close(self, day: dt.date, office: str | None, headers: dict[str, str]) -> dict[str, Any]:
        r = self.client.post(
            "/v1/calendar/closures",
            json={"date": day.isoformat(), "office_code": office, "reason": "Stormschade"},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result

    def appointments(self, claim_id: str) -> list[dict[str, Any]]:
        r = self.client.get(f"/v1/claims/{claim_id}/appointments", headers=self.admin)
        assert r.status_code == 200, r.text
        rows: list[dict[str, Any]] = r.json()
        return rows

    def active(self, claim_id: str) -> list[dict[str, Any]]:
        return [a for a in self.appointments(claim_id) if a["status"] in ("booked", "rescheduled")]

    def capacity(self, office: str, start: dt.date, end: dt.date) -> dict[str, int]:
        r = self.client.get(
            f"/v1/offices/{office}/capacity",
            params={"from": start.isoformat(), "to": end.isoformat()},
            headers=self.as_("coach", office=office),
        )
        assert r.status_code == 200, r.text
        return {d["date"]: d["free_slots"] for d in r.json()["days"]}

    def unplanned(self, office: str = "AMS") -> set[str]:
        r = self.client.get(f"/v1/offices/{office}/unplanned", headers=self.lead(office))
        assert r.status_code == 200, r.text
        return {i["claim_id"] for i in r.json()["items"]}

    def plan_available(self, office: str, day: dt.date) -> int:
        r = self.client.post(
            "/v1/planning/intake-capacity",
            json={
                "offices": [
                    {"office_code": office, "days": [{"date": D1.isoformat(), "registrations": 1}]}
                ]
            },
            headers=self.admin,
        )
        assert r.status_code == 200, r.text
        (plan,) = r.json()["offices"]
        return sum(d["available_slots"] for d in plan["days"] if d["date"] == day.isoformat())

    def run_planning(self) -> dict[str, Any]:
        r = self.client.post("/v1/admin/planning/run", headers=self.admin)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0])["data"] for r in rows]

    def open_slot_starts(self, office: str, day: dt.date) -> list[str]:
        rows = self.sql(
            "SELECT starts_at FROM slots WHERE office_code = :o AND state = 'open' "
            "AND starts_at >= :a AND starts_at < :b ORDER BY starts_at",
            o=office,
            a=local_to_utc(day, dt.time(0)),
            b=local_to_utc(day + dt.timedelta(days=1), dt.time(0)),
        )
        # The local time of day: the same agenda at two offices gives the same list.
        return [r[0].astimezone(local_to_utc(day, dt.time(0)).tzinfo).isoformat() for r in rows]


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    c = intake_on_pg(pg, state_dir)
    yield Intake(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        random.Random(12),
    )
    c.stop()


def _day_of(appointment: dict[str, Any]) -> dt.date:
    return local_day(dt.datetime.fromisoformat(appointment["starts_at"]))


def test_closure_rebooks_or_lists_every_appointment_and_the_day_has_no_capacity(
    intake: Intake,
) -> None:
    """The acceptance test: appointments on a day, the closure added through the calendar API."""
    intake.coach_with(
        "AMS",
        _block(D1, "09:00", "12:00"),
        _block(D2, "09:00", "10:00"),
        _block(D3, "09:00", "10:00"),
    )
    claims = [intake.register() for _ in range(3)]
    booked = {c: intake.active(c)[0] for c in claims}
    assert {_day_of(a) for a in booked.values()} == {D1}
    assert intake.capacity("AMS", D1, D3) == {
        D1.isoformat(): 0,
        D2.isoformat(): 1,
        D3.isoformat(): 1,
    }

    closure = intake.close(D1, "AMS", intake.lead("AMS"))

    assert closure["effect"] == {
        "slots_withdrawn": 3,
        "appointments_cancelled": 3,
        "appointments_rebooked": 2,
        "appointments_unplanned": 1,
    }
    # Every appointment of the day is cancelled by the service, and told so.
    cancelled = intake.events("intake.cancelled")
    assert sorted(e["appointment_id"] for e in cancelled) == sorted(
        a["id"] for a in booked.values()
    )
    assert {(e["by"], e["reason_code"]) for e in cancelled} == {("service", "office_closed")}
    for claim, old in booked.items():
        (row,) = [a for a in intake.appointments(claim) if a["id"] == old["id"]]
        assert row["status"] == "cancelled_by_service"
    # Each claim is rebooked on another day before its deadline, or listed with a shortfall.
    rebooked = {c: intake.active(c) for c in claims}
    moved = [c for c, rows in rebooked.items() if rows]
    listed = [c for c, rows in rebooked.items() if not rows]
    assert len(moved) == 2
    assert len(listed) == 1
    assert {_day_of(rebooked[c][0]) for c in moved} == {D2, D3}
    assert all(
        _day_of(rebooked[c][0]) <= dt.date.fromisoformat(booked[c]["deadline"]) for c in moved
    )
    scheduled_after = [e for e in intake.events("intake.scheduled") if e["claim_id"] in moved]
    assert len(scheduled_after) == 2 + 2  # the first booking of each, and the rebooking
    assert intake.unplanned() == set(listed)
    shortfalls = intake.events("intake.capacity_shortfall")
    assert [e["claim_id"] for e in shortfalls] == listed
    # Capacity views stop counting the day.
    assert intake.capacity("AMS", D1, D1) == {D1.isoformat(): 0}
    assert intake.plan_available("AMS", D1) == 0
    # Audited: the closure with its counts, each cancellation and each rebooking.
    audit = intake.sql("SELECT action, new_values FROM audit_log ORDER BY occurred_at")
    actions = [a for a, _ in audit]
    assert actions.count("appointment.cancel_by_service") == 3
    assert actions.count("appointment.book") == 3 + 2
    (created,) = [n for a, n in audit if a == "closure.create"]
    assert created["appointments_unplanned"] == 1

    # A new registration is never booked on the closed day, not even after the agenda is
    # regenerated and the planning run rolls the slots forward.
    # (Its deadline counts the closure, so it may reach next week's block of that weekday.)
    late = intake.register()
    assert [_day_of(a) for a in intake.active(late) if _day_of(a) == D1] == []
    intake.run_planning()
    coach = intake.sql("SELECT coach_id FROM agendas")[0][0]
    intake.put_agenda(
        coach,
        "AMS",
        _block(D1, "09:00", "12:00"),
        _block(D2, "09:00", "10:00"),
        _block(D3, "09:00", "10:00"),
    )
    assert intake.open_slot_starts("AMS", D1) == []
    on_d1 = intake.sql(
        "SELECT count(*) FROM appointments WHERE status IN ('booked', 'rescheduled') "
        "AND starts_at >= :a AND starts_at < :b",
        a=local_to_utc(D1, dt.time(0)),
        b=local_to_utc(D1 + dt.timedelta(days=1), dt.time(0)),
    )
    assert on_d1 == [(0,)]

    # Removing the closure gives the day its slots again; waiting claims are booked into them,
    # the cancelled appointments stay cancelled.
    r = intake.client.delete(f"/v1/calendar/closures/{closure['id']}", headers=intake.lead("AMS"))
    assert r.status_code == 204, r.text
    assert intake.unplanned() == set()
    assert {_day_of(intake.active(c)[0]) for c in listed} == {D1}
    assert intake.capacity("AMS", D1, D1) == {D1.isoformat(): 2}
    for claim, old in booked.items():
        (row,) = [a for a in intake.appointments(claim) if a["id"] == old["id"]]
        assert row["status"] == "cancelled_by_service"
    (deleted,) = [
        n
        for a, n in intake.sql("SELECT action, new_values FROM audit_log")
        if a == "closure.delete"
    ]
    assert deleted == {"unplanned_booked": 1}


def test_closure_before_or_after_slot_generation_gives_the_same_slots(intake: Intake) -> None:
    blocks = [("09:00", "12:00"), ("13:00", "15:00")]
    # ALK: closed first, then the agenda generates its slots.
    intake.close(D2, "ALK", intake.admin)
    intake.coach_with("ALK", *(_block(d, s, e, "ALK") for d in (D1, D2, D3) for s, e in blocks))
    # AMS (out of ALK's reach): the agenda first, then the closure.
    intake.coach_with("AMS", *(_block(d, s, e, "AMS") for d in (D1, D2, D3) for s, e in blocks))
    assert intake.capacity("AMS", D2, D2) == {D2.isoformat(): 5}
    effect = intake.close(D2, "AMS", intake.lead("AMS"))["effect"]
    assert effect == {
        "slots_withdrawn": 5,
        "appointments_cancelled": 0,
        "appointments_rebooked": 0,
        "appointments_unplanned": 0,
    }

    def same() -> None:
        assert intake.capacity("AMS", D1, D3) == intake.capacity("ALK", D1, D3)
        assert intake.capacity("AMS", D2, D2) == {D2.isoformat(): 0}
        for day in (D1, D2, D3):
            assert intake.open_slot_starts("AMS", day) == intake.open_slot_starts("ALK", day)
        assert intake.plan_available("AMS", D2) == intake.plan_available("ALK", D2) == 0
        assert intake.plan_available("AMS", D3) == intake.plan_available("ALK", D3) == 5

    same()
    # A slot generation run after the closure does not recreate the day's slots.
    intake.run_planning()
    for office in ("AMS", "ALK"):
        coach = intake.sql(
            "SELECT DISTINCT coach_id FROM agenda_blocks WHERE office_code = :o", o=office
        )[0][0]
        intake.put_agenda(
            coach, office, *(_block(d, s, e, office) for d in (D1, D2, D3) for s, e in blocks)
        )
    same()


def test_a_national_closure_rebooks_at_every_office(intake: Intake) -> None:
    intake.coach_with("AMS", _block(D1, "09:00", "10:00"), _block(D2, "09:00", "10:00"))
    intake.coach_with(
        "ALK", _block(D1, "09:00", "10:00", "ALK"), _block(D2, "09:00", "10:00", "ALK")
    )
    ams, alk = intake.register("AMS"), intake.register("ALK")
    assert {_day_of(intake.active(c)[0]) for c in (ams, alk)} == {D1}
    # Only an admin declares a national closure.
    r = intake.client.post(
        "/v1/calendar/closures",
        json={"date": D1.isoformat(), "office_code": None, "reason": "Nationale rouwdag"},
        headers=intake.lead("AMS"),
    )
    assert r.status_code == 403, r.text
    assert intake.events("intake.cancelled") == []

    effect = intake.close(D1, None, intake.admin)["effect"]
    assert effect == {
        "slots_withdrawn": 2,
        "appointments_cancelled": 2,
        "appointments_rebooked": 2,
        "appointments_unplanned": 0,
    }
    assert {_day_of(intake.active(c)[0]) for c in (ams, alk)} == {D2}
    assert intake.capacity("AMS", D1, D1) == intake.capacity("ALK", D1, D1) == {D1.isoformat(): 0}
