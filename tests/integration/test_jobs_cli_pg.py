"""`ww jobs ...`: the scheduled jobs run once against a service's PostgreSQL database.

The CronJobs in deploy/k8s run these commands; each is idempotent (a second run does nothing).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.intake import add_roster_coach, intake_on_pg
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens
from ww.cli import app

pytestmark = pytest.mark.integration


def test_planning_and_reminder_jobs_book_and_remind_once(
    pg: PgDatabases, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = intake_on_pg(pg, state_dir)
    url = c.settings.database_url
    client = TestClient(build_app(c, manage_lifecycle=False))
    tokens = Tokens(state_dir / "dev-jwt-key.pem")
    officer = Tokens.header(tokens.user("benefits_officer", sub="officer"))
    today = local_today()
    body = {
        "bsn": synthetic_bsn(random.Random(3)),
        "given_name": "Noor",
        "family_name": "Smit",
        "date_of_birth": "1990-02-02",
        "first_ww_day": today.isoformat(),
        "postcode": "1011 AB",
    }
    claim = client.post("/v1/claims", json=body, headers=officer).json()["id"]
    # Overdue on the list; capacity appears only for claims still before their deadline.
    with c.engine.begin() as conn:
        conn.execute(
            text("UPDATE unplanned_claims SET deadline = :d"), {"d": today - dt.timedelta(1)}
        )
    coach = add_roster_coach(c.engine)
    d1 = WorkingDays().add_working_days(today, 1)
    lead = Tokens.header(tokens.user("team_lead", sub="lead", office="AMS"))
    block = {
        "weekday": d1.weekday(),
        "start_time": "09:00",
        "end_time": "10:00",
        "office_code": "AMS",
    }
    r = client.put(f"/v1/coaches/{coach}/agenda", json={"blocks": [block]}, headers=lead)
    assert r.status_code == 200, r.text
    c.stop()

    monkeypatch.setenv("INTAKE_DATABASE_URL", str(url))
    monkeypatch.setenv("WW_STATE_DIR", str(state_dir))
    monkeypatch.setenv("WW_LOG_LEVEL", "WARNING")
    runner = CliRunner()
    first = runner.invoke(app, ["jobs", "planning"])
    assert first.exit_code == 0, first.output
    assert "booked: 1, still unplanned: 0" in first.output
    again = runner.invoke(app, ["jobs", "planning"])
    assert "booked: 0, still unplanned: 0" in again.output

    reminders = runner.invoke(app, ["jobs", "reminders"])
    assert reminders.exit_code == 0, reminders.output
    assert "reminders emitted: 1" in reminders.output  # booked inside its reminder window
    assert "reminders emitted: 0" in runner.invoke(app, ["jobs", "reminders"]).output

    engine = create_engine(str(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT claim_id, deadline FROM appointments WHERE status = 'booked'")
            ).all()
            audited = (
                conn.execute(text("SELECT actor FROM audit_log WHERE action = 'planning.run'"))
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert [str(r[0]) for r in rows] == [claim]
    assert rows[0][1] == today - dt.timedelta(1)  # the missed deadline is kept
    assert set(audited) == {"job:planning"}


def test_retriage_job_runs_on_an_empty_stock(
    pg: PgDatabases, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", pg.create("triage"))
    monkeypatch.setenv("WW_STATE_DIR", str(state_dir))
    result = CliRunner().invoke(app, ["jobs", "retriage"])
    assert result.exit_code == 0, result.output
    assert "re-triaged: 0" in result.output
