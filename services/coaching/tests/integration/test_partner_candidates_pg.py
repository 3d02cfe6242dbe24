"""Consent and the partner candidate search on PostgreSQL (issue 7 items 3 and 4): only
consenting claimants with open cases, no BSN, claim or case id, a name only with named
consent, the filters and the cursor, the search log and the daily cap (429 until local
midnight), and the tables matching their migration."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from coaching.cases.models import Case
from coaching.db import Base
from coaching.partner.candidates import hooks, service
from coaching.partner.candidates.router import router
from coaching.partner.clients.models import PartnerClient
from shared.clock import local_today
from shared.db.types import utcnow
from tests.support.coaching import Office, office
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration
__all__ = ["office"]

SEARCH = "/partner/v1/candidates"
FUTURE = (local_today() + dt.timedelta(days=14)).isoformat()


@pytest.fixture
def desk(office: Office) -> Office:
    # until registered in coaching.main
    app: Any = office.client.app
    if not any(getattr(r, "path", "") == SEARCH for r in app.routes):
        app.include_router(router)
    return office


def agency(
    o: Office, client_id: str, *, cap: int = 1_000, scopes: tuple[str, ...] = ("candidates:read",)
) -> dict[str, str]:
    """A registered partner client (straight into the table) and its token header."""
    with o.container.session_factory() as s:
        s.add(
            PartnerClient(
                client_id=client_id,
                name=client_id,
                secret_hash="not-used-by-these-tests",
                scopes=list(scopes),
                requests_per_minute=10_000,
                daily_profile_cap=cap,
                status="active",
                created_by="test",
            )
        )
        s.commit()
    return Tokens.header(o.tokens.app(client_id, *scopes))


def claimant_case(o: Office, *, sector: str = "logistics", **fields: Any) -> tuple[uuid.UUID, str]:
    """An open case of a claimant of their own: (claim id, claimant subject)."""
    subject = f"claimant-{uuid.uuid4().hex[:8]}"
    (claim,) = o.cases(1, claimant_subject=subject, sector=sector, **fields)
    return claim, subject


def consent(
    o: Office, claim: uuid.UUID, subject: str, visibility: str = "anonymous", **body: Any
) -> dict[str, Any]:
    payload = {
        "visibility": visibility,
        "skills": ["Heftruck", "magazijn"],
        "hours_per_week": 32,
        "available_from": local_today().isoformat(),
        **body,
    }
    r = o.client.put(
        f"/v1/cases/{claim}/partner-profile", json=payload, headers=o.as_("claimant", sub=subject)
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def search(o: Office, headers: dict[str, str], **params: Any) -> Any:
    return o.client.get(SEARCH, params=params, headers=headers)


def refs(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [c["candidate_ref"] for c in resp.json()["items"]]


def test_only_consenting_claimants_with_open_cases_are_found(desk: Office) -> None:
    headers = agency(desk, "agency-a")
    never, _ = claimant_case(desk)  # never chose: none
    none_claim, none_sub = claimant_case(desk)
    consent(desk, none_claim, none_sub, "none")
    anon_claim, anon_sub = claimant_case(desk)
    anon = consent(desk, anon_claim, anon_sub, "anonymous", display_name="Not Shared")
    named_claim, named_sub = claimant_case(desk)
    named = consent(desk, named_claim, named_sub, "named", display_name="Fatima B.")
    closing_claim, closing_sub = claimant_case(desk)
    closing = consent(desk, closing_claim, closing_sub, "anonymous")
    # Closed behind the service's back (no hook): the join on the case still hides it.
    desk.sql("UPDATE cases SET status = 'closed' WHERE claim_id = :c", c=closing_claim)

    resp = search(desk, headers)
    found = refs(resp)
    assert sorted(found) == sorted([anon["candidate_ref"], named["candidate_ref"]])
    assert found == sorted(found)  # stable order: candidate_ref
    by_ref = {c["candidate_ref"]: c for c in resp.json()["items"]}
    assert by_ref[anon["candidate_ref"]]["display_name"] is None
    assert by_ref[anon["candidate_ref"]]["visibility"] == "anonymous"
    assert anon["display_name"] is None  # not even stored without named consent
    assert by_ref[named["candidate_ref"]]["display_name"] == "Fatima B."
    assert set(by_ref[anon["candidate_ref"]]) == {
        "candidate_ref",
        "visibility",
        "display_name",
        "skills",
        "hours_per_week",
        "available_from",
        "region",
        "sector",
    }
    assert by_ref[anon["candidate_ref"]]["region"] == "10"  # AMS's first postcode region
    assert by_ref[anon["candidate_ref"]]["skills"] == ["heftruck", "magazijn"]
    text = resp.text
    for claim in (never, none_claim, anon_claim, named_claim, closing_claim):
        assert str(claim) not in text
        assert str(desk.case(claim).id) not in text
    for subject in (none_sub, anon_sub, named_sub):
        assert subject not in text
    # Single profiles: the same rules (404 for the closed case and unknown refs).
    one = desk.client.get(f"{SEARCH}/{named['candidate_ref']}", headers=headers)
    assert one.status_code == 200, one.text
    assert one.json()["display_name"] == "Fatima B."
    assert one.headers["cache-control"] == "no-store"
    assert str(named_claim) not in one.text
    for ref in (closing["candidate_ref"], str(uuid.uuid4())):
        gone = desk.client.get(f"{SEARCH}/{ref}", headers=headers)
        assert gone.status_code == 404, gone.text
        assert gone.headers["content-type"].startswith("application/problem+json")


def test_withdrawn_consent_disappears_from_the_next_search(desk: Office) -> None:
    headers = agency(desk, "agency-a")
    claim, sub = claimant_case(desk)
    ref = consent(desk, claim, sub, "named", display_name="Jan")["candidate_ref"]
    assert refs(search(desk, headers)) == [ref]
    consent(desk, claim, sub, "none")
    assert refs(search(desk, headers)) == []
    assert desk.client.get(f"{SEARCH}/{ref}", headers=headers).status_code == 404
    # Consent again: the same stable reference.
    assert consent(desk, claim, sub, "anonymous")["candidate_ref"] == ref
    assert refs(search(desk, headers)) == [ref]


def test_consent_is_the_claimants_own_and_audited(desk: Office) -> None:
    coach = desk.coach("Anouk", 36)
    claim, sub = claimant_case(desk, coach_id=coach, assignment_status="assigned")
    path = f"/v1/cases/{claim}/partner-profile"
    first = desk.client.get(path, headers=desk.as_("claimant", sub=sub))
    assert first.status_code == 200, first.text
    assert (first.json()["visibility"], first.json()["visible"]) == ("none", False)
    body = {"visibility": "anonymous", "hours_per_week": 20, "available_from": FUTURE}
    # Another claimant, a coach and an admin cannot give consent for the claimant.
    assert desk.client.put(path, json=body, headers=desk.as_("claimant")).status_code == 404
    coach_h = desk.as_("coach", sub=str(coach), office="AMS")
    assert desk.client.put(path, json=body, headers=coach_h).status_code == 403
    assert desk.client.put(path, json=body, headers=desk.as_("admin")).status_code == 403
    # A partner application never reaches it.
    app_h = agency(desk, "agency-x")
    assert desk.client.get(path, headers=app_h).status_code == 403
    r = desk.client.put(path, json=body, headers=desk.as_("claimant", sub=sub))
    assert r.status_code == 200, r.text
    assert (r.json()["visible"], r.json()["sector"], r.json()["region"]) == (
        True,
        "logistics",
        "10",
    )
    # The coach of the case reads it; another coach and another claimant do not.
    assert desk.client.get(path, headers=coach_h).json()["visibility"] == "anonymous"
    assert desk.client.get(path, headers=desk.as_("coach")).status_code == 404
    assert desk.client.get(path, headers=desk.as_("claimant")).status_code == 404
    rows = desk.sql(
        "SELECT actor, old_values, new_values, resource_id FROM audit_log "
        "WHERE action = 'partner_profile.update' ORDER BY occurred_at"
    )
    assert len(rows) == 1
    actor, old, new, resource = rows[0]
    old = old if isinstance(old, dict) else json.loads(old)
    new = new if isinstance(new, dict) else json.loads(new)
    assert (actor, old["visibility"], new["visibility"]) == (sub, "none", "anonymous")
    assert resource == str(desk.case(claim).id)
    reads = desk.sql("SELECT count(*) FROM audit_log WHERE action = 'partner_profile.read'")
    assert reads[0][0] >= 2


def test_profile_rules(desk: Office) -> None:
    claim, sub = claimant_case(desk)
    path = f"/v1/cases/{claim}/partner-profile"
    h = desk.as_("claimant", sub=sub)

    def put(**body: Any) -> Any:
        return desk.client.put(path, json=body, headers=h)

    r = put(visibility="anonymous", available_from=FUTURE)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "hours_per_week")
    r = put(visibility="named", hours_per_week=20, available_from=FUTURE)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "display_name")
    r = put(visibility="named", hours_per_week=20, available_from=FUTURE, display_name="111222333")
    assert r.status_code == 422, r.text
    assert "111222333" not in r.text
    r = put(visibility="anonymous", hours_per_week=20, available_from=FUTURE, skills=["x" * 41])
    assert r.status_code == 422
    r = put(visibility="public")
    assert r.status_code == 422
    r = put(visibility="anonymous", hours_per_week=20, available_from=FUTURE, region="ab")
    assert r.status_code == 422
    # A closed case: no profile shown (409), withdrawing is always allowed.
    desk.sql("UPDATE cases SET status = 'closed' WHERE claim_id = :c", c=claim)
    r = put(visibility="anonymous", hours_per_week=20, available_from=FUTURE)
    assert r.status_code == 409, r.text
    r = put(visibility="none")
    assert (r.status_code, r.json()["visible"]) == (200, False)


def test_filters_and_the_cursor(desk: Office) -> None:
    headers = agency(desk, "agency-a")
    today = local_today()

    def person(sector: str, region: str, skills: list[str], hours: int, days: int) -> str:
        claim, sub = claimant_case(desk, sector=sector)
        return str(
            consent(
                desk,
                claim,
                sub,
                skills=skills,
                region=region,
                hours_per_week=hours,
                available_from=(today + dt.timedelta(days=days)).isoformat(),
            )["candidate_ref"]
        )

    a = person("logistics", "10", ["heftruck", "magazijn"], 40, 0)
    b = person("logistics", "30", ["heftruck"], 24, 10)
    c = person("healthcare", "10", ["verpleging", "magazijn"], 32, 30)
    d = person("healthcare", "30", [], 16, 60)

    def found(**params: Any) -> set[str]:
        return set(refs(search(desk, headers, **params)))

    assert found() == {a, b, c, d}
    assert found(sector="healthcare") == {c, d}
    assert found(region="10") == {a, c}
    assert found(sector="logistics", region="30") == {b}
    assert found(skills=["magazijn"]) == {a, c}
    assert found(skills=["Heftruck", "verpleging"]) == {a, b, c}  # any (default)
    assert found(skills=["heftruck", "magazijn"], skills_match="all") == {a}
    assert found(skills=["heftruck", "verpleging"], skills_match="all") == set()
    assert found(min_hours=24) == {a, b, c}
    assert found(max_hours=24) == {b, d}
    assert found(min_hours=20, max_hours=32) == {b, c}
    assert found(available_before=(today + dt.timedelta(days=10)).isoformat()) == {a, b}
    assert search(desk, headers, limit=51).status_code == 422
    assert search(desk, headers, region="1").status_code == 422
    assert search(desk, headers, skills_match="some").status_code == 422
    assert search(desk, headers, sector="zo\x00rg").status_code == 422

    # The cursor walks every candidate once, in a stable order.
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["after"] = cursor
        page = search(desk, headers, **params)
        seen += refs(page)
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted([a, b, c, d])


def test_every_query_is_logged(desk: Office) -> None:
    headers = agency(desk, "agency-log")
    claim, sub = claimant_case(desk)
    ref = consent(desk, claim, sub)["candidate_ref"]
    refs(search(desk, headers, sector="logistics", skills=["heftruck"]))
    refs(search(desk, headers, sector="healthcare"))
    desk.client.get(f"{SEARCH}/{ref}", headers=headers)
    desk.client.get(f"{SEARCH}/{uuid.uuid4()}", headers=headers)
    rows = desk.sql(
        "SELECT client_id, kind, filters, outcome, result_count, candidate_refs "
        "FROM partner_search_log ORDER BY id"
    )
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        ("agency-log", "search", "ok", 1, [ref]),
        ("agency-log", "search", "ok", 0, []),
        ("agency-log", "profile", "ok", 1, [ref]),
        ("agency-log", "profile", "not_found", 0, []),
    ]
    assert rows[0][2]["sector"] == "logistics"
    assert rows[0][2]["skills"] == ["heftruck"]
    assert rows[0][2]["limit"] == 20


def test_daily_cap_counts_distinct_profiles_and_answers_429_until_midnight(desk: Office) -> None:
    headers = agency(desk, "agency-capped", cap=3)
    other = agency(desk, "agency-other", cap=3)
    made = []
    for _ in range(5):
        claim, sub = claimant_case(desk)
        made.append(consent(desk, claim, sub)["candidate_ref"])
    ordered = sorted(made)

    first = refs(search(desk, headers, limit=2))
    assert first == ordered[:2]
    again = refs(search(desk, headers, limit=2))  # seen today: not counted again
    assert again == ordered[:2]
    page = search(desk, headers, limit=2, after=first[-1])
    assert refs(page) == ordered[2:3]  # cut short at the cap
    assert page.json()["next_cursor"] == ordered[2]

    capped = search(desk, headers)
    assert capped.status_code == 429, capped.text
    assert capped.headers["content-type"].startswith("application/problem+json")
    body = capped.json()
    assert (body["type"], body["status"], body["daily_cap"]) == (
        "urn:ww:problem:rate-limited",
        429,
        3,
    )
    retry = int(capped.headers["retry-after"])
    assert retry == body["retry_after"]
    assert abs(retry - service.seconds_to_local_midnight(utcnow())) <= 5
    assert 0 < retry <= 25 * 3600
    # A profile already shown today stays readable; a new one is over the cap.
    assert desk.client.get(f"{SEARCH}/{ordered[0]}", headers=headers).status_code == 200
    over = desk.client.get(f"{SEARCH}/{ordered[4]}", headers=headers)
    assert over.status_code == 429
    assert "retry-after" in over.headers
    # Another client has its own cap.
    assert len(refs(search(desk, other))) == 3
    outcomes = desk.sql(
        "SELECT outcome, count(*) FROM partner_search_log WHERE client_id = 'agency-capped' "
        "GROUP BY outcome ORDER BY outcome"
    )
    assert outcomes == [("capped", 2), ("ok", 4)]
    # The next Dutch calendar day starts afresh.
    desk.sql("UPDATE partner_profile_views SET day = day - 1")
    assert len(refs(search(desk, headers))) == 3


def test_seconds_to_local_midnight() -> None:
    # 22:30 UTC in winter is 23:30 in Amsterdam: half an hour to go.
    assert (
        service.seconds_to_local_midnight(dt.datetime(2026, 1, 15, 22, 30, tzinfo=dt.UTC)) == 1800
    )
    # 22:30 UTC in summer is 00:30 the next day: 23.5 hours to go.
    summer = dt.datetime(2026, 7, 15, 22, 30, tzinfo=dt.UTC)
    assert service.seconds_to_local_midnight(summer) == 23 * 3600 + 1800


def test_partner_auth(desk: Office) -> None:
    assert desk.client.get(SEARCH).status_code == 401
    wrong = agency(desk, "agency-vacancies", scopes=("vacancies:write",))
    r = desk.client.get(SEARCH, headers=wrong)
    assert r.status_code == 403, r.text
    assert desk.client.get(SEARCH, headers=desk.as_("admin")).status_code == 403
    unregistered = Tokens.header(desk.tokens.app("nobody", "candidates:read"))
    assert desk.client.get(SEARCH, headers=unregistered).status_code == 401


def test_closing_and_reopening_the_case_follow_in_the_profile(desk: Office) -> None:
    headers = agency(desk, "agency-a")
    claim, sub = claimant_case(desk)
    ref = consent(desk, claim, sub)["candidate_ref"]
    desk.sql("UPDATE cases SET status = 'closed' WHERE claim_id = :c", c=claim)
    with desk.container.uow() as uow:
        case = uow.session.query(Case).filter_by(claim_id=claim).one()
        hooks.on_case_status_changed(uow, case)
        uow.commit()
    assert desk.sql(
        "SELECT case_open, searchable FROM partner_profiles WHERE candidate_ref = :r", r=ref
    ) == [(False, False)]
    assert refs(search(desk, headers)) == []
    desk.sql("UPDATE cases SET status = 'open' WHERE claim_id = :c", c=claim)
    with desk.container.uow() as uow:
        case = uow.session.query(Case).filter_by(claim_id=claim).one()
        hooks.on_case_status_changed(uow, case)
        uow.commit()
    assert refs(search(desk, headers)) == [ref]


MY_TABLES = {
    "partner_profiles",
    "partner_search_log",
    "partner_profile_views",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
}


def test_the_tables_match_their_migration(desk: Office) -> None:
    with desk.container.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        diff = compare_metadata(ctx, Base.metadata)

    def table_of(d: Any) -> str | None:
        item = d[0] if isinstance(d, list) else d
        for part in item[1:]:
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None) in MY_TABLES:
                return str(table.name)
            if name in MY_TABLES:
                return str(name)
            if isinstance(part, str) and part in MY_TABLES:
                return part
        return None

    mine = [d for d in diff if table_of(d) is not None]
    assert mine == []
    plans = desk.sql(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'partner_profiles' ORDER BY 1"
    )
    assert ("ix_partner_profiles_search_skills",) in plans


# --- one sector vocabulary (issue 12 item 8) ---------------------------------------------------


def _sector_error(r: Any, location: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    (error,) = [e for e in r.json()["errors"] if e["field"] == "sector"]
    assert error["location"] == location
    assert "/v1/sectors" in error["message"]
    assert "/partner/v1/sectors" in error["message"]
    return dict(error)


def test_profile_and_search_take_sector_codes_only(desk: Office) -> None:
    headers = agency(desk, "agency-codes")
    claim, sub = claimant_case(desk, sector="healthcare")
    path = f"/v1/cases/{claim}/partner-profile"
    claimant = desk.as_("claimant", sub=sub)
    body = {"visibility": "anonymous", "hours_per_week": 20, "available_from": FUTURE}

    r = desk.client.put(path, json={**body, "sector": "zorg"}, headers=claimant)
    _sector_error(r, "body")
    assert "zorg" not in r.text
    assert desk.client.get(path, headers=claimant).json()["visibility"] == "none"  # nothing kept
    r = desk.client.put(path, json={**body, "sector": " Hospitality "}, headers=claimant)
    assert (r.status_code, r.json()["sector"]) == (200, "hospitality"), r.text
    r = desk.client.put(path, json=body, headers=claimant)  # no sector: the case's
    assert (r.status_code, r.json()["sector"]) == (200, "healthcare"), r.text

    _sector_error(search(desk, headers, sector="zorg"), "query")
    _sector_error(search(desk, headers, sector="Zorg en welzijn"), "query")
    assert refs(search(desk, headers, sector="healthcare")) == [r.json()["candidate_ref"]]
    assert refs(search(desk, headers, sector="hospitality")) == []


@pytest.mark.parametrize(
    ("case_sector", "profile_sector"),
    [("Zorg en Welzijn", "healthcare"), ("transport", "logistics"), ("ruimtevaart", "other")],
)
def test_a_case_with_free_text_from_before_codes_shows_a_code(
    desk: Office, case_sector: str, profile_sector: str
) -> None:
    # Written straight into the table, as a case opened before codes were enforced.
    claim, sub = claimant_case(desk, sector=case_sector)
    assert consent(desk, claim, sub)["sector"] == profile_sector
