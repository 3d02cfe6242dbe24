"""Partner vacancies on PostgreSQL: idempotent publishing, own-only access, closing with
events, validation, and the coaches' view of open vacancies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from coaching.cases.models import Case
from coaching.partner.candidates.models import PartnerProfile
from shared.db.migrate import alembic_config, upgrade
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.concurrency import requests_on_barrier, serve
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens
from ww.registry import load_spec

pytestmark = pytest.mark.integration

URL = "/partner/v1/vacancies"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def vacancy(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Orderpicker dagdienst",
        "sector": "logistics",
        "postcode": "1012ab",
        "hours_per_week": 32,
        "wage_min": 14.5,
        "wage_max": 16.25,
        "skills": ["Heftruck", "reach truck", "heftruck"],
        "start_date": "2027-01-04",
    }
    body.update(overrides)
    return body


@dataclass
class Agency:
    client_id: str
    headers: dict[str, str]


@dataclass
class Api:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def admin(self) -> dict[str, str]:
        return Tokens.header(self.tokens.user("admin", sub="admin-1"))

    def staff(self, role: str) -> dict[str, str]:
        return Tokens.header(self.tokens.user(role, sub=f"{role}-1", office="AMS"))

    def agency(self, name: str, *scopes: str) -> Agency:
        r = self.client.post(
            "/v1/partner-clients",
            json={"name": name, "scopes": list(scopes or ("vacancies:write",))},
            headers=self.admin(),
        )
        assert r.status_code == 201, r.text
        c = r.json()
        t = self.client.post(
            "/partner/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": c["client_id"],
                "client_secret": c["client_secret"],
            },
            headers=FORM,
        )
        assert t.status_code == 200, t.text
        return Agency(c["client_id"], Tokens.header(t.json()["access_token"]))

    def publish(self, agency: Agency, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {**agency.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post(URL, json=body, headers=headers)

    def created(self, agency: Agency, **overrides: Any) -> dict[str, Any]:
        r = self.publish(agency, vacancy(**overrides))
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.container.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]

    def events(self, vacancy_id: str) -> list[dict[str, Any]]:
        rows = self.rows(
            "SELECT event_type, body FROM outbox WHERE message_key = :k ORDER BY seq", k=vacancy_id
        )
        return [{"type": r["event_type"], **json.loads(r["body"])} for r in rows]


def _api(pg: PgDatabases, state_dir: Path) -> Api:
    coaching = build_container(
        "coaching",
        broker=EmbeddedBroker(),
        database_url=pg.create("coaching"),
        transport="embedded",
        state_dir=state_dir,
        log_level="WARNING",
    )
    return Api(
        coaching,
        TestClient(build_app(coaching, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
    )


@pytest.fixture(scope="module")
def api(pg: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    a = _api(pg, tmp_path_factory.mktemp("vacancies"))
    yield a
    a.container.stop()


@pytest.fixture
def fresh_api(pg: PgDatabases, state_dir: Path) -> Iterator[Api]:
    a = _api(pg, state_dir)
    yield a
    a.container.stop()


# --- publishing and idempotency ---------------------------------------------------------------


def test_publish_normalises_publishes_and_audits(api: Api) -> None:
    agency = api.agency("Randstad Test")
    r = api.publish(agency, vacancy())
    assert r.status_code == 201, r.text
    v = r.json()
    assert r.headers["location"] == f"{URL}/{v['id']}"
    assert "idempotent-replayed" not in r.headers
    assert v["postcode"] == "1012 AB"
    assert v["region"] == "10"
    assert v["skills"] == ["heftruck", "reach truck"]
    assert v["wage_period"] == "hour"
    assert v["wage_min"] == 14.5
    assert v["wage_max"] == 16.25
    assert v["status"] == "open"
    assert v["start_date"] == "2027-01-04"

    [event] = api.events(v["id"])
    assert event["type"] == "vacancy.published"
    assert event["data"]["partner_client_id"] == agency.client_id
    assert event["data"]["title"] == "Orderpicker dagdienst"
    assert event["data"]["office_code"] is not None  # 1012 is served by an office
    [audit] = api.rows(
        "SELECT action, actor, actor_kind FROM audit_log WHERE resource_id = :r", r=v["id"]
    )
    assert audit == {
        "action": "vacancy.create",
        "actor": agency.client_id,
        "actor_kind": "application",
    }

    by_region = api.created(agency, postcode=None, region="35")
    assert by_region["postcode"] is None
    assert by_region["region"] == "35"
    [event] = api.events(by_region["id"])
    assert event["data"]["office_code"] is None
    assert api.client.get(f"{URL}/{v['id']}", headers=agency.headers).json() == v


def test_same_key_and_body_replays_without_a_duplicate(api: Api) -> None:
    agency = api.agency("Tempo-Team Test")
    key = f"order-{uuid.uuid4()}"
    first = api.publish(agency, vacancy(title="Kok"), key)
    again = api.publish(agency, vacancy(title="Kok"), key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    rows = api.rows(
        "SELECT id FROM partner_vacancies WHERE client_id = :c AND title = 'Kok'",
        c=agency.client_id,
    )
    assert len(rows) == 1
    assert [e["type"] for e in api.events(first.json()["id"])] == ["vacancy.published"]

    # Same key, another body (or the same body elsewhere): 422 naming the header.
    changed = api.publish(agency, vacancy(title="Sous-chef"), key)
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "different request" in changed.json()["errors"][0]["message"]

    # Keys are per client: another agency's identical key is its own request.
    other = api.agency("Other Test")
    assert api.publish(other, vacancy(title="Kok"), key).json()["id"] != first.json()["id"]


def test_keys_are_stored_as_a_keyed_hash(api: Api) -> None:
    """Issue 13 item 7: a partner may put a BSN in its key; the table never holds it."""
    agency = api.agency("Hash Test")
    key = f"order-111222333-{uuid.uuid4()}"
    first = api.publish(agency, vacancy(title="Bakker"), key)
    assert first.status_code == 201, first.text
    rows = api.rows(
        "SELECT key FROM partner_idempotency_keys WHERE client_id = :c", c=agency.client_id
    )
    assert [r["key"] for r in rows] == [api.container.idempotency_keys.digest(key)]
    assert "111222333" not in rows[0]["key"]
    again = api.publish(agency, vacancy(title="Bakker"), key)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_concurrent_duplicates_publish_once(api: Api) -> None:
    agency = api.agency("Concurrent Test")
    key = f"race-{uuid.uuid4()}"
    headers = {**agency.headers, "Idempotency-Key": key}
    # Over HTTP, all six released by one barrier.
    with serve(api.client.app) as base:
        results = requests_on_barrier(
            base, [("POST", URL, {"json": vacancy(title="Racer"), "headers": headers})] * 6
        )
    assert {r.status_code for r in results} == {201}, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    rows = api.rows("SELECT id FROM partner_vacancies WHERE client_id = :c", c=agency.client_id)
    assert len(rows) == 1
    assert len(api.events(str(rows[0]["id"]))) == 1


@pytest.mark.parametrize("key", [None, "", "has space", "x" * 201, "caf\u00e9".encode()])
def test_missing_or_malformed_key_is_422_naming_the_header(
    api: Api, key: str | bytes | None
) -> None:
    agency = api.agency("Keys Test")
    headers: dict[str, Any] = dict(agency.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    r = api.client.post(URL, json=vacancy(), headers=headers)
    assert r.status_code == 422, r.text
    assert "Idempotency-Key" in {e["field"] for e in r.json()["errors"]}
    assert r.json()["errors"][0]["location"] == "header"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"postcode": "0123 AB"}, "postcode"),
        ({"postcode": None}, "body"),
        ({"postcode": "1012 AB", "region": "35"}, "body"),
        ({"wage_min": 20, "wage_max": 15}, "body"),
        ({"hours_per_week": 0}, "hours_per_week"),
        ({"sector": "mining"}, "sector"),
        ({"skills": ["<script>"]}, "skills.0"),
        ({"title": "Call 111222333"}, "title"),
        # issue 13 item 7: a BSN in a skill, plain or typed with separators
        ({"skills": ["heftruck", "111222333"]}, "skills.1"),
        ({"skills": ["123 456 782"]}, "skills.0"),
        ({"skills": ["123/456/782"]}, "skills.0"),
        ({"title": "Call 123.456.782"}, "title"),
    ],
)
def test_vacancy_validation(api: Api, overrides: dict[str, Any], field: str) -> None:
    agency = api.agency("Validation Test")
    r = api.publish(agency, vacancy(**overrides))
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


# --- own only, update, close ------------------------------------------------------------------


def test_vacancies_are_own_only(api: Api) -> None:
    mine, theirs = api.agency("Mine Test"), api.agency("Theirs Test")
    v = api.created(mine)
    vid = v["id"]
    assert api.client.get(f"{URL}/{vid}", headers=theirs.headers).status_code == 404
    assert (
        api.client.patch(
            f"{URL}/{vid}", json={"title": "Stolen"}, headers=theirs.headers
        ).status_code
        == 404
    )
    assert (
        api.client.post(
            f"{URL}/{vid}/close", json={"reason": "not mine"}, headers=theirs.headers
        ).status_code
        == 404
    )
    assert api.client.get(f"{URL}/{uuid.uuid4()}", headers=mine.headers).status_code == 404
    listed = api.client.get(URL, headers=theirs.headers).json()
    assert vid not in {i["id"] for i in listed["items"]}
    assert api.client.get(f"{URL}/{vid}", headers=mine.headers).json()["title"] == v["title"]


def test_update_and_close(api: Api) -> None:
    agency = api.agency("Update Test")
    v = api.created(agency)
    url = f"{URL}/{v['id']}"
    r = api.client.patch(
        url,
        json={"postcode": "3511 AA", "hours_per_week": 24, "skills": ["Excel"], "wage_max": 20},
        headers=agency.headers,
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["postcode"] == "3511 AA"
    assert updated["region"] == "35"
    assert updated["hours_per_week"] == 24
    assert updated["skills"] == ["excel"]
    assert updated["wage_max"] == 20
    region_only = api.client.patch(url, json={"region": "20"}, headers=agency.headers).json()
    assert region_only["region"] == "20"
    assert region_only["postcode"] is None
    bad = api.client.patch(url, json={"wage_min": 30}, headers=agency.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "wage_min"
    mismatch = api.client.patch(
        url, json={"postcode": "1012 AB", "region": "35"}, headers=agency.headers
    )
    assert mismatch.status_code == 422

    closed = api.client.post(f"{url}/close", json={"reason": "filled"}, headers=agency.headers)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["close_reason"] == "filled"
    types = [e["type"] for e in api.events(v["id"])]
    assert types == ["vacancy.published", "vacancy.closed"]
    assert api.events(v["id"])[1]["data"]["reason"] == "filled"
    again = api.client.post(f"{url}/close", json={"reason": "filled"}, headers=agency.headers)
    assert again.status_code == 409
    assert (
        api.client.patch(url, json={"title": "Reopen"}, headers=agency.headers).status_code == 409
    )
    actions = [
        a["action"]
        for a in api.rows(
            "SELECT action FROM audit_log WHERE resource_id = :r ORDER BY occurred_at", r=v["id"]
        )
    ]
    assert actions == ["vacancy.create", "vacancy.update", "vacancy.update", "vacancy.close"]


def test_own_list_filters_and_pagination(fresh_api: Api) -> None:
    api = fresh_api
    agency = api.agency("List Test")
    a = api.created(agency, sector="logistics", postcode="1012 AB")
    b = api.created(agency, sector="hospitality", postcode="3511 AA")
    c = api.created(agency, sector="hospitality", postcode=None, region="35")
    api.client.post(f"{URL}/{c['id']}/close", json={"reason": "filled"}, headers=agency.headers)

    def ids(**params: Any) -> list[str]:
        r = api.client.get(URL, params=params, headers=agency.headers)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids(status="open") == [b["id"], a["id"]]
    assert ids(sector="hospitality") == [c["id"], b["id"]]
    assert ids(region="35", status="closed") == [c["id"]]
    page = api.client.get(URL, params={"limit": 1, "offset": 1}, headers=agency.headers).json()
    assert page["total"] == 3
    assert [i["id"] for i in page["items"]] == [b["id"]]
    assert api.client.get(URL, params={"region": "1"}, headers=agency.headers).status_code == 422


def test_vacancy_endpoints_need_the_vacancies_scope(api: Api) -> None:
    placements = api.agency("Placements Only Test", "placements:write")
    for method, path, body in [
        ("POST", URL, vacancy()),
        ("GET", URL, None),
        ("GET", f"{URL}/{uuid.uuid4()}", None),
        ("PATCH", f"{URL}/{uuid.uuid4()}", {"title": "x y z"}),
        ("POST", f"{URL}/{uuid.uuid4()}/close", {"reason": "filled"}),
    ]:
        headers = {**placements.headers, "Idempotency-Key": "k1"}
        r = api.client.request(method, path, json=body, headers=headers)
        assert r.status_code == 403, (method, path, r.text)
        assert 'scope="vacancies:write"' in r.headers["www-authenticate"]
        assert api.client.request(method, path, json=body).status_code == 401
        staff = {**api.admin(), "Idempotency-Key": "k1"}
        assert api.client.request(method, path, json=body, headers=staff).status_code == 403


# --- the coaches' view ------------------------------------------------------------------------


def test_coaches_see_open_vacancies_with_the_agency_name(fresh_api: Api) -> None:
    api = fresh_api
    snel = api.agency("Snel Uitzenden")
    flex = api.agency("Flex Werk")
    a = api.created(snel, sector="logistics", postcode="1012 AB", hours_per_week=40)
    b = api.created(
        flex, sector="hospitality", postcode="3511 AA", hours_per_week=20, skills=["koken"]
    )
    closed = api.created(flex, sector="logistics", postcode="1012 AB")
    api.client.post(f"{URL}/{closed['id']}/close", json={"reason": "filled"}, headers=flex.headers)

    def ids(role: str = "coach", **params: Any) -> list[str]:
        r = api.client.get("/v1/vacancies", params=params, headers=api.staff(role))
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    r = api.client.get("/v1/vacancies", headers=api.staff("coach"))
    items = r.json()["items"]
    assert [i["id"] for i in items] == [b["id"], a["id"]]
    assert r.json()["total"] == 2
    assert {i["agency_name"] for i in items} == {"Snel Uitzenden", "Flex Werk"}
    assert "secret" not in r.text
    assert "client_id" not in r.text
    assert ids("team_lead") == ids("admin") == [b["id"], a["id"]]
    assert ids(sector="logistics") == [a["id"]]
    assert ids(region="35") == [b["id"]]
    assert ids(skills=["koken", "lassen"]) == [b["id"]]
    assert ids(skills=["heftruck"]) == [a["id"]]
    assert ids(min_hours=32) == [a["id"]]
    assert ids(limit=1, offset=1) == [a["id"]]

    for role in ("claimant", "benefits_officer", "triage_analyst"):
        assert api.client.get("/v1/vacancies", headers=api.staff(role)).status_code == 403
    assert api.client.get("/v1/vacancies", headers=snel.headers).status_code == 403
    assert api.client.get("/v1/vacancies").status_code == 401

    # A suspended agency's vacancies disappear from the coaches' view until it is resumed.
    api.client.post(
        f"/v1/partner-clients/{flex.client_id}/suspend",
        json={"reason": "investigation"},
        headers=api.admin(),
    )
    assert ids() == [a["id"]]
    api.client.post(f"/v1/partner-clients/{flex.client_id}/resume", headers=api.admin())
    assert ids() == [b["id"], a["id"]]


# --- one sector vocabulary (issue 12 item 8) ---------------------------------------------------


def _sector_error(r: Any, location: str) -> None:
    assert r.status_code == 422, r.text
    (error,) = [e for e in r.json()["errors"] if e["field"] == "sector"]
    assert error["location"] == location
    assert "GET /partner/v1/sectors" in error["message"], error


def test_vacancy_sectors_are_codes_of_the_shared_list(api: Api) -> None:
    agency = api.agency("Sector Codes Test")
    for free_text in ("Horeca", "horeca", "Hotels en restaurants"):
        r = api.publish(agency, vacancy(sector=free_text))
        _sector_error(r, "body")
        assert free_text not in r.text  # the refused value is never echoed
    created = api.created(agency, sector=" Hospitality ")  # case and spaces are forgiven
    assert created["sector"] == "hospitality"
    patched = api.client.patch(
        f"{URL}/{created['id']}", json={"sector": "bouw"}, headers=agency.headers
    )
    _sector_error(patched, "body")
    _sector_error(api.client.get(URL, params={"sector": "horeca"}, headers=agency.headers), "query")
    staff = api.client.get("/v1/vacancies", params={"sector": "horeca"}, headers=api.staff("coach"))
    _sector_error(staff, "query")
    listed = api.client.get(URL, params={"sector": "hospitality"}, headers=agency.headers)
    assert [v["id"] for v in listed.json()["items"]] == [created["id"]]
    # The codes the 422 points to: the same list, with Dutch labels.
    codes = api.client.get("/partner/v1/sectors", headers=agency.headers)
    assert codes.status_code == 200, codes.text
    labels = {s["code"]: s["label_nl"] for s in codes.json()["items"]}
    assert labels["hospitality"] == "Horeca"
    assert labels["construction"] == "Bouw en infra"


# Old free text (as claims and profiles held it before codes) -> the code coaching_0013_sectors
# gives it; NULL stays NULL and a blank becomes NULL.
OLD_SECTORS: dict[str | None, str | None] = {
    "Zorg": "healthcare",
    "zorg en welzijn": "healthcare",
    "logistiek": "logistics",
    "Transport en Logistiek": "logistics",
    "HORECA": "hospitality",
    "schoonmaak": "business_services",
    "Financiële dienstverlening": "finance",
    "sector_care": "healthcare",
    "ict": "ict",
    "ruimtevaart": "other",
    "   ": None,
    None: None,
}


def test_migration_maps_free_text_sectors_to_codes(fresh_api: Api) -> None:
    agency = fresh_api.agency("Migratie Uitzend")
    job = fresh_api.created(agency)
    case_ids: dict[uuid.UUID, str | None] = {}
    with fresh_api.container.session_factory() as s:
        for old in OLD_SECTORS:
            case = Case(id=uuid.uuid4(), claim_id=uuid.uuid4(), registered=True, sector=old)
            s.add(case)
            s.flush()
            s.add(PartnerProfile(case_id=case.id, sector=old, skills=[]))
            case_ids[case.id] = old
        s.commit()
    url = str(fresh_api.container.settings.database_url)
    spec = load_spec("coaching")
    fresh_api.container.engine.dispose()
    command.downgrade(alembic_config(url, spec.migrations_dir, "coaching"), "coaching_0012")
    with fresh_api.container.engine.begin() as conn:  # a vacancy of a hand-edited row
        conn.execute(
            text("UPDATE partner_vacancies SET sector = 'Bouw' WHERE id = :id"), {"id": job["id"]}
        )
    fresh_api.container.engine.dispose()

    upgrade(url, spec.migrations_dir, "coaching")

    cases = {r["id"]: r["sector"] for r in fresh_api.rows("SELECT id, sector FROM cases")}
    profiles = {
        r["case_id"]: r["sector"]
        for r in fresh_api.rows("SELECT case_id, sector FROM partner_profiles")
    }
    for case_id, old in case_ids.items():
        assert (old, cases[case_id]) == (old, OLD_SECTORS[old])
        assert (old, profiles[case_id]) == (old, OLD_SECTORS[old])
    (row,) = fresh_api.rows("SELECT sector FROM partner_vacancies")
    assert row["sector"] == "construction"
