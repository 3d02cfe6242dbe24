"""The coach's intake work and the claimant page over the REAL four services on
PostgreSQL, mounted in process: Mijn intakes offers what intake allows, the intake is
completed with the checklist (intake's 422 shown on the form, which keeps what was
entered), a no-show is recorded, the claimant page shows score, override history, work
plan, contact moments, obligation and starters, and an override with a reason changes the
segment. Forged CSRF, another office's coach and the wrong role are refused, and nothing
changes in the backends then.

Office MDB (postcodes 4300-4599); the other office is VNL (5800-6099). An intake is booked
in the future; to complete it (intake accepts that only after the start) the test moves it
ten minutes into the past in intake's database, as intake's own tests do.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.clock import LOCAL_TZ, local_today
from shared.testdata import synthetic_bsn
from tests.support.pg import PgDatabases
from tests.support.web_mounted import MountedWeb, csrf_token, mounted_web

pytestmark = pytest.mark.integration


@dataclass
class World(MountedWeb):
    coach_mdb: str = ""
    coach_vnl: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(4331))
    moved: int = 0

    def register(self, given: str, family: str) -> str:
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": given,
            "family_name": family,
            "date_of_birth": "1988-03-14",
            "first_ww_day": local_today().isoformat(),
            "postcode": "4331 AB",
        }
        r = self.services["intake"].post(
            "/v1/claims", json=body, headers=self.staff("benefits_officer")
        )
        assert r.status_code == 201, r.text
        self.drain_all()
        return str(r.json()["id"])

    def appointment(self, claim_id: str) -> dict[str, Any]:
        r = self.services["intake"].get(
            f"/v1/claims/{claim_id}/appointments", headers=self.staff("admin")
        )
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()
        assert items, f"no appointment for {claim_id}"
        return items[-1]

    def into_the_past(self, appointment_id: str) -> None:
        """Started a while ago (intake accepts a completion or no-show only after the
        start); each moved intake earlier than the last (a coach's intakes never overlap)."""
        self.moved += 1
        now = dt.datetime.now(dt.UTC)
        # /my-intakes lists from today (Dutch date): shortly after midnight 46 minutes a
        # step would land yesterday, so the steps shrink to fit the part of today gone by.
        midnight = dt.datetime.combine(local_today(now), dt.time(), tzinfo=LOCAL_TZ)
        step = min(dt.timedelta(minutes=46), (now - midnight) / (MAX_MOVES + 1))
        starts = now - step * self.moved
        with self.containers["intake"].engine.begin() as conn:
            conn.execute(
                text("UPDATE appointments SET starts_at = :s, ends_at = :e WHERE id = :i"),
                {"s": starts, "e": starts + step * 45 / 46, "i": appointment_id},
            )


# More than the module moves into the past (five calls), so the steps always fit in today.
MAX_MOVES = 8


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases) -> Iterator[World]:
    with mounted_web(World, tmp_path_factory.mktemp("web-coach-intake"), pg) as w:
        w.coach_mdb = w.add_coach("MDB", "Maartje Zeeuw", hours=("09:00", "16:00"))
        w.coach_vnl = w.add_coach("VNL", "Vincent Venlo", hours=("09:00", "16:00"))
        yield w


def _sign_in(web: TestClient, coach_id: str) -> str:
    page = web.get("/dev/sign-in")
    r = web.post(
        "/dev/sign-in",
        data={"role": "coach", "coach_id": coach_id, "csrf_token": csrf_token(page.text)},
    )
    assert r.status_code == 200, r.text
    assert str(r.url).endswith("/my-intakes")
    return r.text


def _sign_in_lead(web: TestClient, office: str) -> str:
    page = web.get("/dev/sign-in")
    r = web.post(
        "/dev/sign-in",
        data={"role": "team_lead", "office": office, "csrf_token": csrf_token(page.text)},
    )
    assert r.status_code in (200, 403, 404), r.text  # the lead's start page is another area's
    return csrf_token(web.get("/dev/sign-in").text)


def _alert(html: str) -> str:
    m = re.search(r'role="alert">\s*<p>(.*?)</p>', html, flags=re.S)
    assert m, html
    return m.group(1)


def _status(w: World, appointment_id: str) -> str:
    r = w.services["intake"].get(f"/v1/appointments/{appointment_id}", headers=w.staff("admin"))
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def _complete_form(csrf: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "topic": ["job_search_obligation", "income_reporting", "sanctions"],
        "obligation_regime": "regular",
        "next_step": "work_plan",
        "next_step_detail": "Drie sollicitaties in de zorg",
        "claimant_view": "Wil graag snel aan het werk",
    }
    data.update(over)
    return data


def test_my_intakes_offers_only_what_intake_allows(world: World) -> None:
    claim = world.register("Lieke", "Verburg")
    appt = world.appointment(claim)
    with world.web() as web:
        mine = _sign_in(web, world.coach_mdb)
        assert "Lieke Verburg" in mine
        row = mine[mine.index("Lieke Verburg") :]
        row = row[: row.index("</tr>")]
        # Before the start: open it, no no-show, no completion (intake's allowed_actions).
        assert f'href="/appointments/{appt["id"]}"' in row
        assert "/no-show" not in row
        assert "Intake afronden" not in row
        assert "Gepland" in row
        # The intake page offers neither before the start (intake's allowed_actions).
        early = web.get(f"/appointments/{appt['id']}").text
        assert "kan pas na de starttijd" in early
        assert "/complete" not in early
        assert "/no-show" not in early

        world.into_the_past(appt["id"])
        mine = web.get("/my-intakes").text
        row = mine[mine.index("Lieke Verburg") :]
        row = row[: row.index("</tr>")]
        assert "Intake afronden" in row
        assert f'action="/appointments/{appt["id"]}/no-show"' in row


def test_complete_the_intake_with_the_checklist(world: World) -> None:
    claim = world.register("Fatima", "El Amrani")
    appt = world.appointment(claim)
    world.into_the_past(appt["id"])
    with world.web() as web:
        _sign_in(web, world.coach_mdb)
        page = web.get(f"/appointments/{appt['id']}")
        assert page.status_code == 200, page.text
        assert "Intake van Fatima El Amrani" in page.text
        for topic in ("job_search_obligation", "income_reporting", "suitable_work"):
            assert f'<label for="topic-{topic}">' in page.text
        assert 'name="next_step" value="work_plan"' in page.text
        csrf = csrf_token(page.text)

        # Forged CSRF: 403, and the intake stays as it was.
        forged = web.post(f"/appointments/{appt['id']}/complete", data=_complete_form("forged"))
        assert forged.status_code == 403
        assert _status(world, appt["id"]) == "booked"

        # Intake's 422 (the job-search obligation must be explained) on the form itself,
        # naming the field by its label, with what was entered still there.
        bad = web.post(
            f"/appointments/{appt['id']}/complete",
            data=_complete_form(csrf, topic=["income_reporting"], next_step_detail="Bellen"),
        )
        assert bad.status_code == 422, bad.text
        assert "Rechten en plichten" in _alert(bad.text)
        assert 'id="err-explained_topics"' in bad.text
        assert re.search(r'value="income_reporting" id="topic-income_reporting" checked', bad.text)
        assert not re.search(r'id="topic-sanctions" checked', bad.text)
        assert re.search(r'id="regime-regular" checked', bad.text)
        assert re.search(r'id="step-work_plan" checked', bad.text)
        assert ">Bellen</textarea>" in bad.text
        assert "Wil graag snel aan het werk</textarea>" in bad.text
        assert "Traceback" not in bad.text
        assert _status(world, appt["id"]) == "booked"

        # Without a next step at all: intake's 422 names that field.
        bad = web.post(
            f"/appointments/{appt['id']}/complete",
            data=_complete_form(csrf, next_step="", next_step_detail=""),
        )
        assert bad.status_code == 422
        assert "Afgesproken vervolgstap" in _alert(bad.text)

        # A value that is no option of the form: the 400 page, nothing sent.
        odd = web.post(
            f"/appointments/{appt['id']}/complete", data=_complete_form(csrf, topic=["x"])
        )
        assert odd.status_code == 400

        done = web.post(f"/appointments/{appt['id']}/complete", data=_complete_form(csrf))
        assert done.status_code == 200, done.text
        assert str(done.url).endswith(f"/appointments/{appt['id']}")
        assert "De intake is afgerond." in done.text
        assert "Deze intake is afgerond." in done.text
        assert _status(world, appt["id"]) == "completed"

        # Once only: intake's 409 as a notice.
        again = web.post(f"/appointments/{appt['id']}/complete", data=_complete_form(csrf))
        assert again.status_code == 200
        assert 'role="alert"' in again.text
    with world.containers["intake"].engine.begin() as conn:
        row = conn.execute(
            text(
                "SELECT explained_topics, obligation_regime, agreed_next_step, claimant_view "
                "FROM appointment_completions WHERE appointment_id = :i"
            ),
            {"i": appt["id"]},
        ).one()
    assert sorted(row[0]) == ["income_reporting", "job_search_obligation", "sanctions"]
    assert row[1] == "regular"
    assert row[2] == "Werkplan maken: Drie sollicitaties in de zorg"
    assert row[3] == "Wil graag snel aan het werk"


def test_no_show_from_the_intakes_list(world: World) -> None:
    claim = world.register("Kees", "Koster")
    appt = world.appointment(claim)
    with world.web() as web:
        mine = _sign_in(web, world.coach_mdb)
        csrf = csrf_token(mine)
        # Before the start intake refuses (409): a notice, nothing changed.
        early = web.post(
            f"/appointments/{appt['id']}/no-show", data={"csrf_token": csrf, "back": "my-intakes"}
        )
        assert str(early.url).endswith("/my-intakes")
        assert 'role="alert"' in early.text
        assert _status(world, appt["id"]) == "booked"
        assert (
            web.post(
                f"/appointments/{appt['id']}/no-show", data={"csrf_token": "x", "back": "x"}
            ).status_code
            == 403
        )

        world.into_the_past(appt["id"])
        r = web.post(
            f"/appointments/{appt['id']}/no-show",
            data={"csrf_token": csrf, "back": "https://evil.example/"},
        )
        assert str(r.url).endswith(f"/appointments/{appt['id']}")  # never off-site
        assert "Vastgelegd: de klant is niet verschenen." in r.text
        assert _status(world, appt["id"]) == "no_show"


def test_claimant_page_override_and_its_history(world: World) -> None:
    claim = world.register("Noor", "de Zeeuw")
    appt = world.appointment(claim)
    world.into_the_past(appt["id"])
    with world.web() as web:
        mine = _sign_in(web, world.coach_mdb)
        csrf = csrf_token(mine)
        r = web.post(f"/appointments/{appt['id']}/complete", data=_complete_form(csrf))
        assert r.status_code == 200
        world.drain_all()

        page = web.get(f"/claims/{claim}")
        assert page.status_code == 200, page.text
        html = page.text
        for heading in (
            "Triagescore",
            "Segment aanpassen",
            "Werkplan",
            "Contactmomenten",
            "Sollicitatieplicht per periode",
            "Startersregeling",
            "Verstuurde berichten",
        ):
            assert f">{heading}</h2>" in html, heading
        assert "Het segment is nog niet aangepast." in html
        assert "<td>Uitnodiging</td>" in html  # the invitation intake sent, in words
        assert "<svg" in html
        assert '<th scope="col">Bijdrage</th>' in html
        m = re.search(r'data-segment="(\w+)"', html)
        assert m
        before = m.group(1)
        target = "digital" if before == "personal" else "personal"

        # English page: the explanation in English (triage's texts in the page language).
        web.post("/language", data={"lang": "en", "csrf_token": csrf})
        en = web.get(f"/claims/{claim}").text
        assert "Triage score" in en
        assert "Contribution per factor" in en
        web.post("/language", data={"lang": "nl", "csrf_token": csrf})

        # Forged CSRF: 403 and no override in triage.
        forged = web.post(
            f"/claims/{claim}/override",
            data={"csrf_token": "forged", "segment": target, "reason_category": "health",
                  "reason_text": "Zorg thuis"},
        )  # fmt: skip
        assert forged.status_code == 403
        # Triage's 422 (no reason text) as a notice naming the field.
        short = web.post(
            f"/claims/{claim}/override",
            data={"csrf_token": csrf, "segment": target, "reason_category": "health",
                  "reason_text": ""},
        )  # fmt: skip
        assert "Uitleg van de reden" in _alert(short.text)
        history = world.services["triage"].get(
            f"/v1/claims/{claim}/overrides", headers=world.staff("admin")
        )
        assert history.json() == []

        done = web.post(
            f"/claims/{claim}/override",
            data={"csrf_token": csrf, "segment": target, "reason_category": "caregiving",
                  "reason_text": "Mantelzorg voor haar moeder, wil begeleiding"},
        )  # fmt: skip
        assert done.status_code == 200, done.text
        assert "Het segment is aangepast." in done.text
        assert f'data-segment="{target}"' in done.text
        assert "Mantelzorg voor haar moeder, wil begeleiding" in done.text
        assert "Zorg voor anderen" in done.text
        if target == "personal":
            # Personal service: coaching assigns the case to the intake's coach (continuity),
            # who then sees its work plan, contact moments and obligation (regular, from the
            # completed intake).
            world.drain_all()
            after = web.get(f"/claims/{claim}").text
            assert "Er is nog geen dossier" not in after
            assert "Nog geen activiteiten in het werkplan." in after
            assert "Nog geen contactmomenten." in after
            assert "Gewone sollicitatieplicht" in after
        # The same segment again: triage's 409 as a notice.
        same = web.post(
            f"/claims/{claim}/override",
            data={"csrf_token": csrf, "segment": target, "reason_category": "other",
                  "reason_text": "Nog eens"},
        )  # fmt: skip
        assert 'role="alert"' in same.text


def test_another_office_and_the_wrong_role_are_refused(world: World) -> None:
    claim = world.register("Sanne", "Middel")
    appt = world.appointment(claim)
    world.into_the_past(appt["id"])
    with world.web() as web:
        mine = _sign_in(web, world.coach_vnl)
        csrf = csrf_token(mine)
        assert "Sanne" not in mine
        for url in (f"/claims/{claim}", f"/appointments/{appt['id']}"):
            page = web.get(url)
            assert page.status_code in (403, 404), url
            assert "Sanne" not in page.text
            assert "Middel" not in page.text
            assert "Traceback" not in page.text
        r = web.post(f"/appointments/{appt['id']}/complete", data=_complete_form(csrf))
        assert r.status_code in (403, 404)
        assert "Sanne" not in r.text
        r = web.post(
            f"/claims/{claim}/override",
            data={"csrf_token": csrf, "segment": "personal", "reason_category": "health",
                  "reason_text": "Niet mijn klant"},
        )  # fmt: skip
        assert r.status_code in (403, 404)
    assert _status(world, appt["id"]) == "booked"
    history = world.services["triage"].get(
        f"/v1/claims/{claim}/overrides", headers=world.staff("admin")
    )
    assert history.json() == []

    with world.web() as web:
        csrf = _sign_in_lead(web, "MDB")
        assert web.get("/my-intakes").status_code == 403  # a team lead has no own intakes
        # The office's team lead reads the claimant page; overriding is not theirs.
        page = web.get(f"/claims/{claim}")
        assert page.status_code == 200, page.text
        assert "Sanne Middel" in page.text
        assert 'action="/claims/' not in page.text
        r = web.post(
            f"/claims/{claim}/override",
            data={"csrf_token": csrf, "segment": "personal", "reason_category": "health",
                  "reason_text": "Geen coach"},
        )  # fmt: skip
        assert r.status_code == 403


def test_claimant_page_calls_per_backend(world: World) -> None:
    """What the claimant page asks each backend: as few calls as the APIs allow."""
    claim = world.register("Daan", "Vlissing")
    recorders, backends = world.recordings()
    with world.web(backends) as web:
        _sign_in(web, world.coach_mdb)
        for r in recorders.values():
            r.paths.clear()
        page = web.get(f"/claims/{claim}")
    assert page.status_code == 200, page.text
    assert recorders["intake"].paths == [
        f"/v1/claims/{claim}",
        f"/v1/claims/{claim}/appointments",
        f"/v1/claims/{claim}/messages",
    ]
    assert recorders["triage"].paths == [
        f"/v1/claims/{claim}/explanation",
        f"/v1/claims/{claim}/overrides",
    ]
    assert recorders["coaching"].paths == [
        f"/v1/cases/{claim}/work-plan",
        f"/v1/cases/{claim}/contact-moments",
        f"/v1/cases/{claim}/obligation",
    ]
    assert recorders["starters"].paths == ["/v1/starters/applications"]
