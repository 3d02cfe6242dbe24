"""The web over the REAL four services on PostgreSQL, mounted in process (ASGITransport):
dev sign-in as a coach, a registration's intake on "Mijn intakes", the claimant page with
the triage explanation, need-to-know decided by the backends, CSRF on logout."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from shared.clock import local_today
from shared.messaging.relay import drain
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import embedded_containers
from tests.support.tokens import Tokens
from web.app import create_app
from web.backend import Backend
from web.settings import WebSettings

pytestmark = pytest.mark.integration


@dataclass
class World:
    containers: dict[str, ServiceContainer]
    services: dict[str, TestClient]
    tokens: Tokens
    settings: WebSettings
    backends: dict[str, Backend]
    coach_ams: str
    coach_rtm: str
    claim_id: str

    def web(self) -> TestClient:
        return TestClient(create_app(self.settings, backends=self.backends))

    def drain_all(self) -> None:
        for _ in range(2):  # events beget events (claim registered -> scored -> ...)
            for name in ("intake", "triage", "coaching", "starters"):
                drain(self.containers[name].relay)


def _coach(w: World, office: str, name: str) -> str:
    lead = Tokens.header(w.tokens.user("team_lead", sub=f"lead-{office}", office=office))
    body = {"display_name": name, "office_code": office, "contract_hours": 32}
    r = w.services["coaching"].post("/v1/coaches", json=body, headers=lead)
    assert r.status_code == 201, r.text
    w.drain_all()
    coach_id = str(r.json()["id"])
    blocks = [
        {"weekday": d, "start_time": "09:00", "end_time": "12:00", "office_code": office}
        for d in range(5)
    ]
    r = w.services["intake"].put(
        f"/v1/coaches/{coach_id}/agenda", json={"blocks": blocks}, headers=lead
    )
    assert r.status_code == 200, r.text
    return coach_id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases) -> Iterator[World]:
    state_dir: Path = tmp_path_factory.mktemp("web-pg-state")
    containers = embedded_containers(state_dir, database_urls=pg.create_all(), log_level="WARNING")
    apps = {n: build_app(c, manage_lifecycle=False) for n, c in containers.items()}
    services = {n: TestClient(a) for n, a in apps.items()}
    backends = {n: Backend(f"http://{n}.test", httpx.ASGITransport(app=a)) for n, a in apps.items()}
    settings = WebSettings(state_dir=state_dir, environment="test", backend_retries=0)
    w = World(
        containers, services, Tokens(state_dir / "dev-jwt-key.pem"), settings, backends, "", "", ""
    )
    try:
        w.coach_ams = _coach(w, "AMS", "Sanne de Boer")
        w.coach_rtm = _coach(w, "UTR", "Pieter Jansen")
        officer = Tokens.header(w.tokens.user("benefits_officer", sub="officer"))
        claim = {
            "bsn": synthetic_bsn(random.Random(15)),
            "given_name": "Fatima",
            "family_name": "El Amrani",
            "date_of_birth": "1988-03-14",
            "first_ww_day": local_today().isoformat(),
            "postcode": "1011 AB",
        }
        r = services["intake"].post("/v1/claims", json=claim, headers=officer)
        assert r.status_code == 201, r.text
        w.claim_id = str(r.json()["id"])
        w.drain_all()
        yield w
    finally:
        for c in containers.values():
            c.stop()


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html
    return m.group(1)


def _sign_in_as_coach(web: TestClient, coach_id: str) -> str:
    page = web.get("/dev/sign-in")
    assert page.status_code == 200, page.text
    assert coach_id in page.text
    r = web.post(
        "/dev/sign-in",
        data={"role": "coach", "coach_id": coach_id, "csrf_token": _csrf(page.text)},
    )
    assert r.status_code == 200, r.text
    assert str(r.url).endswith("/my-intakes")
    return r.text


def test_coach_sees_the_booked_intake_and_opens_the_claimant_page(world: World) -> None:
    with world.web() as web:
        mine = _sign_in_as_coach(web, world.coach_ams)
        assert "Mijn intakes" in mine
        assert f'href="/claims/{world.claim_id}"' in mine
        assert "Fatima El Amrani" in mine
        assert "Gepland" in mine

        page = web.get(f"/claims/{world.claim_id}")
        assert page.status_code == 200, page.text
        assert "Uitleg van de triage" in page.text
        assert "<svg" in page.text  # the chart, with the table as its text alternative
        assert '<th scope="col">Bijdrage</th>' in page.text
        assert "Nog geen triagescore" not in page.text
        assert "AMS" in page.text
        assert "Verstuurde berichten" in page.text


class _Recording(httpx.AsyncBaseTransport):
    """Passes requests on and remembers their paths (to count round trips)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


def test_my_intakes_is_one_round_trip_to_intake(world: World) -> None:
    recording = _Recording(
        httpx.ASGITransport(app=build_app(world.containers["intake"], manage_lifecycle=False))
    )
    backends = {**world.backends, "intake": Backend("http://intake.test", recording)}
    with TestClient(create_app(world.settings, backends=backends)) as web:
        _sign_in_as_coach(web, world.coach_ams)
        recording.paths.clear()
        page = web.get("/my-intakes")
    assert page.status_code == 200, page.text
    assert "Fatima El Amrani" in page.text
    assert recording.paths == [f"/v1/coaches/{world.coach_ams}/appointments"]


def test_a_coach_of_another_office_gets_the_refusal_page(world: World) -> None:
    with world.web() as web:
        _sign_in_as_coach(web, world.coach_rtm)
        assert world.claim_id not in web.get("/my-intakes").text
        page = web.get(f"/claims/{world.claim_id}")
        assert page.status_code in (403, 404)
        assert "Fatima" not in page.text
        assert "Traceback" not in page.text


def test_forged_csrf_logout_is_403_and_a_real_one_signs_out(world: World) -> None:
    with world.web() as web:
        mine = _sign_in_as_coach(web, world.coach_ams)
        assert web.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        assert web.get("/my-intakes").status_code == 200  # still signed in
        r = web.post("/logout", data={"csrf_token": _csrf(mine)})
        assert r.status_code == 200
        assert "Uitloggen" not in r.text
        after = web.get("/my-intakes", follow_redirects=False)
        assert after.status_code == 303
        assert after.headers["location"] == "/dev/sign-in"


def test_unknown_claim_is_the_404_page(world: World) -> None:
    with world.web() as web:
        _sign_in_as_coach(web, world.coach_ams)
        page = web.get("/claims/00000000-0000-4000-8000-000000000000")
        assert page.status_code == 404
        assert "Niet gevonden" in page.text
