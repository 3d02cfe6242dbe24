"""A coach's appointments in one call (issue 15: one round trip per backend), on PostgreSQL.

The coach's agenda has three slots on the first working day after today (`D1`); three
registrations are booked onto them at 09:00, 10:00 and 11:00 local time.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
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
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.intake import add_roster_coach, intake_on_pg, known_coach_sub
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1 = WorkingDays().add_working_days(TODAY, 1)
NAMES = [("Noor", "Smit"), ("Daan", "de Vries"), ("Fatima", "El Amrani")]


class Setup:
    def __init__(self, container: ServiceContainer, tokens: Tokens) -> None:
        self.container = container
        self.client = TestClient(build_app(container, manage_lifecycle=False))
        self.tokens = tokens
        self.rng = random.Random(15)

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        if "coach" in roles:  # a coach on the roster: unknown coaches are refused (ADR 0022)
            sub = known_coach_sub(self.container.engine, sub, office or "AMS")
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    def lead(self, office: str = "AMS") -> dict[str, str]:
        return self.as_("team_lead", sub=f"lead-{office}", office=office)

    def register(self, given: str, family: str) -> str:
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": given,
            "family_name": family,
            "date_of_birth": "1990-02-02",
            "first_ww_day": TODAY.isoformat(),
            "postcode": "1011 AB",
        }
        r = self.client.post("/v1/claims", json=body, headers=self.as_("benefits_officer"))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def get(self, coach: uuid.UUID, headers: dict[str, str], **params: Any) -> httpx.Response:
        return self.client.get(f"/v1/coaches/{coach}/appointments", params=params, headers=headers)


@pytest.fixture
def setup(pg: PgDatabases, state_dir: Path) -> Iterator[tuple[Setup, uuid.UUID, list[str]]]:
    c = intake_on_pg(pg, state_dir)
    s = Setup(c, Tokens(state_dir / "dev-jwt-key.pem"))
    coach = add_roster_coach(c.engine, "AMS")
    block = {"weekday": D1.weekday(), "start_time": "09:00", "end_time": "12:00"}
    r = s.client.put(
        f"/v1/coaches/{coach}/agenda",
        json={"blocks": [{**block, "office_code": "AMS"}]},
        headers=s.lead(),
    )
    assert r.status_code == 200, r.text
    claims = [s.register(g, f) for g, f in NAMES]
    yield s, coach, claims
    c.stop()


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def test_the_coach_reads_their_week_with_names_in_start_order(
    setup: tuple[Setup, uuid.UUID, list[str]],
) -> None:
    s, coach, claims = setup
    r = s.get(coach, s.as_("coach", sub=str(coach)))  # default: today .. today + 7
    assert r.status_code == 200, r.text
    page = r.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 50, 0)
    items = page["items"]
    assert [i["claim_id"] for i in items] == claims
    assert [(i["given_name"], i["family_name"]) for i in items] == NAMES
    assert [dt.datetime.fromisoformat(i["starts_at"]) for i in items] == [
        local_to_utc(D1, dt.time(h)) for h in (9, 10, 11)
    ]
    first = items[0]
    assert dt.datetime.fromisoformat(first["ends_at"]) == local_to_utc(D1, dt.time(9, 45))
    assert (first["status"], first["office_code"], first["summoned"]) == ("booked", "AMS", False)
    assert set(first) == {
        "id",
        "claim_id",
        "office_code",
        "starts_at",
        "ends_at",
        "status",
        "summoned",
        "given_name",
        "family_name",
        "allowed_actions",
    }
    # Before the start staff may move or cancel it; after the start see below.
    assert first["allowed_actions"] == ["reschedule", "cancel_by_service"]
    # Audited as the other personal-data reads: once for the agenda, once per claim shown.
    with s.container.engine.begin() as conn:
        rows = conn.execute(
            text("SELECT action, resource_type, resource_id FROM audit_log WHERE actor = :a"),
            {"a": str(coach)},
        ).all()
    assert ("coach.appointments.list", "coach", str(coach)) in rows
    listed = sorted(r[2] for r in rows if r[0] == "appointment.list")
    assert listed == sorted(claims)


def test_period_status_and_paging(setup: tuple[Setup, uuid.UUID, list[str]]) -> None:
    s, coach, claims = setup
    me = s.as_("coach", sub=str(coach))
    day = D1.isoformat()
    assert s.get(coach, me, **{"from": day, "to": day}).json()["total"] == 3
    after = (D1 + dt.timedelta(days=1)).isoformat()
    assert s.get(coach, me, **{"from": after, "to": after}).json()["total"] == 0
    before = (D1 - dt.timedelta(days=1)).isoformat()
    assert s.get(coach, me, **{"from": before, "to": before}).json()["items"] == []
    assert s.get(coach, me, status="booked").json()["total"] == 3
    assert s.get(coach, me, status="completed").json()["total"] == 0
    body = _problem(s.get(coach, me, status="lost"), 422)
    assert "status" in str(body)

    first = s.get(coach, me, limit=2).json()
    assert (first["total"], [i["claim_id"] for i in first["items"]]) == (3, claims[:2])
    rest = s.get(coach, me, limit=2, offset=2).json()
    assert (rest["total"], [i["claim_id"] for i in rest["items"]]) == (3, claims[2:])


def test_reversed_or_too_long_ranges_are_422_naming_to(
    setup: tuple[Setup, uuid.UUID, list[str]],
) -> None:
    s, coach, _ = setup
    me = s.as_("coach", sub=str(coach))
    reversed_ = {"from": D1.isoformat(), "to": (D1 - dt.timedelta(days=1)).isoformat()}
    body = _problem(s.get(coach, me, **reversed_), 422)
    assert body["errors"][0]["field"] == "to"
    too_long = {"from": D1.isoformat(), "to": (D1 + dt.timedelta(days=31)).isoformat()}
    body = _problem(s.get(coach, me, **too_long), 422)
    assert body["errors"][0]["field"] == "to"
    longest = {"from": D1.isoformat(), "to": (D1 + dt.timedelta(days=30)).isoformat()}
    assert s.get(coach, me, **longest).json()["total"] == 3
    _problem(s.get(coach, me, **{"from": "2026-13-01"}), 422)


def test_who_may_read_a_coachs_appointments(setup: tuple[Setup, uuid.UUID, list[str]]) -> None:
    s, coach, _ = setup
    assert s.get(coach, s.lead("AMS")).json()["total"] == 3
    assert s.get(coach, s.as_("benefits_officer")).json()["total"] == 3
    assert s.get(coach, s.as_("admin", sub="admin-1")).json()["total"] == 3
    other_coach = str(add_roster_coach(s.container.engine, "AMS"))
    _problem(s.get(coach, s.as_("coach", sub=other_coach)), 403)
    _problem(s.get(coach, s.lead("RTD")), 403)
    _problem(s.get(coach, s.as_("claimant", sub="claimant-1")), 403)
    _problem(s.get(coach, s.as_("triage_analyst")), 403)
    _problem(s.get(uuid.uuid4(), s.lead("AMS")), 404)


def test_allowed_actions_follow_the_start_and_the_status(
    setup: tuple[Setup, uuid.UUID, list[str]],
) -> None:
    """What the web offers per intake is intake's answer, not a rule copied into the web."""
    s, coach, _claims = setup
    me = s.as_("coach", sub=str(coach))
    items = s.get(coach, me).json()["items"]
    started, done = items[0]["id"], items[1]["id"]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    with s.container.engine.begin() as conn:
        conn.execute(
            text("UPDATE appointments SET starts_at = :s, ends_at = :e WHERE id = :i"),
            {"s": past, "e": past + dt.timedelta(minutes=45), "i": started},
        )
        conn.execute(
            text("UPDATE appointments SET status = 'completed' WHERE id = :i"), {"i": done}
        )
    day = (TODAY - dt.timedelta(days=1)).isoformat()
    by_id = {i["id"]: i for i in s.get(coach, me, **{"from": day}).json()["items"]}
    assert by_id[started]["allowed_actions"] == ["cancel_by_service", "no_show", "complete"]
    assert by_id[done]["allowed_actions"] == []


def test_a_claims_appointments_name_the_coach_by_first_name(
    setup: tuple[Setup, uuid.UUID, list[str]],
) -> None:
    """As the invitation names them ("Sanne"): the claimant's page shows who they will meet;
    the coach's own list (names of claimants) leaves it out."""
    s, coach, claims = setup
    officer = s.as_("benefits_officer")
    listed = s.client.get(f"/v1/claims/{claims[0]}/appointments", headers=officer)
    assert listed.status_code == 200, listed.text
    [appointment] = listed.json()
    assert appointment["coach_id"] == str(coach)
    assert appointment["coach_first_name"] == "Sanne"
    one = s.client.get(f"/v1/appointments/{appointment['id']}", headers=s.lead())
    assert one.status_code == 200, one.text
    assert one.json()["coach_first_name"] == "Sanne"
    assert "coach_first_name" not in s.get(coach, s.lead()).json()["items"][0]
