"""The web over the REAL four services on PostgreSQL, mounted in process (ASGITransport):
dev sign-in as a coach, a registration's intake on "Mijn intakes", the claimant page with
the triage explanation, need-to-know decided by the backends, CSRF on logout."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.pg import PgDatabases
from tests.support.web_mounted import MountedWeb, csrf_token, mounted_web

pytestmark = pytest.mark.integration


@dataclass
class World(MountedWeb):
    coach_ams: str = ""
    coach_rtm: str = ""
    claim_id: str = ""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases) -> Iterator[World]:
    with mounted_web(World, tmp_path_factory.mktemp("web-pg-state"), pg) as w:
        w.coach_ams = w.add_coach("AMS", "Sanne de Boer")
        w.coach_rtm = w.add_coach("UTR", "Pieter Jansen")
        claim = {
            "bsn": synthetic_bsn(random.Random(15)),
            "given_name": "Fatima",
            "family_name": "El Amrani",
            "date_of_birth": "1988-03-14",
            "first_ww_day": local_today().isoformat(),
            "postcode": "1011 AB",
        }
        r = w.services["intake"].post(
            "/v1/claims", json=claim, headers=w.staff("benefits_officer", sub="officer")
        )
        assert r.status_code == 201, r.text
        w.claim_id = str(r.json()["id"])
        w.drain_all()
        yield w


def _sign_in_as_coach(web: TestClient, coach_id: str) -> str:
    page = web.get("/dev/sign-in")
    assert page.status_code == 200, page.text
    assert coach_id in page.text
    r = web.post(
        "/dev/sign-in",
        data={"role": "coach", "coach_id": coach_id, "csrf_token": csrf_token(page.text)},
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


def test_my_intakes_is_one_round_trip_to_intake(world: World) -> None:
    recorders, backends = world.recordings("intake")
    recording = recorders["intake"]
    with world.web(backends) as web:
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
        r = web.post("/logout", data={"csrf_token": csrf_token(mine)})
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
