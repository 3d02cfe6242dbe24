"""The claimant's pages over the REAL four services on PostgreSQL, mounted in process:
claimants who registered their own claim in Maastricht (MST) sign in with the dev picker,
see their intake, download it for their calendar, reschedule and cancel it within intake's
rules, answer the questionnaire, report job-search activities and read their messages.
Need to know stays the backends': another claimant's appointment is a 404, staff get 403."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens
from tests.support.web_mounted import MountedWeb, csrf_token, mounted_web
from web.app import create_app

pytestmark = pytest.mark.integration

QUESTIONNAIRE: dict[str, str] = {
    "education_level": "vocational",
    "years_work_history": "12",
    "last_sector": "retail",
    "last_occupation_level": "middle",
    "hours_per_week": "32",
    "self_rated_health": "4",
    "work_limitations": "none",
    "job_search_intention": "5",
    "self_efficacy": "4",
    "expectation": "4",
    "social_network": "3",
    "dutch_language": "native",
    "digital_skills": "3",
    "mobility": "bicycle",
    "driving_licence": "true",
    "previous_unemployment_spells": "0",
    "severance_received": "false",
    "reservation_wage_ratio": "1,0",  # a Dutch decimal comma
}

NUMBERS = {"years_work_history", "hours_per_week", "previous_unemployment_spells"} | {
    "reservation_wage_ratio"
}


@dataclass
class Claimant:
    subject: str
    bsn: str
    claim_id: str


@dataclass
class World(MountedWeb):
    coach: str = ""
    claimants: dict[str, Claimant] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(6211))

    def as_claimant(self, who: str) -> dict[str, str]:
        c = self.claimants[who]
        header = Tokens.header(self.tokens.user("claimant", sub=c.subject, office=None))
        return self.tokens.signed_in(header, c.bsn)

    def register(self, who: str, given: str, family: str) -> None:
        bsn = synthetic_bsn(self.rng)
        subject = f"claimant-mst-{who}-{uuid.uuid4().hex[:6]}"
        self.claimants[who] = Claimant(subject, bsn, "")
        body = {
            "given_name": given,
            "family_name": family,
            "date_of_birth": "1990-05-02",
            "first_ww_day": local_today().isoformat(),
            "postcode": "6211 AB",
            "email": f"{who}@example.org",
        }
        r = self.services["intake"].post("/v1/claims", json=body, headers=self.as_claimant(who))
        assert r.status_code == 201, r.text
        assert r.json()["channel"] == "claimant"
        self.claimants[who].claim_id = str(r.json()["id"])
        self.drain_all()

    def appointment(self, who: str) -> dict[str, Any]:
        cid = self.claimants[who].claim_id
        r = self.services["intake"].get(
            f"/v1/claims/{cid}/appointments", headers=self.as_claimant(who)
        )
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()
        assert items, f"{who} has no intake booked"
        return max(items, key=lambda a: a["booked_at"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases) -> Iterator[World]:
    with mounted_web(World, tmp_path_factory.mktemp("web-claimant-state"), pg) as w:
        # Not today: an intake booked for this afternoon is inside the claimant's cut-off
        # (intake refuses to move it, as tested below), so the first slots are tomorrow's.
        today = local_today().weekday()
        w.coach = w.add_coach(
            "MST",
            "Mieke Claessens",
            hours=("09:00", "16:00"),
            contract_hours=36,
            weekdays=[d for d in range(5) if d != today],
        )
        w.register("anna", "Anna", "Hendriks")
        w.register("bram", "Bram", "Lemmens")
        w.register("cato", "Cato", "Vroemen")
        yield w


def _sign_in(web: TestClient, world: World, who: str) -> str:
    c = world.claimants[who]
    page = web.get("/dev/sign-in")
    assert page.status_code == 200, page.text
    r = web.post(
        "/dev/sign-in",
        data={
            "role": "claimant",
            "subject": c.subject,
            "bsn": c.bsn,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.status_code == 200, r.text
    assert str(r.url).endswith("/me")
    return r.text


def _notice(html: str) -> str:
    m = re.search(r'<div class="notice notice-(\w+)" role="(\w+)">\s*<p>(.*?)</p>', html, re.S)
    assert m, html
    return f"{m.group(1)}|{m.group(2)}|{m.group(3)}"


def _slots(html: str) -> list[str]:
    return re.findall(r'name="slot_id" value="([0-9a-f-]{36})"', html)


# -- my intake --------------------------------------------------------------------------------


def test_me_shows_my_intake_with_place_and_status(world: World) -> None:
    appt = world.appointment("anna")
    with world.web() as web:
        me = _sign_in(web, world, "anna")
        assert "<h1>Mijn afspraak</h1>" in me
        assert "Uw intakegesprek" in me
        assert "Maastricht" in me  # the office's visiting address from intake
        assert "Gepland" in me
        assert '<dd id="intake-coach">Mieke, werkcoach</dd>' in me  # the coach's first name
        assert "Claessens" not in me
        assert f'href="/me/appointments/{appt["id"]}/calendar.ics"' in me
        assert f'href="/me/appointments/{appt["id"]}/reschedule"' in me
        assert f'href="/me/appointments/{appt["id"]}/cancel"' in me
        assert "Lemmens" not in me
        assert "Vroemen" not in me
        web.post("/language", data={"lang": "en", "csrf_token": csrf_token(me)})
        en = web.get("/me").text
        assert "Your intake meeting" in en
        assert "Add to my calendar" in en


def test_add_to_calendar_is_intakes_ics_as_an_attachment(world: World) -> None:
    appt = world.appointment("anna")
    with world.web() as web:
        _sign_in(web, world, "anna")
        r = web.get(f"/me/appointments/{appt['id']}/calendar.ics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.text.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in r.text


def test_another_claimants_appointment_is_not_found(world: World) -> None:
    annas = world.appointment("anna")
    with world.web() as web:
        me = _sign_in(web, world, "bram")
        assert annas["id"] not in me
        assert web.get(f"/me/appointments/{annas['id']}/calendar.ics").status_code == 404
        page = web.get(f"/me/appointments/{annas['id']}/reschedule")
        assert page.status_code == 404
        assert "Traceback" not in page.text
        assert web.get(f"/me/appointments/{annas['id']}/cancel").status_code == 404
        # A real form token of Bram's session, Anna's appointment: the backend refuses.
        bram_slot = _slots(
            web.get(f"/me/appointments/{world.appointment('bram')['id']}/reschedule").text
        )
        assert bram_slot
        r = web.post(
            f"/me/appointments/{annas['id']}/reschedule",
            data={"slot_id": bram_slot[0], "csrf_token": csrf_token(me)},
        )
        assert r.status_code == 404
        r = web.post(
            f"/me/appointments/{annas['id']}/cancel",
            data={"reason_code": "illness", "csrf_token": csrf_token(me)},
        )
        assert r.status_code == 404
    assert world.appointment("anna") == annas


@pytest.mark.parametrize("role", ["coach", "team_lead"])
def test_staff_opening_me_get_the_403_page(world: World, role: str) -> None:
    with world.web() as web:
        page = web.get("/dev/sign-in")
        data = {"role": role, "csrf_token": csrf_token(page.text)}
        data.update({"coach_id": world.coach} if role == "coach" else {"office": "MST"})
        assert web.post("/dev/sign-in", data=data, follow_redirects=False).status_code == 303
        for path in ("/me", "/me/questionnaire", "/me/work-plan", "/me/messages"):
            r = web.get(path)
            assert r.status_code == 403, path
            assert "Geen toegang" in r.text


def test_nobody_signed_in_goes_to_the_sign_in(world: World) -> None:
    with world.web() as web:
        r = web.get("/me", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/dev/sign-in"


def test_forged_csrf_on_reschedule_and_cancel_changes_nothing(world: World) -> None:
    before = world.appointment("anna")
    with world.web() as web:
        _sign_in(web, world, "anna")
        slots = _slots(web.get(f"/me/appointments/{before['id']}/reschedule").text)
        assert slots
        for token in ("forged", None):
            data = {"slot_id": slots[0]} | ({"csrf_token": token} if token else {})
            r = web.post(f"/me/appointments/{before['id']}/reschedule", data=data)
            assert r.status_code == 403
            assert "Het formulier is verlopen" in r.text
            data = {"reason_code": "illness"} | ({"csrf_token": token} if token else {})
            r = web.post(f"/me/appointments/{before['id']}/cancel", data=data)
            assert r.status_code == 403
    assert world.appointment("anna") == before


def test_a_claimant_reschedules_and_sees_the_new_time(world: World) -> None:
    before = world.appointment("anna")
    with world.web() as web:
        _sign_in(web, world, "anna")
        page = web.get(f"/me/appointments/{before['id']}/reschedule")
        assert page.status_code == 200, page.text
        assert "<legend>Vrije tijden</legend>" in page.text
        slots = _slots(page.text)
        assert slots
        # Filters go to intake as they are; a bad one is a 400 page, not a stack trace.
        afternoon = web.get(
            f"/me/appointments/{before['id']}/reschedule", params={"part_of_day": "afternoon"}
        )
        assert afternoon.status_code == 200
        assert (
            web.get(
                f"/me/appointments/{before['id']}/reschedule", params={"from_date": "13-12-2026"}
            ).status_code
            == 400
        )
        # No slot picked: a notice, nothing sent.
        r = web.post(
            f"/me/appointments/{before['id']}/reschedule",
            data={"csrf_token": csrf_token(page.text)},
        )
        assert _notice(r.text) == "error|alert|Kies eerst een tijd."
        target = slots[-1]
        r = web.post(
            f"/me/appointments/{before['id']}/reschedule",
            data={"slot_id": target, "csrf_token": csrf_token(page.text)},
        )
        assert r.status_code == 200, r.text
        assert str(r.url).endswith("/me")
        assert _notice(r.text).startswith("ok|status|Uw afspraak is verzet.")
        assert "Verzet" in r.text
    after = world.appointment("anna")
    assert after["id"] == before["id"]
    assert after["slot_id"] == target
    assert after["status"] == "rescheduled"


def test_a_slot_taken_meanwhile_is_a_readable_notice(world: World) -> None:
    annas = world.appointment("anna")
    brams = world.appointment("bram")
    with world.web() as web:
        _sign_in(web, world, "anna")
        page = web.get(f"/me/appointments/{annas['id']}/reschedule")
        offered = _slots(page.text)
        # Bram takes one of the times Anna sees, before she confirms.
        bram_can = world.services["intake"].get(
            f"/v1/appointments/{brams['id']}/alternatives",
            params={"limit": 200},
            headers=world.as_claimant("bram"),
        )
        shared = [s["slot_id"] for s in bram_can.json()["items"] if s["slot_id"] in offered]
        assert shared
        r = world.services["intake"].post(
            f"/v1/appointments/{brams['id']}/reschedule",
            json={"slot_id": shared[0]},
            headers=world.as_claimant("bram"),
        )
        assert r.status_code == 200, r.text
        r = web.post(
            f"/me/appointments/{annas['id']}/reschedule",
            data={"slot_id": shared[0], "csrf_token": csrf_token(page.text)},
        )
        assert r.status_code == 200
        assert str(r.url).endswith(f"/me/appointments/{annas['id']}/reschedule")
        notice = _notice(r.text)
        assert notice.startswith(
            "error|alert|Het verzetten is niet gelukt. The slot cannot be booked"
        )
        assert "Traceback" not in r.text
    assert world.appointment("anna") == annas


def test_past_the_cut_off_the_backends_409_is_a_notice(world: World) -> None:
    settings = world.containers["intake"].settings
    annas = world.appointment("anna")
    old = settings.reschedule_cutoff_hours  # type: ignore[attr-defined]
    with world.web() as web:
        me = _sign_in(web, world, "anna")
        slots = _slots(web.get(f"/me/appointments/{annas['id']}/reschedule").text)
        settings.reschedule_cutoff_hours = 168  # type: ignore[attr-defined]
        try:
            r = web.post(
                f"/me/appointments/{annas['id']}/reschedule",
                data={"slot_id": slots[0], "csrf_token": csrf_token(me)},
            )
            assert _notice(r.text).startswith("error|alert|Het verzetten is niet gelukt.")
            assert "not allowed" in r.text
            page = web.get(f"/me/appointments/{annas['id']}/reschedule")
            assert str(page.url).endswith("/me")
            assert "Deze afspraak kunt u nu niet verzetten." in page.text
        finally:
            settings.reschedule_cutoff_hours = old  # type: ignore[attr-defined]
    assert world.appointment("anna") == annas


def test_cancel_asks_first_then_offers_a_new_time(world: World) -> None:
    appt = world.appointment("cato")
    with world.web() as web:
        _sign_in(web, world, "cato")
        confirm = web.get(f"/me/appointments/{appt['id']}/cancel")
        assert confirm.status_code == 200
        assert "Weet u zeker dat u deze afspraak wilt afzeggen?" in confirm.text
        assert "<legend>Waarom zegt u af?</legend>" in confirm.text
        assert world.appointment("cato")["status"] == "booked"  # the page changed nothing
        r = web.post(
            f"/me/appointments/{appt['id']}/cancel", data={"csrf_token": csrf_token(confirm.text)}
        )
        assert _notice(r.text) == "error|alert|Kies een reden."
        r = web.post(
            f"/me/appointments/{appt['id']}/cancel",
            data={
                "reason_code": "unavailable",
                "reason_text": "Ik moet die dag naar de tandarts.",
                "csrf_token": csrf_token(confirm.text),
            },
        )
        assert str(r.url).endswith("/me")
        assert _notice(r.text) == "ok|status|Uw afspraak is afgezegd."
        assert "Afgezegd door u" in r.text
        assert f'href="/me/appointments/{appt["id"]}/reschedule"' in r.text
        assert "Een nieuwe tijd kiezen" in r.text
        assert "calendar.ics" not in r.text
        assert world.appointment("cato")["status"] == "cancelled_by_claimant"
        # Cancelling again: intake's 409, shown as a notice.
        r = web.post(
            f"/me/appointments/{appt['id']}/cancel",
            data={"reason_code": "other", "csrf_token": csrf_token(confirm.text)},
        )
        assert _notice(r.text).startswith("error|alert|Het afzeggen is niet gelukt.")
        # After cancelling, the claimant picks a new time themselves.
        page = web.get(f"/me/appointments/{appt['id']}/reschedule")
        slots = _slots(page.text)
        assert slots
        r = web.post(
            f"/me/appointments/{appt['id']}/reschedule",
            data={"slot_id": slots[0], "csrf_token": csrf_token(page.text)},
        )
        assert _notice(r.text).startswith("ok|status|")
        assert "Gepland" in r.text or "Verzet" in r.text


# -- my questionnaire -------------------------------------------------------------------------


def test_questionnaire_is_an_accessible_form_and_is_stored(world: World) -> None:
    cid = world.claimants["bram"].claim_id
    with world.web() as web:
        _sign_in(web, world, "bram")
        page = web.get("/me/questionnaire")
        assert page.status_code == 200, page.text
        legends = re.findall(r"<legend>(.*?)</legend>", page.text, re.S)
        assert len(legends) >= len(QUESTIONNAIRE)
        assert any("Hoogst afgeronde opleiding" in lg for lg in legends)
        assert "Mbo" in page.text  # choices in words, not codes
        assert 'id="prefilled"' not in page.text  # nothing answered yet (triage's 409)
        assert " checked" not in page.text
        assert "Detailhandel" in page.text or "detailhandel" in page.text.lower()
        # Every input has a label.
        for input_id in re.findall(r'<input type="(?:radio|number)" id="([^"]+)"', page.text):
            assert f'for="{input_id}"' in page.text, input_id
        token = csrf_token(page.text)
        missing = {f"answers.{k}": v for k, v in QUESTIONNAIRE.items() if k != "mobility"}
        r = web.post("/me/questionnaire", data={**missing, "csrf_token": token})
        notice = _notice(r.text)
        assert notice.startswith("error|alert|De vragenlijst is niet opgeslagen.")
        assert "answers.mobility" in notice
        r = web.post(
            "/me/questionnaire", data={"answers.years_work_history": "twaalf", "csrf_token": token}
        )
        assert _notice(r.text) == "error|alert|Vul bij getallen alleen cijfers in."
        forged = web.post(
            "/me/questionnaire",
            data={**{f"answers.{k}": v for k, v in QUESTIONNAIRE.items()}, "csrf_token": "x"},
        )
        assert forged.status_code == 403
        analyst = Tokens.header(world.tokens.user("triage_analyst", sub="analyst"))
        scores = world.services["triage"].get(f"/v1/claims/{cid}/scores", headers=analyst)
        assert all(s["questionnaire_id"] is None for s in scores.json())
        r = web.post(
            "/me/questionnaire",
            data={**{f"answers.{k}": v for k, v in QUESTIONNAIRE.items()}, "csrf_token": token},
        )
        assert _notice(r.text) == "ok|status|Dank u wel. Uw antwoorden zijn opgeslagen."
        # Pre-filled with the answers in force.
        assert 'id="prefilled"' in r.text
        assert re.search(r'value="vocational" checked', r.text)
        assert re.search(r'value="true" checked', r.text)  # driving_licence
        assert re.search(r'value="false" checked', r.text)  # severance_received
        assert 'name="answers.years_work_history"' in r.text
        assert re.search(r'name="answers.years_work_history"[^>]*value="12"', r.text, re.S)
        assert len(re.findall(r" checked", r.text)) == sum(
            1 for k in QUESTIONNAIRE if k not in NUMBERS
        )
    scores = world.services["triage"].get(f"/v1/claims/{cid}/scores", headers=analyst).json()
    assert scores[0]["questionnaire_id"] is not None
    assert scores[0]["trigger"] == "questionnaire"


# -- my work plan -----------------------------------------------------------------------------


def test_work_plan_and_reporting_a_job_search_activity(world: World) -> None:
    cid = world.claimants["anna"].claim_id
    lead = Tokens.header(world.tokens.user("team_lead", sub="lead-mst", office="MST"))
    r = world.services["coaching"].put(
        f"/v1/cases/{cid}/obligation/regime",
        json={"regime": "regular", "reason": "Afgesproken in het intakegesprek"},
        headers=lead,
    )
    assert r.status_code == 200, r.text
    with world.web() as web:
        _sign_in(web, world, "anna")
        page = web.get("/me/work-plan")
        assert page.status_code == 200, page.text
        assert "<h1>Mijn werkplan</h1>" in page.text
        assert "Mijn sollicitatieplicht" in page.text
        assert "Gewone sollicitatieplicht" in page.text
        assert "Deze periode" in page.text
        counted = re.search(r'<dd id="counted">(\d+) / (\d+)</dd>', page.text)
        assert counted, page.text
        assert counted.group(1) == "0"
        assert "Doorgeven wat ik heb gedaan" in page.text
        assert "created_by_kind" not in page.text
        assert "version" not in page.text
        token = csrf_token(page.text)
        today = local_today().isoformat()
        r = web.post(
            "/me/work-plan/job-search-activities",
            data={"kind": "lottery", "activity_date": today, "csrf_token": token},
        )
        assert _notice(r.text) == "error|alert|Kies wat u heeft gedaan."
        future = local_today().replace(year=local_today().year + 1).isoformat()
        r = web.post(
            "/me/work-plan/job-search-activities",
            data={"kind": "application", "activity_date": future, "csrf_token": token},
        )
        notice = _notice(r.text)
        assert notice.startswith("error|alert|Het doorgeven is niet gelukt.")
        assert "activity_date" in notice
        assert (
            web.post(
                "/me/work-plan/job-search-activities",
                data={"kind": "application", "activity_date": today, "csrf_token": "forged"},
            ).status_code
            == 403
        )
        r = web.post(
            "/me/work-plan/job-search-activities",
            data={
                "kind": "application",
                "activity_date": today,
                "employer": "Bakkerij Maas",
                "description": "Open sollicitatie als verkoper",
                "csrf_token": token,
            },
        )
        assert _notice(r.text) == "ok|status|Dank u wel. Uw activiteit is doorgegeven."
        assert "Bakkerij Maas" in r.text
        assert "Sollicitatie" in r.text
        after = re.search(r'<dd id="counted">(\d+) / (\d+)</dd>', r.text)
        assert after
        assert after.group(1) == "1"  # it counts for this period
        day = local_today()
        assert f"{day.day} " in r.text  # the day in words, not YYYY-MM-DD
        assert f"<td>{day.isoformat()}</td>" not in r.text
    listed = world.services["coaching"].get(
        f"/v1/cases/{cid}/job-search-activities", headers=world.as_claimant("anna")
    )
    assert [a["employer"] for a in listed.json()["items"]] == ["Bakkerij Maas"]
    assert listed.json()["items"][0]["reported_by"] == "claimant"


# -- my messages ------------------------------------------------------------------------------


def test_messages_list_and_a_readable_body(world: World) -> None:
    cid = world.claimants["anna"].claim_id
    mine = world.services["intake"].get(
        f"/v1/claims/{cid}/messages", headers=world.as_claimant("anna")
    )
    assert mine.status_code == 200, mine.text
    items = mine.json()["items"]
    assert items, "the invitation was not created"
    brams = (
        world.services["intake"]
        .get(
            f"/v1/claims/{world.claimants['bram'].claim_id}/messages",
            headers=world.as_claimant("bram"),
        )
        .json()["items"]
    )
    with world.web() as web:
        _sign_in(web, world, "anna")
        page = web.get("/me/messages")
        assert page.status_code == 200, page.text
        assert "<h1>Mijn berichten</h1>" in page.text
        first = items[-1]
        assert f'href="/me/messages/{first["id"]}"' in page.text
        detail = web.get(f"/me/messages/{first['id']}")
        assert detail.status_code == 200, detail.text
        assert 'class="me-letter"' in detail.text
        assert "Hendriks" in detail.text or "Anna" in detail.text
        assert "<script" not in detail.text.split("</header>")[1]
        if brams:
            assert web.get(f"/me/messages/{brams[0]['id']}").status_code == 404
        assert web.get(f"/me/messages/{uuid.uuid4()}").status_code == 404


def test_a_claimant_without_a_claim_is_told_so(world: World) -> None:
    with world.web() as web:
        page = web.get("/dev/sign-in")
        r = web.post(
            "/dev/sign-in",
            data={
                "role": "claimant",
                "subject": "claimant-mst-nobody",
                "csrf_token": csrf_token(page.text),
            },
        )
        assert r.status_code == 200
        assert "Wij hebben nog geen WW-aanvraag van u gevonden." in r.text
        for path in ("/me/questionnaire", "/me/work-plan", "/me/messages"):
            r = web.get(path)
            assert r.status_code == 200, path
            assert "Wij hebben nog geen WW-aanvraag van u gevonden." in r.text


def test_round_trips_of_the_claimant_pages(world: World) -> None:
    """What each page costs per backend (issue 15 asks one round trip per backend where the
    APIs allow it): intake has no "my claim with appointments" read, so /me is the claim,
    then its appointments and the office at once."""
    recordings, backends = world.recordings("intake", "triage", "coaching")
    cid = world.claimants["bram"].claim_id
    with TestClient(create_app(world.settings, backends=backends)) as web:
        _sign_in(web, world, "bram")
        expected = {
            "/me": {
                "intake": [
                    "/v1/claims",
                    f"/v1/claims/{cid}/appointments",
                    "/v1/offices/MST/contact",
                ]
            },
            "/me/questionnaire": {
                "intake": ["/v1/claims"],
                "triage": ["/v1/questionnaire", f"/v1/claims/{cid}/questionnaire"],
            },
            "/me/work-plan": {
                "intake": ["/v1/claims"],
                "coaching": [
                    f"/v1/cases/{cid}/work-plan",
                    f"/v1/cases/{cid}/obligation",
                    f"/v1/cases/{cid}/job-search-activities",
                ],
            },
            "/me/messages": {"intake": ["/v1/claims", f"/v1/claims/{cid}/messages"]},
        }
        for path, calls in expected.items():
            for r in recordings.values():
                r.paths.clear()
            assert web.get(path).status_code == 200, path
            seen = {n: sorted(r.paths) for n, r in recordings.items() if r.paths}
            assert seen == {n: sorted(p) for n, p in calls.items()}, path
