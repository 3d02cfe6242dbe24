"""The team lead's pages over the REAL four services on PostgreSQL, mounted in process:
the week-one dashboard, the unplanned list with its plan run, agendas and closures (the
intakes a closure replanned), caseload balance with transfers and cover, the capacity plan.
Every form: the happy path, a backend's 4xx as a notice, a forged CSRF token refused with
nothing changed; other roles and another office's team lead refused by the backends."""

from __future__ import annotations

import datetime as dt
import html
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens
from tests.support.web_mounted import MountedWeb, csrf_token, mounted_web
from web.app import create_app

pytestmark = pytest.mark.integration

OFFICE = "EMM"
POSTCODE = "7811 AA"  # Emmen
ANSWERS: dict[str, Any] = {
    "education_level": "upper_secondary",
    "years_work_history": 10,
    "last_sector": "other",
    "last_occupation_level": "middle",
    "hours_per_week": 32,
    "self_rated_health": 4,
    "work_limitations": "none",
    "job_search_intention": 4,
    "self_efficacy": 4,
    "expectation": 4,
    "social_network": 3,
    "dutch_language": "native",
    "digital_skills": 3,
    "mobility": "car",
    "driving_licence": False,
    "previous_unemployment_spells": 0,
    "severance_received": False,
    "reservation_wage_ratio": 1.0,
}


@dataclass
class World(MountedWeb):
    coaches: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    waiting: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(1515))

    def lead(self, office: str = OFFICE) -> dict[str, str]:
        return Tokens.header(self.tokens.user("team_lead", sub=f"lead-{office}", office=office))

    @property
    def admin(self) -> dict[str, str]:
        return Tokens.header(self.tokens.user("admin", sub="admin"))

    def register(self, given: str, family: str) -> str:
        officer = Tokens.header(self.tokens.user("benefits_officer", sub="officer"))
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": given,
            "family_name": family,
            "date_of_birth": "1988-03-14",
            "first_ww_day": local_today().isoformat(),
            "postcode": POSTCODE,
        }
        r = self.services["intake"].post("/v1/claims", json=body, headers=officer)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def appointments(self, claim_id: str) -> list[dict[str, Any]]:
        r = self.services["intake"].get(f"/v1/claims/{claim_id}/appointments", headers=self.admin)
        assert r.status_code == 200, r.text
        rows: list[dict[str, Any]] = r.json()
        return rows

    def active(self, claim_id: str) -> list[dict[str, Any]]:
        return [a for a in self.appointments(claim_id) if a["status"] in ("booked", "rescheduled")]

    def closures(self) -> list[dict[str, Any]]:
        r = self.services["intake"].get(
            "/v1/calendar/closures",
            params={"office_code": OFFICE, "include_national": "false"},
            headers=self.admin,
        )
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    def case(self, claim_id: str) -> dict[str, Any]:
        r = self.services["coaching"].get(f"/v1/cases/{claim_id}", headers=self.admin)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def sql(self, service: str, sql: str, **params: Any) -> None:
        with self.containers[service].engine.begin() as conn:
            conn.execute(text(sql), params)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases) -> Iterator[World]:
    with mounted_web(World, tmp_path_factory.mktemp("web-lead-state"), pg) as w:
        # Registered before any EMM agenda: no slot, so on EMM's unplanned list; its deadline
        # moved into the past, so only a planning run (not a new agenda) books it.
        w.waiting = w.register("Wachtend", "Voorbeeld")
        w.sql(
            "intake",
            "UPDATE unplanned_claims SET deadline = :d",
            d=local_today() - dt.timedelta(days=1),
        )
        w.coaches = [w.add_coach(OFFICE, "Anna Bakker"), w.add_coach(OFFICE, "Bram Mulder")]
        w.claims = [w.register("Fatima", "El Amrani"), w.register("Jan", "de Vries")]
        w.drain_all()
        analyst = Tokens.header(w.tokens.user("triage_analyst", sub="analyst"))
        for claim_id in w.claims:
            # A final score and a personal segment: coaching gives the case a coach.
            r = w.services["triage"].put(
                f"/v1/claims/{claim_id}/questionnaire",
                json={"questionnaire_version": "1", "answers": ANSWERS},
                headers=analyst,
            )
            assert r.status_code == 200, r.text
            w.drain_all()
            r = w.services["triage"].post(
                f"/v1/claims/{claim_id}/override",
                json={
                    "segment": "personal",
                    "reason_category": "health",
                    "reason_text": "Een coach vanaf het begin",
                },
                headers=analyst,
            )
            assert r.status_code in (200, 201), r.text
        w.drain_all()
        yield w


def _sign_in_as_lead(web: TestClient, office: str = OFFICE) -> str:
    page = web.get("/dev/sign-in")
    r = web.post(
        "/dev/sign-in",
        data={"role": "team_lead", "office": office, "csrf_token": csrf_token(page.text)},
    )
    assert r.status_code == 200, r.text
    assert str(r.url).endswith("/office")
    return r.text


def _notice(page: str) -> str:
    m = re.search(r'<div class="notice notice-(\w+)" role="(\w+)">\s*<p>(.*?)</p>', page, re.S)
    assert m, page
    return f"{m.group(1)}/{m.group(2)}: {html.unescape(m.group(3))}"


def _own_rows(page: str, table_id: str) -> str:
    m = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert m, page
    return m.group(1)


# -- the pages --------------------------------------------------------------------------------


def test_the_dashboard_shows_the_offices_week_one_figures(world: World) -> None:
    kpis = (
        world.services["intake"]
        .get("/v1/kpis/week-one", params={"office_code": OFFICE}, headers=world.lead())
        .json()
    )
    (emm,) = [o for o in kpis["offices"] if o["office_code"] == OFFICE]
    latest = emm["weeks"][-1]
    assert latest["registrations"] == 3  # the backend's own figure, for what the page shows
    with world.web() as web:
        page = _sign_in_as_lead(web)
    assert "Dashboard van het kantoor EMM" in page
    assert f"<dt>Aanmeldingen</dt><dd>{latest['registrations']}</dd>" in page
    assert f"<dt>Niet verschenen</dt><dd>{latest['no_shows']}</dd>" in page
    assert f"<dt>Tekorten in capaciteit</dt><dd>{latest['capacity_shortfalls']}</dd>" in page
    # Three charts, each with its title, and the table of every week as their text.
    assert page.count('<svg role="img"') == 3
    assert page.count("<title id=") == 3
    assert page.count('<th scope="row">') == len(emm["weeks"])
    assert f'<th scope="row">{latest["week"]}</th>' in page


def test_the_unplanned_list_and_a_plan_run_that_books_it(world: World) -> None:
    with world.web() as web:
        _sign_in_as_lead(web)
        page = web.get("/office/unplanned")
        assert page.status_code == 200, page.text
        assert world.waiting in _own_rows(page.text, "unplanned-table")
        free = world.services["intake"].get(
            f"/v1/offices/{OFFICE}/capacity",
            params={
                "from": local_today().isoformat(),
                "to": (local_today() + dt.timedelta(days=27)).isoformat(),
            },
            headers=world.lead(),
        )
        assert f"(Totaal: {free.json()['free_slots']})" in page.text
        assert '<svg role="img"' in page.text

        forged = web.post("/office/unplanned/plan", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        assert world.active(world.waiting) == []  # nothing booked

        r = web.post("/office/unplanned/plan", data={"csrf_token": csrf_token(page.text)})
        assert r.status_code == 200, r.text
        assert _notice(r.text) == "ok/status: Ingepland: 1 · 0 nog ongepland"
        assert "Er wachten geen aanvragen." in r.text
    (booked,) = world.active(world.waiting)
    assert booked["office_code"] == OFFICE


def test_agendas_and_a_closure_that_replans_the_days_intakes(world: World) -> None:
    claim = world.claims[0]
    (before,) = world.active(claim)
    day = dt.date.fromisoformat(
        world.services["intake"]
        .get(f"/v1/appointments/{before['id']}", headers=world.admin)
        .json()["starts_at"][:10]
    )
    with world.web() as web:
        _sign_in_as_lead(web)
        page = web.get("/office/agendas")
        assert page.status_code == 200, page.text
        assert "Anna Bakker" in page.text
        assert "Bram Mulder" in page.text
        assert "Fatima El Amrani" in page.text  # in a coach's upcoming intakes
        assert "Geen intakes verplaatst." in page.text
        token = csrf_token(page.text)

        form = {"date": day.isoformat(), "reason": "Stormschade", "csrf_token": "forged"}
        assert web.post("/office/agendas/closures", data=form).status_code == 403
        assert world.closures() == []

        r = web.post("/office/agendas/closures", data={**form, "csrf_token": token})
        assert r.status_code == 200, r.text
        notice = _notice(r.text)
        assert notice.startswith(f"ok/status: Sluiting toegevoegd ({day.strftime('%d-%m-%Y')}): ")
        assert "opnieuw ingepland" in notice
        (closure,) = world.closures()
        assert closure["reason"] == "Stormschade"
        (after,) = world.active(claim)
        assert after["id"] != before["id"]
        # The page lists the moved intake: from the closed day to its new day.
        moved = _own_rows(r.text, "replanned-table")
        assert "Fatima El Amrani" in moved
        assert "Stormschade" in moved
        new_start = dt.datetime.fromisoformat(after["starts_at"]).astimezone(
            ZoneInfo("Europe/Amsterdam")
        )
        assert new_start.strftime("%d-%m-%Y") in moved
        assert "Stormschade" in _own_rows(r.text, "closures-table")

        # The backend's 4xx as a notice: the same day again is a 409.
        again = web.post("/office/agendas/closures", data={**form, "csrf_token": token})
        assert _notice(again.text).startswith("error/alert: ")
        assert len(world.closures()) == 1
        # A Saturday is already a non-working day: the backend's 422, named.
        saturday = local_today() + dt.timedelta(days=(5 - local_today().weekday()) % 7 or 7)
        sat = web.post(
            "/office/agendas/closures",
            data={"date": saturday.isoformat(), "reason": "Zaterdag", "csrf_token": token},
        )
        assert _notice(sat.text).startswith("error/alert: ")
        assert "date" in _notice(sat.text)
        # A malformed date is our 400 page, not a stack trace.
        bad = web.post(
            "/office/agendas/closures", data={"date": "morgen", "reason": "x", "csrf_token": token}
        )
        assert bad.status_code == 400
        assert "Traceback" not in bad.text

        forged_delete = web.post(
            f"/office/agendas/closures/{closure['id']}/delete", data={"csrf_token": "forged"}
        )
        assert forged_delete.status_code == 403
        assert len(world.closures()) == 1
        gone = web.post(
            f"/office/agendas/closures/{closure['id']}/delete", data={"csrf_token": token}
        )
        assert _notice(gone.text) == "ok/status: Sluiting verwijderd."
        assert world.closures() == []


def _assigned(world: World) -> list[dict[str, Any]]:
    return [c for c in (world.case(cid) for cid in world.claims) if c["coach_id"]]


def test_caseload_balance_transfers_and_cover(world: World) -> None:
    assigned = _assigned(world)
    assert assigned, "no case was assigned to a coach: nothing to transfer"
    case = assigned[0]
    other = next(c for c in world.coaches if c != case["coach_id"])
    with world.web() as web:
        _sign_in_as_lead(web)
        page = web.get("/office/caseload")
        assert page.status_code == 200, page.text
        balance = _own_rows(page.text, "balance-table")
        assert "Anna Bakker" in balance
        assert "Bram Mulder" in balance
        assert case["claim_id"] in _own_rows(page.text, "cases-table")
        token = csrf_token(page.text)
        move = {
            "claim_id": case["claim_id"],
            "to_coach_id": other,
            "reason_category": "caseload_balance",
            "reason_text": "Balans",
        }

        assert (
            web.post("/office/caseload/transfer", data={**move, "csrf_token": "x"}).status_code
            == 403
        )
        assert world.case(case["claim_id"])["coach_id"] == case["coach_id"]

        r = web.post("/office/caseload/transfer", data={**move, "csrf_token": token})
        assert _notice(r.text) == "ok/status: Zaken overgedragen: 1"
        assert world.case(case["claim_id"])["coach_id"] == other

        unknown = {**move, "claim_id": str(uuid.uuid4()), "csrf_token": token}
        r = web.post("/office/caseload/transfer", data=unknown)
        assert _notice(r.text).startswith("error/alert: ")
        none = {k: v for k, v in move.items() if k != "claim_id"}
        r = web.post("/office/caseload/transfer", data={**none, "csrf_token": token})
        assert _notice(r.text) == "error/alert: Kies eerst een of meer zaken."

        until = (local_today() + dt.timedelta(days=7)).isoformat()
        cover = {"coach_id": other, "covering_coach_id": case["coach_id"], "until": until}
        cover["reason"] = "Verlof"
        assert (
            web.post("/office/caseload/cover", data={**cover, "csrf_token": "x"}).status_code == 403
        )
        assert world.case(case["claim_id"])["covering_coach_id"] is None
        r = web.post("/office/caseload/cover", data={**cover, "csrf_token": token})
        assert _notice(r.text).startswith("ok/status: Vervanging geregeld: ")
        assert world.case(case["claim_id"])["covering_coach_id"] == case["coach_id"]
        # The backend's 422: a cover until more than 183 days on.
        far = {**cover, "until": (local_today() + dt.timedelta(days=400)).isoformat()}
        r = web.post("/office/caseload/cover", data={**far, "csrf_token": token})
        assert _notice(r.text).startswith("error/alert: ")
        r = web.post("/office/caseload/cover/end", data={"coach_id": other, "csrf_token": token})
        assert _notice(r.text).startswith("ok/status: Vervanging beëindigd: ")
        assert world.case(case["claim_id"])["covering_coach_id"] is None


def test_the_capacity_plan_shows_hours_needed_and_available(world: World) -> None:
    with world.web() as web:
        _sign_in_as_lead(web)
        page = web.get("/office/capacity", params={"per_day": "3", "weeks": "2"})
        assert page.status_code == 200, page.text
        tomorrow = local_today() + dt.timedelta(days=1)
        days = [tomorrow + dt.timedelta(days=i) for i in range(14)]
        body = {
            "offices": [
                {
                    "office_code": OFFICE,
                    "days": [
                        {"date": d.isoformat(), "registrations": 3} for d in days if d.weekday() < 5
                    ],
                }
            ]
        }
        plan = world.services["intake"].post(
            "/v1/planning/intake-capacity", json=body, headers=world.lead()
        )
        (mine,) = plan.json()["offices"]
        weeks = _own_rows(page.text, "capacity-weeks")
        for w in mine["weeks"]:
            assert (
                f'<th scope="row">{w["week"]}</th><td class="num">{w["registrations"]}</td>'
                f'<td class="num">{w["needed_coach_hours"]:g}</td>'
                f'<td class="num">{w["available_coach_hours"]:g}</td>'
            ) in weeks
        assert '<svg role="img"' in page.text
        # Without a number: the office's recent registrations are the forecast.
        assert web.get("/office/capacity").status_code == 200
        bad = web.get("/office/capacity", params={"per_day": "veel"})
        assert bad.status_code == 400
        assert "Traceback" not in bad.text


# -- who may ----------------------------------------------------------------------------------


def test_a_coach_or_a_claimant_gets_the_403_page(world: World) -> None:
    with world.web() as web:
        page = web.get("/dev/sign-in")
        web.post(
            "/dev/sign-in",
            data={
                "role": "coach",
                "coach_id": world.coaches[0],
                "csrf_token": csrf_token(page.text),
            },
        )
        for path in ("/office", "/office/unplanned", "/office/agendas", "/office/caseload"):
            r = web.get(path)
            assert r.status_code == 403, path
            assert "Geen toegang" in r.text
        token = csrf_token(web.get("/my-intakes").text)
        r = web.post("/office/unplanned/plan", data={"csrf_token": token})
        assert r.status_code == 403
    with world.web() as web:
        page = web.get("/dev/sign-in")
        web.post(
            "/dev/sign-in",
            data={"role": "claimant", "subject": "claimant-x", "csrf_token": csrf_token(page.text)},
        )
        assert web.get("/office").status_code == 403
        assert web.get("/office/capacity").status_code == 403


def test_a_team_lead_of_another_office_sees_and_changes_only_their_own(world: World) -> None:
    r = world.services["intake"].post(
        "/v1/calendar/closures",
        json={
            "date": _weekday_after(local_today() + dt.timedelta(days=60)).isoformat(),
            "office_code": OFFICE,
            "reason": "Verbouwing",
        },
        headers=world.lead(),
    )
    assert r.status_code == 201, r.text
    closure_id = r.json()["id"]
    try:
        with world.web() as web:
            dashboard = _sign_in_as_lead(web, "AMS")
            assert "Dashboard van het kantoor AMS" in dashboard
            caseload = web.get("/office/caseload")
            assert caseload.status_code == 200
            assert "Anna Bakker" not in caseload.text
            assert "Bram Mulder" not in caseload.text
            agendas = web.get("/office/agendas")
            assert "Verbouwing" not in agendas.text
            assert "Fatima" not in agendas.text
            unplanned = web.get("/office/unplanned")
            assert world.waiting not in unplanned.text
            # EMM's closure by id: the backend refuses, the page says so, nothing changes.
            r = web.post(
                f"/office/agendas/closures/{closure_id}/delete",
                data={"csrf_token": csrf_token(agendas.text)},
            )
            assert _notice(r.text).startswith("error/alert: ")
            assert [c["id"] for c in world.closures()] == [closure_id]
            # An EMM coach's cover: coaching refuses another office's team lead.
            r = web.post(
                "/office/caseload/cover/end",
                data={"coach_id": world.coaches[0], "csrf_token": csrf_token(agendas.text)},
            )
            assert _notice(r.text).startswith("error/alert: ")
            # And an EMM claim page is the backend's 403/404.
            page = web.get(f"/claims/{world.claims[0]}")
            assert page.status_code in (403, 404)
            assert "Fatima" not in page.text
    finally:
        world.services["intake"].delete(f"/v1/calendar/closures/{closure_id}", headers=world.lead())


def test_a_closure_of_several_days_skips_the_weekend_and_stops_at_a_refusal(
    world: World,
) -> None:
    today = local_today()
    monday = today + dt.timedelta(days=7 * 8 - today.weekday())  # eight weeks on: no holidays
    wednesday = monday + dt.timedelta(days=2)
    r = world.services["intake"].post(
        "/v1/calendar/closures",
        json={"date": wednesday.isoformat(), "office_code": OFFICE, "reason": "Training"},
        headers=world.lead(),
    )
    assert r.status_code == 201, r.text
    try:
        with world.web() as web:
            _sign_in_as_lead(web)
            token = csrf_token(web.get("/office/agendas").text)
            form = {"reason": "Verhuizing", "csrf_token": token}
            r = web.post(
                "/office/agendas/closures",
                data={
                    **form,
                    "date": monday.isoformat(),
                    "end_date": (monday + dt.timedelta(days=6)).isoformat(),
                },
            )
            shown = [monday, monday + dt.timedelta(days=1)]
            assert _notice(r.text).startswith(
                "error/alert: Sluiting toegevoegd ("
                + ", ".join(d.strftime("%d-%m-%Y") for d in shown)
                + f"). {wednesday.strftime('%d-%m-%Y')}: "
            )
            assert sorted(c["date"] for c in world.closures()) == sorted(
                [d.isoformat() for d in shown] + [wednesday.isoformat()]
            )
            # A range of more than two weeks is refused before any call.
            r = web.post(
                "/office/agendas/closures",
                data={
                    **form,
                    "date": monday.isoformat(),
                    "end_date": (monday + dt.timedelta(days=20)).isoformat(),
                },
            )
            assert _notice(r.text) == "error/alert: Controleer de ingevulde gegevens."
            assert len(world.closures()) == 3
    finally:
        for c in world.closures():
            world.services["intake"].delete(
                f"/v1/calendar/closures/{c['id']}", headers=world.lead()
            )


def test_the_pages_in_english(world: World) -> None:
    with world.web() as web:
        page = _sign_in_as_lead(web)
        r = web.post(
            "/language",
            data={"lang": "en", "csrf_token": csrf_token(page)},
            headers={"referer": "http://testserver/office"},
        )
        assert r.status_code == 200, r.text
        assert "Office dashboard EMM" in r.text
        assert "Within the deadline" in r.text
        assert "Caseload balance EMM" in web.get("/office/caseload").text
        assert "Office closures" in web.get("/office/agendas").text


def test_round_trips_per_backend(world: World) -> None:
    recorders, backends = world.recordings()

    def calls(web: TestClient, path: str, **params: str) -> dict[str, int]:
        for r in recorders.values():
            r.paths.clear()
        assert web.get(path, params=params).status_code == 200
        return {n: len(r.paths) for n, r in recorders.items() if r.paths}

    with TestClient(create_app(world.settings, backends=backends)) as web:
        _sign_in_as_lead(web)
        assert calls(web, "/office") == {"intake": 1}
        assert calls(web, "/office/unplanned") == {"intake": 2}  # the list and the free slots
        assert calls(web, "/office/caseload") == {"coaching": 3}  # balance, queue, cases
        assert calls(web, "/office/capacity", per_day="2") == {"intake": 1}
        assert calls(web, "/office/capacity") == {"intake": 2}  # the forecast from the KPIs
        # intake has no office-wide agenda or appointment list: an agenda and the
        # appointments per coach, plus the closures (reported as a missing endpoint).
        n = len(world.coaches)
        assert calls(web, "/office/agendas") == {"coaching": 1, "intake": 1 + 2 * n}


def _weekday_after(day: dt.date) -> dt.date:
    """The first Monday-to-Friday on or after `day` (a closure on a weekend is refused)."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day
