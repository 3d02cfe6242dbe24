"""No intake before the first WW day is near (issue 12, item 9a), through the API on PostgreSQL.

The planning run is called with a shifted clock: the appointments router's `_now` is the one
place the run takes the time from, so moving it forward is moving the service's clock.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import text

from intake.agendas.rules import local_day, local_to_utc
from intake.appointments import router as appointments_router
from intake.calendar.rules import WorkingDays
from intake.db import Base
from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.intake import add_roster_coach
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
WD = WorkingDays()
# A first WW day 15 working days ahead: with the default window of 5 working days the
# booking window opens on the 10th working day from today.
FIRST_WW_DAY = WD.add_working_days(TODAY, 15)
OPENS = WD.add_working_days(TODAY, 10)


class Intake:
    def __init__(self, pg: PgDatabases, state_dir: Path, **settings: Any) -> None:
        self.container: ServiceContainer = build_container(
            "intake",
            database_url=pg.create("intake"),
            transport="embedded",
            broker=EmbeddedBroker(),
            state_dir=state_dir,
            log_level="WARNING",
            **settings,
        )
        self.client = TestClient(build_app(self.container, manage_lifecycle=False))
        self.tokens = Tokens(state_dir / "dev-jwt-key.pem")
        self.rng = random.Random(9)

    def header(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    def agenda_every_weekday(self) -> uuid.UUID:
        coach = add_roster_coach(self.container.engine, "AMS")
        blocks = [
            {"weekday": d, "start_time": "09:00", "end_time": "10:00", "office_code": "AMS"}
            for d in range(5)
        ]
        r = self.client.put(
            f"/v1/coaches/{coach}/agenda",
            json={"blocks": blocks},
            headers=self.header("team_lead", office="AMS"),
        )
        assert r.status_code == 200, r.text
        return coach

    def register(self, first_ww_day: dt.date) -> str:
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": "Noor",
            "family_name": "Smit",
            "date_of_birth": "1990-02-02",
            "first_ww_day": first_ww_day.isoformat(),
            "postcode": "1011 AB",
        }
        r = self.client.post("/v1/claims", json=body, headers=self.header("benefits_officer"))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def active(self, claim_id: str) -> list[dict[str, Any]]:
        r = self.client.get(
            f"/v1/claims/{claim_id}/appointments", headers=self.header("admin", sub="admin-1")
        )
        assert r.status_code == 200, r.text
        return [a for a in r.json() if a["status"] in ("booked", "rescheduled")]

    def run_planning(self) -> dict[str, Any]:
        r = self.client.post("/v1/admin/planning/run", headers=self.header("admin", sub="a-1"))
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


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    it = Intake(pg, state_dir)
    yield it
    it.container.stop()


def _at(day: dt.date, hh: int) -> dt.datetime:
    return local_to_utc(day, dt.time(hh))


def test_a_far_first_ww_day_is_booked_by_the_planning_run_when_the_window_opens(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake.agenda_every_weekday()
    far = intake.register(FIRST_WW_DAY)
    near = intake.register(WD.add_working_days(TODAY, 3))
    # The near one is booked at once, as before; the far one not, and it is no shortfall.
    assert len(intake.active(near)) == 1
    assert intake.active(far) == []
    assert intake.events("intake.capacity_shortfall") == []
    assert intake.sql("SELECT claim_id FROM unplanned_claims") == []
    assert intake.sql("SELECT CAST(claim_id AS text), bookable_from FROM deferred_intakes") == [
        (far, OPENS)
    ]
    (audit,) = intake.sql("SELECT new_values FROM audit_log WHERE action = 'appointment.defer'")
    assert audit[0]["bookable_from"] == OPENS.isoformat()

    # Today's run and the run on the day before the window opens leave it alone.
    assert intake.run_planning()["booked"] == 0
    the_day_before = WD.add_working_days(TODAY, 9)
    monkeypatch.setattr(appointments_router, "_now", lambda: _at(the_day_before, 7))
    assert intake.run_planning()["booked"] == 0
    assert intake.active(far) == []

    # The run on the day the window opens books it: the earliest slot from then on, with the
    # handbook deadline (the 5th working day after the first WW day).
    monkeypatch.setattr(appointments_router, "_now", lambda: _at(OPENS, 7))
    assert intake.run_planning()["booked"] == 1
    (appointment,) = intake.active(far)
    assert local_day(dt.datetime.fromisoformat(appointment["starts_at"])) == OPENS
    assert appointment["deadline"] == WD.add_working_days(FIRST_WW_DAY, 5).isoformat()
    scheduled = [e for e in intake.events("intake.scheduled") if e["claim_id"] == far]
    assert len(scheduled) == 1
    assert intake.sql("SELECT claim_id FROM deferred_intakes") == []
    # A later run books it no second time.
    assert intake.run_planning()["booked"] == 0
    assert len(intake.active(far)) == 1


def test_no_free_slot_when_the_window_opens_is_a_shortfall(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    far = intake.register(FIRST_WW_DAY)
    monkeypatch.setattr(appointments_router, "_now", lambda: _at(OPENS, 7))
    assert intake.run_planning()["booked"] == 0
    (shortfall,) = intake.events("intake.capacity_shortfall")
    assert shortfall["claim_id"] == far
    assert intake.sql("SELECT CAST(claim_id AS text) FROM unplanned_claims") == [(far,)]
    assert intake.sql("SELECT claim_id FROM deferred_intakes") == []


def test_the_window_is_a_setting(pg: PgDatabases, state_dir: Path) -> None:
    it = Intake(pg, state_dir, intake_booking_window_working_days=20)
    try:
        it.agenda_every_weekday()
        claim = it.register(FIRST_WW_DAY)
        assert len(it.active(claim)) == 1
        assert it.sql("SELECT claim_id FROM deferred_intakes") == []
    finally:
        it.container.stop()


def test_the_deferred_intakes_table_matches_its_migration(intake: Intake) -> None:
    with intake.container.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert [d for d in diff if "deferred_intakes" in repr(d)] == []


def test_a_deferred_claim_follows_a_move_and_leaves_the_list_when_withdrawn(
    intake: Intake,
) -> None:
    far = intake.register(FIRST_WW_DAY)
    staff = intake.header("benefits_officer")
    r = intake.client.patch(f"/v1/claims/{far}", json={"postcode": "3011 AA"}, headers=staff)
    assert r.status_code == 200, r.text
    assert intake.sql("SELECT office_code FROM deferred_intakes") == [("RTD",)]
    r = intake.client.post(
        f"/v1/claims/{far}/withdraw", json={"reason_code": "found_work"}, headers=staff
    )
    assert r.status_code == 200, r.text
    assert intake.sql("SELECT claim_id FROM deferred_intakes") == []
