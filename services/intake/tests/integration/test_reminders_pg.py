"""Intake reminders and the iCalendar export on PostgreSQL (issue 3, item 9).

Decisions tested here:
- A reminder is due at 09:00 Europe/Amsterdam on the 2nd working day before the appointment,
  or at the booking when that is later; `emit_due_reminders` emits it once (`reminder_sent_at`)
  and never for an appointment that has started or is no longer active.
- A reschedule resets `reminder_sent_at`, so the new time is reminded again.
- `POST /v1/admin/reminders/run` (admin only) runs it now; a scheduler calls it.
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
from sqlalchemy.orm import Session

from intake.agendas.rules import local_to_utc
from intake.appointments import ics
from intake.appointments import reminders as service
from intake.appointments.rules import reminder_due_at
from intake.calendar.rules import WorkingDays
from intake.calendar.service import WorkingDayCalendar
from shared.clock import local_today
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.intake import add_roster_coach, intake_on_pg
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1 = WorkingDays().add_working_days(TODAY, 1)
LATER = WorkingDays().add_working_days(TODAY, 10)
ME = "claimant-noor"


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random
    coach_id: uuid.UUID

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def me(self) -> dict[str, str]:
        return self.as_("claimant", sub=ME)

    def register(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": "Noor",
            "family_name": "Smit",
            "date_of_birth": "1990-02-02",
            "first_ww_day": TODAY.isoformat(),
            "postcode": "1011 AB",
        }
        headers = self.tokens.signed_in(headers or self.me, body["bsn"])
        r = self.client.post("/v1/claims", json=body, headers=headers)
        assert r.status_code == 201, r.text
        listed = self.client.get(
            f"/v1/claims/{r.json()['id']}/appointments", headers=self.as_("admin")
        ).json()
        assert listed, "no slot was booked"
        return dict(listed[0])

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def events(self) -> list[dict[str, Any]]:
        rows = self.sql(
            "SELECT body FROM outbox WHERE event_type = 'intake.reminder_due' ORDER BY seq"
        )
        return [json.loads(r[0]) for r in rows]

    def move_to(self, appointment: dict[str, Any], starts_at: dt.datetime) -> None:
        """Put the appointment in a fresh slot of its coach at an arbitrary moment."""
        slot_id = uuid.uuid4()
        self.sql(
            "INSERT INTO slots (id, coach_id, office_code, starts_at, ends_at, state) "
            "VALUES (:id, :coach, 'AMS', :s, :e, 'open')",
            id=slot_id,
            coach=self.coach_id,
            s=starts_at,
            e=starts_at + dt.timedelta(minutes=45),
        )
        self.sql(
            "UPDATE appointments SET slot_id = :slot, starts_at = :s, ends_at = :e WHERE id = :id",
            slot=slot_id,
            s=starts_at,
            e=starts_at + dt.timedelta(minutes=45),
            id=uuid.UUID(appointment["id"]),
        )

    def run(self, now: dt.datetime) -> int:
        with self.container.uow() as uow:
            return service.emit_due_reminders(uow=uow, now=now)

    def rule(self, starts_at: dt.datetime) -> dt.datetime:
        with Session(self.container.engine) as s:
            return reminder_due_at(starts_at, WorkingDayCalendar(s), "AMS")


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    c = intake_on_pg(pg, state_dir)
    coach_id = add_roster_coach(c.engine)
    it = Intake(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        random.Random(11),
        coach_id,
    )
    block = {"weekday": D1.weekday(), "start_time": "09:00", "end_time": "12:00"}
    r = it.client.put(
        f"/v1/coaches/{coach_id}/agenda",
        json={"blocks": [{**block, "office_code": "AMS"}]},
        headers=it.as_("team_lead", sub="lead-AMS", office="AMS"),
    )
    assert r.status_code == 200, r.text
    yield it
    c.stop()


def test_due_selection_and_idempotence(intake: Intake) -> None:
    a = intake.register()
    b = intake.register(intake.as_("benefits_officer"))
    starts = local_to_utc(LATER, dt.time(10))
    intake.move_to(a, starts)
    intake.move_to(b, starts + dt.timedelta(hours=1))
    intake.sql("UPDATE appointments SET status = 'cancelled_by_service' WHERE id = :id", id=b["id"])
    due = intake.rule(starts)
    assert due.astimezone(dt.UTC) < starts - dt.timedelta(days=1)

    assert intake.run(due - dt.timedelta(minutes=1)) == 0
    assert intake.events() == []
    assert intake.run(due) == 1
    assert intake.run(due + dt.timedelta(hours=1)) == 0  # idempotent: nothing new
    (event,) = intake.events()
    data = event["data"]
    assert (data["appointment_id"], data["claim_id"], data["office_code"]) == (
        a["id"],
        a["claim_id"],
        "AMS",
    )
    assert dt.datetime.fromisoformat(data["starts_at"]) == starts
    assert dt.datetime.fromisoformat(data["due_at"]) == due
    ((sent,),) = intake.sql("SELECT reminder_sent_at FROM appointments WHERE id = :id", id=a["id"])
    assert sent == due


def test_started_appointment_is_not_reminded(intake: Intake) -> None:
    a = intake.register()
    starts = local_to_utc(LATER, dt.time(10))
    intake.move_to(a, starts)
    assert intake.run(starts + dt.timedelta(minutes=1)) == 0


def test_booked_late_is_due_at_once_and_reschedule_resets(intake: Intake) -> None:
    # Booked today for the next working day: the rule's moment has passed, due at booking.
    a = intake.register()
    now = dt.datetime.now(dt.UTC)
    assert intake.run(now) == 1
    assert dt.datetime.fromisoformat(intake.events()[0]["data"]["due_at"]) == (
        dt.datetime.fromisoformat(a["booked_at"])
    )
    assert intake.run(now) == 0

    alts = intake.client.get(f"/v1/appointments/{a['id']}/alternatives", headers=intake.me)
    target = alts.json()["items"][0]["slot_id"]
    r = intake.client.post(
        f"/v1/appointments/{a['id']}/reschedule", json={"slot_id": target}, headers=intake.me
    )
    assert r.status_code == 200, r.text
    ((sent,),) = intake.sql("SELECT reminder_sent_at FROM appointments WHERE id = :id", id=a["id"])
    assert sent is None
    assert intake.run(dt.datetime.now(dt.UTC)) == 1
    assert len(intake.events()) == 2


def test_run_endpoint_is_admin_only(intake: Intake) -> None:
    intake.register()
    url = "/v1/admin/reminders/run"
    assert intake.client.post(url).status_code == 401
    for headers in (
        intake.me,
        intake.as_("team_lead", sub="lead-AMS", office="AMS"),
        intake.as_("coach", sub=str(intake.coach_id), office="AMS"),
        intake.as_("benefits_officer"),
    ):
        r = intake.client.post(url, headers=headers)
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert intake.events() == []
    r = intake.client.post(url, headers=intake.as_("admin"))
    assert r.status_code == 200, r.text
    assert r.json() == {"emitted": 1}
    assert intake.client.post(url, headers=intake.as_("admin")).json() == {"emitted": 0}


def test_ics_export(intake: Intake) -> None:
    a = intake.register()
    url = f"/v1/appointments/{a['id']}.ics"
    r = intake.client.get(url, headers=intake.me)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    body = r.content.decode("utf-8")
    assert "\n" not in body.replace("\r\n", "")
    unfolded = body.replace("\r\n ", "")
    assert f"UID:{a['id']}@ww\r\n" in unfolded
    starts = dt.datetime.fromisoformat(a["starts_at"]).astimezone(dt.UTC)
    assert f"DTSTART:{starts:%Y%m%dT%H%M%SZ}\r\n" in unfolded
    assert "SUMMARY:Intakegesprek WW / WW intake\r\n" in unfolded
    office = load_offices().get("AMS")
    assert office is not None
    assert f"LOCATION:{ics.escape(office.name)}\r\n" in unfolded  # the name, not the code
    assert "DESCRIPTION:" in unfolded
    assert "STATUS:CONFIRMED" in unfolded

    coach = intake.as_("coach", sub=str(intake.coach_id), office="AMS")
    assert intake.client.get(url, headers=coach).status_code == 200
    other = intake.as_("claimant", sub="someone-else")
    assert intake.client.get(url, headers=other).status_code == 404
    assert intake.client.get(url, headers=intake.as_("benefits_officer")).status_code == 403
    missing = intake.client.get(f"/v1/appointments/{uuid.uuid4()}.ics", headers=intake.me)
    assert missing.status_code == 404
    rows = intake.sql("SELECT actor FROM audit_log WHERE action = 'appointment.ics'")
    assert sorted(r[0] for r in rows) == sorted([ME, str(intake.coach_id)])
