"""Mijn caseload and Mijn taken over the REAL four services on PostgreSQL, mounted in process
(ASGITransport): 30 registrations in Leeuwarden reach coaching as personal cases of one
coach; filters, sort and paging over two pages; one call per backend; the task done form
(CSRF first, a backend 4xx as a notice); the wrong roles and another coach refused."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens
from tests.support.web_mounted import MountedWeb, csrf_token, mounted_web
from tests.support.web_pages import WEAK_ANSWERS
from web.backend import Backend

pytestmark = pytest.mark.integration

OFFICE = "LWD"
POSTCODE = "8911 AB"  # Leeuwarden
CASES = 30
TASKS = 6


@dataclass
class World(MountedWeb):
    coach: str = ""
    other_coach: str = ""
    # claim id -> (family name, first WW day), of the coach's 30 cases
    claims: dict[str, tuple[str, dt.date]] = field(default_factory=dict)
    other_claim: str = ""

    def admin(self) -> dict[str, str]:
        return Tokens.header(self.tokens.user("admin", sub="admin-caseload"))

    def case(self, claim_id: str) -> dict[str, Any]:
        r = self.services["coaching"].get(f"/v1/cases/{claim_id}", headers=self.admin())
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def open_tasks(self, coach_id: str) -> list[dict[str, Any]]:
        headers = Tokens.header(self.tokens.user("coach", sub=coach_id, office=OFFICE))
        r = self.services["coaching"].get("/v1/tasks", params={"limit": 200}, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]


def _coach_in(w: World, office: str, name: str) -> str:
    return w.add_coach(office, name, hours=("08:00", "17:00"), contract_hours=36)


def _family(i: int) -> str:
    """Letters only (intake's name rule), in the order of i: CaseAa, CaseAb, ... CaseCj."""
    return f"Case{chr(65 + i // 10)}{chr(97 + i % 10)}"


def _register(w: World, rng: random.Random, family: str, first_ww_day: dt.date) -> str:
    officer = Tokens.header(w.tokens.user("benefits_officer", sub="officer"))
    body = {
        "bsn": synthetic_bsn(rng),
        "given_name": "Klant",
        "family_name": family,
        "date_of_birth": "1963-05-01",
        "first_ww_day": first_ww_day.isoformat(),
        "postcode": POSTCODE,
        "questionnaire_answers": WEAK_ANSWERS,
    }
    r = w.services["intake"].post("/v1/claims", json=body, headers=officer)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases) -> Iterator[World]:
    rng = random.Random(8911)
    today = local_today()
    with mounted_web(World, tmp_path_factory.mktemp("web-caseload-state"), pg) as w:
        # The only coach of the office while the 30 cases arrive: all are theirs.
        w.coach = _coach_in(w, OFFICE, "Wietske Hoekstra")
        for i in range(CASES):
            family = _family(i)
            first = today - dt.timedelta(days=35 + i)  # one closed 4-week period at least
            w.claims[_register(w, rng, family, first)] = (family, first)
        w.drain_all()
        # A second coach afterwards gets the next case (the lowest load): not the first's.
        w.other_coach = _coach_in(w, OFFICE, "Jelle Visser")
        w.other_claim = _register(w, rng, "Anderman", today - dt.timedelta(days=40))
        w.drain_all()
        # The regular job-search regime from the first WW day for the first TASKS cases and
        # the other coach's; the evaluation makes a task of each closed period without activity.
        for claim_id in [*list(w.claims)[:TASKS], w.other_claim]:
            case = w.case(claim_id)
            r = w.services["coaching"].put(
                f"/v1/cases/{claim_id}/obligation/regime",
                json={
                    "regime": "regular",
                    "effective_from": case["first_ww_day"],
                    "reason": "checklist at the intake",
                },
                headers=w.admin(),
            )
            assert r.status_code == 200, r.text
        r = w.services["coaching"].post("/v1/admin/obligations/evaluate", headers=w.admin())
        assert r.status_code == 200, r.text
        w.drain_all()
        yield w


def _sign_in(web: TestClient, role: str, **fields: str) -> str:
    page = web.get("/dev/sign-in")
    assert page.status_code == 200, page.text
    data = {"role": role, "csrf_token": csrf_token(page.text), **fields}
    r = web.post("/dev/sign-in", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]  # type: ignore[no-any-return]


def _families(html: str) -> list[str]:
    return re.findall(r">Klant (Case[A-Z][a-z])</a>", html)


def test_the_setup_gives_the_coach_thirty_personal_cases_with_tasks(world: World) -> None:
    for claim_id in world.claims:
        case = world.case(claim_id)
        assert (case["segment"], case["coach_id"]) == ("personal", world.coach), case
    assert world.case(world.other_claim)["coach_id"] == world.other_coach
    tasks = world.open_tasks(world.coach)
    assert {t["claim_id"] for t in tasks} == set(list(world.claims)[:TASKS])
    assert {t["kind"] for t in tasks} == {"obligation_missed"}


def _coach_web(world: World, coach_id: str, backends: dict[str, Backend] | None = None) -> Any:
    web = world.web(backends)
    web.__enter__()
    _sign_in(web, "coach", coach_id=coach_id)
    return web


@pytest.fixture
def coach_web(world: World) -> Iterator[TestClient]:
    web = _coach_web(world, world.coach)
    try:
        yield web
    finally:
        web.__exit__(None, None, None)


def _links(html: str) -> dict[str, str]:
    return {
        rel: unescape(href) for rel, href in re.findall(r'rel="(prev|next)" href="([^"]+)"', html)
    }


def test_two_pages_of_the_coachs_cases_with_names_and_previous_next_links(
    world: World, coach_web: TestClient
) -> None:
    page = coach_web.get("/caseload")
    assert page.status_code == 200, page.text
    assert "<h1>Mijn caseload</h1>" in page.text
    assert "30 zaken, pagina 1 van 2" in page.text
    first = _families(page.text)
    assert len(first) == 25
    links = _links(page.text)
    assert set(links) == {"next"}
    assert links["next"] == "/caseload?status=open&sort=-opened_at&page=2"
    claim_of = {family: cid for cid, (family, _) in world.claims.items()}
    assert f'href="/claims/{claim_of[first[0]]}">Klant {first[0]}</a>' in page.text
    second = coach_web.get(links["next"])
    assert second.status_code == 200
    assert "pagina 2 van 2" in second.text
    rest = _families(second.text)
    assert len(rest) == 5
    assert set(first) | set(rest) == {f for f, _ in world.claims.values()}
    assert set(_links(second.text)) == {"prev"}
    assert _links(second.text)["prev"].endswith("page=1")
    # Another coach's case is not in this caseload.
    assert "Anderman" not in page.text + second.text
    assert world.other_claim not in page.text + second.text


def test_sort_and_filters_reach_coaching_and_stay_in_the_paging_links(
    world: World, coach_web: TestClient
) -> None:
    by_day = sorted(world.claims.values(), key=lambda v: v[1])
    page = coach_web.get("/caseload", params={"sort": "first_ww_day", "segment": "personal"})
    assert page.status_code == 200
    assert _families(page.text) == [f for f, _ in by_day][:25]
    nxt = _links(page.text)["next"]
    assert nxt == "/caseload?segment=personal&status=open&sort=first_ww_day&page=2"
    assert _families(coach_web.get(nxt).text) == [f for f, _ in by_day][25:]
    latest = coach_web.get("/caseload", params={"sort": "-first_ww_day"})
    assert _families(latest.text)[:3] == ["CaseAa", "CaseAb", "CaseAc"]
    # The filters' selected options are shown as chosen.
    assert '<option value="first_ww_day" selected>' in page.text
    assert '<option value="personal" selected>' in page.text
    for params in ({"segment": "digital"}, {"status": "closed"}, {"no_show": "yes"}):
        empty = coach_web.get("/caseload", params=params)
        assert empty.status_code == 200, params
        assert _families(empty.text) == []
        assert "Geen zaken met deze filters." in empty.text
        assert "0 zaken" in empty.text
    everything = coach_web.get("/caseload", params={"status": "", "no_show": "no"})
    assert "30 zaken" in everything.text
    past = coach_web.get("/caseload", params={"page": "3"})
    assert past.status_code == 200
    assert "Deze pagina is leeg" in past.text
    assert 'href="/caseload?status=open&amp;sort=-opened_at&amp;page=1"' in past.text


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "bsn"},
        {"segment": "vip"},
        {"status": "pending"},
        {"no_show": "maybe"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "two"},
        {"page": "99999999"},
        {"page": "²"},
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_nonsense_in_the_query_is_a_400_notice_not_a_trace(
    coach_web: TestClient, params: dict[str, str]
) -> None:
    page = coach_web.get("/caseload", params=params)
    assert page.status_code == 400, page.text
    assert 'role="alert"' in page.text
    assert "Deze filter- of paginawaarde bestaat niet" in page.text
    assert f"({next(iter(params))})" in page.text
    assert "Traceback" not in page.text
    assert "<h1>Mijn caseload</h1>" in page.text  # the form is there to try again


def test_htmx_gets_the_results_fragment_only(coach_web: TestClient) -> None:
    full = coach_web.get("/caseload")
    assert 'hx-get="/caseload"' in full.text
    assert 'hx-target="#caseload-results"' in full.text
    assert 'hx-push-url="true"' in full.text
    part = coach_web.get("/caseload", params={"page": "2"}, headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert "<html" not in part.text
    assert "<h1>" not in part.text
    assert len(_families(part.text)) == 5
    assert 'hx-target="#caseload-results"' in part.text  # the paging links stay in place
    assert part.headers["vary"] == "HX-Request"  # a cache keeps the two bodies apart


def test_each_page_is_one_call_to_coaching_and_one_to_intake(world: World) -> None:
    recorders, backends = world.recordings("coaching", "intake")
    web = _coach_web(world, world.coach, backends)
    try:
        for url, coaching_path in (("/caseload", "/v1/cases"), ("/tasks", "/v1/tasks")):
            for r in recorders.values():
                r.paths.clear()
            page = web.get(url)
            assert page.status_code == 200, page.text
            assert "Klant Case" in page.text  # the names came along
            assert recorders["coaching"].paths == [coaching_path], url
            assert recorders["intake"].paths == ["/v1/claims"], url
    finally:
        web.__exit__(None, None, None)


def test_rows_show_the_next_action_and_the_obligation_status(
    world: World, coach_web: TestClient
) -> None:
    page = coach_web.get("/caseload", params={"sort": "-first_ww_day"}).text
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", page, flags=re.S)
    assert len(rows) == 25
    with_task = [r for r in rows if "Sollicitatieplicht niet nagekomen" in r]
    assert len(with_task) == TASKS  # the first six (latest first WW days) have a task
    for row in with_task:
        assert "Taak opvolgen" in row
        assert 'href="/tasks"' in row
        assert "Niet voldaan" in row
    others = [r for r in rows if r not in with_task]
    assert all("Eerste contact plannen" in r for r in others)
    assert all("Nog niet beoordeeld" in r for r in others)
    # English when the coach switches language.
    coach_web.post("/language", data={"lang": "en", "csrf_token": csrf_token(page)})
    en = coach_web.get("/caseload").text
    assert "<h1>My caseload</h1>" in en
    assert "Plan the first contact" in en
    coach_web.post("/language", data={"lang": "nl", "csrf_token": csrf_token(en)})


def _task_forms(html: str) -> list[str]:
    return re.findall(r'action="/tasks/([0-9a-f-]{36})/done"', html)


def test_the_task_done_form_csrf_first_and_backend_problems_as_notices(
    world: World, coach_web: TestClient
) -> None:
    page = coach_web.get("/tasks")
    assert page.status_code == 200, page.text
    assert "<h1>Mijn taken</h1>" in page.text
    ids = _task_forms(page.text)
    assert len(ids) == TASKS
    assert "Sollicitatieplicht niet nagekomen" in page.text
    assert "Klant CaseA" in page.text
    token = csrf_token(page.text)
    first, second = ids[0], ids[1]

    # A forged POST is refused before anything reaches coaching.
    forged = coach_web.post(f"/tasks/{first}/done", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert "Het formulier is verlopen of ongeldig" in forged.text
    missing = coach_web.post(f"/tasks/{first}/done", data={})
    assert missing.status_code == 403
    assert first in {t["id"] for t in world.open_tasks(world.coach)}

    # The plain form: done, and the notice once on the next page.
    done = coach_web.post(f"/tasks/{first}/done", data={"csrf_token": token, "note": "Gebeld"})
    assert done.status_code == 200
    assert str(done.url).endswith("/tasks")
    assert "De taak is afgehandeld." in done.text
    assert first not in _task_forms(done.text)
    assert first not in {t["id"] for t in world.open_tasks(world.coach)}
    assert "De taak is afgehandeld." not in coach_web.get("/tasks").text  # once

    # Coaching's 409 (done already) and 422 (a BSN in the note) become readable notices.
    again = coach_web.post(f"/tasks/{first}/done", data={"csrf_token": token})
    assert again.status_code == 200
    assert 'role="alert"' in again.text
    assert "already done" in again.text
    bsn = synthetic_bsn(random.Random(1))
    bad = coach_web.post(f"/tasks/{second}/done", data={"csrf_token": token, "note": f"BSN {bsn}"})
    assert 'role="alert"' in bad.text
    assert bsn not in bad.text
    assert second in {t["id"] for t in world.open_tasks(world.coach)}
    too_long = coach_web.post(
        f"/tasks/{second}/done", data={"csrf_token": token, "note": "x" * 1001}
    )
    assert "De notitie is te lang" in too_long.text
    nonsense = coach_web.post("/tasks/not-a-task/done", data={"csrf_token": token})
    assert nonsense.status_code == 400
    assert "Traceback" not in nonsense.text


def test_another_coachs_task_and_cases_stay_theirs(world: World) -> None:
    (theirs,) = world.open_tasks(world.other_coach)
    web = _coach_web(world, world.coach)
    try:
        token = csrf_token(web.get("/tasks").text)
        r = web.post(f"/tasks/{theirs['id']}/done", data={"csrf_token": token})
        assert 'role="alert"' in r.text  # coaching's 404: no such task for this coach
        assert world.open_tasks(world.other_coach) == [theirs]
    finally:
        web.__exit__(None, None, None)
    other = _coach_web(world, world.other_coach)
    try:
        page = other.get("/caseload")
        assert page.status_code == 200
        assert "1 zaken, pagina 1 van 1" in page.text
        assert "Klant Anderman" in page.text
        assert _families(page.text) == []
        tasks = other.get("/tasks").text
        assert _task_forms(tasks) == [theirs["id"]]
    finally:
        other.__exit__(None, None, None)


def test_a_coach_of_another_office_sees_nothing_of_leeuwarden(world: World) -> None:
    ams = _coach_in(world, "AMS", "Sanne de Boer")
    (task,) = world.open_tasks(world.other_coach)
    web = _coach_web(world, ams)
    try:
        page = web.get("/caseload", params={"status": ""})
        assert page.status_code == 200
        assert "0 zaken" in page.text
        assert "Klant " not in page.text
        tasks = web.get("/tasks")
        assert "Geen open taken." in tasks.text
        r = web.post(f"/tasks/{task['id']}/done", data={"csrf_token": csrf_token(tasks.text)})
        assert 'role="alert"' in r.text
        assert world.open_tasks(world.other_coach) == [task]
    finally:
        web.__exit__(None, None, None)


def test_the_task_list_pages_and_refuses_nonsense(coach_web: TestClient) -> None:
    past = coach_web.get("/tasks", params={"page": "2"})
    assert past.status_code == 200
    assert "Deze pagina is leeg" in past.text
    assert 'href="/tasks?page=1"' in past.text
    for bad in ("0", "x", "10001"):
        page = coach_web.get("/tasks", params={"page": bad})
        assert page.status_code == 400, bad
        assert "Deze filter- of paginawaarde bestaat niet" in page.text
        assert "Traceback" not in page.text


@pytest.mark.parametrize(
    ("role", "fields"),
    [
        ("team_lead", {"office": OFFICE}),
        ("claimant", {"subject": "claimant-lwd", "bsn": ""}),
    ],
)
def test_a_team_lead_or_claimant_gets_the_403_page(
    world: World, role: str, fields: dict[str, str]
) -> None:
    with world.web() as web:
        _sign_in(web, role, **fields)
        for url in ("/caseload", "/tasks"):
            page = web.get(url)
            assert page.status_code == 403, url
            assert "Geen toegang" in page.text
            assert "Klant Case" not in page.text
        token = csrf_token(web.get("/caseload").text)
        (task,) = world.open_tasks(world.other_coach)
        assert web.post(f"/tasks/{task['id']}/done", data={"csrf_token": token}).status_code == 403
        assert world.open_tasks(world.other_coach) == [task]


def test_nobody_signed_in_goes_to_the_sign_in(world: World) -> None:
    with world.web() as web:
        for url in ("/caseload", "/tasks"):
            r = web.get(url, follow_redirects=False)
            assert r.status_code == 303
            assert r.headers["location"] == "/dev/sign-in"
