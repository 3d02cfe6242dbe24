"""Placements reported by temp agencies, on PostgreSQL: the work resumption (full closes the
case, partial keeps it open), the registration as a job-search activity, the event, the
idempotency key, the errors, the agencies' and the coaches' views and the reward ledger."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from coaching.partner.candidates.models import PartnerProfile, PartnerProfileView
from coaching.partner.clients.models import PartnerClient
from coaching.partner.placements import service
from coaching.partner.placements.router import router, staff_router
from shared.clock import local_today
from tests.support.coaching import Office, office
from tests.support.concurrency import requests_on_barrier, serve
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration
__all__ = ["office"]

SCOPES = ["placements:write", "vacancies:write", "candidates:read"]
PATH = "/partner/v1/placements"


@pytest.fixture
def desk(office: Office) -> Office:
    # until registered in coaching.main
    app: Any = office.client.app
    for r in (router, staff_router):
        if r not in office.container.spec.routers:
            app.include_router(r)
    return office


def _agency(
    office: Office, client_id: str, name: str, scopes: list[str] | None = None
) -> dict[str, str]:
    """Register a partner client (straight into the table) and return its token header."""
    with office.container.session_factory() as s:
        s.add(
            PartnerClient(
                client_id=client_id,
                name=name,
                secret_hash="not-used-by-these-tests",
                scopes=SCOPES if scopes is None else scopes,
                requests_per_minute=10_000,
                daily_profile_cap=1_000,
                status="active",
                created_by="test",
            )
        )
        s.commit()
    return Tokens.header(office.tokens.app(client_id, *(SCOPES if scopes is None else scopes)))


def _shown(office: Office, client_id: str, ref: uuid.UUID) -> None:
    """Record that the client was shown the candidate (as a search or profile view does)."""
    with office.container.session_factory() as s:
        s.add(PartnerProfileView(client_id=client_id, day=local_today(), candidate_ref=ref))
        s.commit()


def _candidate(
    office: Office,
    *,
    visibility: str = "anonymous",
    days_in_ww: int = 200,
    shown_to: tuple[str, ...] = (),
    **fields: Any,
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """An open case with a coach and a partner profile, shown to the clients `shown_to`:
    (claim id, candidate ref, coach id)."""
    coach = office.coach(f"Coach {uuid.uuid4().hex[:6]}", 36)
    (claim,) = office.cases(
        1,
        first_ww_day=local_today() - dt.timedelta(days=days_in_ww),
        coach_id=coach,
        assignment_status="assigned",
        **fields,
    )
    ref = uuid.uuid4()
    with office.container.session_factory() as s:
        s.add(
            PartnerProfile(
                case_id=office.case(claim).id,
                candidate_ref=ref,
                visibility=visibility,
                case_open=True,
                searchable=visibility != "none" and fields.get("status", "open") == "open",
                skills=[],
            )
        )
        s.commit()
    for client_id in shown_to:
        _shown(office, client_id, ref)
    return claim, ref, coach


def _body(ref: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    return {
        "candidate_ref": str(ref),
        "start_date": local_today().isoformat(),
        "hours_per_week": 36,
        "hourly_wage": 16.5,
        "contract_type": "temp",
        "resumption": "full",
        "new_registration": True,
        **overrides,
    }


def _post(
    office: Office, headers: dict[str, str], body: dict[str, Any], key: str | None = None
) -> Any:
    return office.client.post(
        PATH, json=body, headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())}
    )


def test_a_full_placement_closes_the_case_and_counts_the_registration(desk: Office) -> None:
    agency = _agency(desk, "randstad-test", "Uitzendbureau Randstad")
    claim, ref, coach = _candidate(desk, shown_to=("randstad-test",))
    r = _post(desk, agency, _body(ref))
    assert r.status_code == 201, r.text
    placed = r.json()
    assert r.headers["location"] == f"{PATH}/{placed['id']}"
    assert (placed["closed_case"], placed["activity_counted"], placed["hourly_wage"]) == (
        True,
        True,
        16.5,
    )
    assert "claim_id" not in placed
    case = desk.case(claim)
    assert (case.status, case.closure_result, case.closed_on) == (
        "closed",
        "work_resumed",
        local_today(),
    )
    assert desk.sql(
        "SELECT kind, reported_by, partner_client_id, via_temp_agency, employer "
        "FROM work_resumptions"
    ) == [("full", "temp_agency", "randstad-test", True, "Uitzendbureau Randstad")]
    assert desk.sql(
        "SELECT kind, reported_by, employer, activity_date FROM job_search_activities"
    ) == [("temp_agency_registration", "temp_agency", "Uitzendbureau Randstad", local_today())]
    (event,) = desk.published("placement.reported")
    assert (event["placement_id"], event["claim_id"], event["partner_client_id"]) == (
        placed["id"],
        str(claim),
        "randstad-test",
    )
    (closed,) = desk.published("case.closed")
    assert (closed["reported_by"], closed["result"]) == ("temp_agency", "work_resumed")
    actions = {row[0] for row in desk.sql("SELECT action FROM audit_log")}
    assert {"placement.report", "work_resumption.report", "case.close"} <= actions
    assert "job_search_activity.create" in actions

    # The agency reads its own placement; the coach sees it on the case.
    own = desk.client.get(f"{PATH}/{placed['id']}", headers=agency)
    assert (own.status_code, own.json()) == (200, placed)
    listed = desk.client.get(PATH, headers=agency).json()
    assert (listed["total"], [p["id"] for p in listed["items"]]) == (1, [placed["id"]])
    on_case = desk.client.get(
        f"/v1/cases/{claim}/placements", headers=desk.as_("coach", sub=str(coach))
    )
    assert on_case.status_code == 200, on_case.text
    (row,) = on_case.json()["items"]
    assert (row["partner_client_id"], row["claim_id"], row["activity_id"] is not None) == (
        "randstad-test",
        str(claim),
        True,
    )
    # Another coach does not see the case.
    other = desk.as_("coach", sub=str(uuid.uuid4()))
    assert desk.client.get(f"/v1/cases/{claim}/placements", headers=other).status_code == 404

    # The closed case's candidate no longer exists for partners (the closure is not told).
    again = _post(desk, agency, _body(ref, resumption="partial"))
    assert again.status_code == 404, again.text
    assert again.json()["type"] == "urn:ww:problem:not-found"


def test_a_partial_placement_keeps_the_case_open(desk: Office) -> None:
    agency = _agency(desk, "tempo-team", "Tempo-Team")
    claim, ref, _ = _candidate(desk, shown_to=("tempo-team",))
    r = _post(
        desk,
        agency,
        _body(ref, resumption="partial", hours_per_week=12, new_registration=False),
    )
    assert r.status_code == 201, r.text
    assert (r.json()["closed_case"], r.json()["activity_counted"]) == (False, False)
    assert desk.case(claim).status == "open"
    assert desk.sql("SELECT kind, closed_case FROM work_resumptions") == [("partial", False)]
    assert desk.sql("SELECT count(*) FROM job_search_activities") == [(0,)]
    assert desk.published("case.closed") == []
    assert len(desk.published("placement.reported")) == 1


def test_the_same_key_and_body_replays_a_different_body_is_422(desk: Office) -> None:
    agency = _agency(desk, "adecco-test", "Adecco")
    _, ref, _ = _candidate(desk, shown_to=("adecco-test",))
    body = _body(ref, resumption="partial")
    first = _post(desk, agency, body, key="placement-1")
    second = _post(desk, agency, body, key="placement-1")
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert desk.sql("SELECT count(*) FROM placements") == [(1,)]
    assert desk.sql("SELECT count(*) FROM work_resumptions") == [(1,)]
    assert len(desk.published("placement.reported")) == 1

    reused = _post(desk, agency, {**body, "hours_per_week": 20}, key="placement-1")
    assert reused.status_code == 422, reused.text
    assert [e["field"] for e in reused.json()["errors"]] == ["Idempotency-Key"]
    assert desk.sql("SELECT count(*) FROM placements") == [(1,)]

    # Keys are private to a client: another agency's same key is a new request.
    other = _agency(desk, "other-agency", "Other")
    _, ref2, _ = _candidate(desk, shown_to=("other-agency",))
    fresh = _post(desk, other, _body(ref2), key="placement-1")
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers


def test_concurrent_duplicates_record_one_placement(desk: Office) -> None:
    agency = _agency(desk, "race-agency", "Race")
    _, ref, _ = _candidate(desk, shown_to=("race-agency",))
    body = _body(ref, resumption="partial")
    headers = {**agency, "Idempotency-Key": "same-key"}
    # Over HTTP, all four released by one barrier.
    with serve(desk.client.app) as base:
        results = requests_on_barrier(
            base, [("POST", PATH, {"json": body, "headers": headers})] * 4
        )
    assert sorted(r.status_code for r in results) == [201] * 4, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert desk.sql("SELECT count(*) FROM placements") == [(1,)]
    assert desk.sql("SELECT count(*) FROM work_resumptions") == [(1,)]


def test_unknown_hidden_and_invalid(desk: Office) -> None:
    agency = _agency(desk, "errors-agency", "Errors")
    unknown = _post(desk, agency, _body(uuid.uuid4()))
    assert unknown.status_code == 404, unknown.text
    _, hidden, _ = _candidate(desk, visibility="none", shown_to=("errors-agency",))
    assert _post(desk, agency, _body(hidden)).status_code == 404

    claim, ref, _ = _candidate(desk, days_in_ww=10, shown_to=("errors-agency",))
    early = _post(desk, agency, _body(ref, start_date=str(local_today() - dt.timedelta(days=30))))
    assert early.status_code == 422
    assert [e["field"] for e in early.json()["errors"]] == ["start_date"]
    bad_bodies: list[tuple[dict[str, Any], str]] = [
        ({"contract_type": "freelance"}, "contract_type"),
        ({"resumption": "half"}, "resumption"),
        ({"hours_per_week": 0}, "hours_per_week"),
        ({"hourly_wage": 0}, "hourly_wage"),
        ({"candidate_ref": "not-a-uuid"}, "candidate_ref"),
        ({"surprise": 1}, "surprise"),
    ]
    for bad, field in bad_bodies:
        r = _post(desk, agency, _body(ref, **bad))
        assert r.status_code == 422, (bad, r.text)
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    missing = desk.client.post(PATH, json=_body(ref), headers=agency)
    assert missing.status_code == 422
    assert [e["location"] for e in missing.json()["errors"]] == ["header"]
    assert desk.case(claim).status == "open"
    assert desk.sql("SELECT count(*) FROM placements") == [(0,)]

    closed_claim, closed_ref, _ = _candidate(desk, status="closed", shown_to=("errors-agency",))
    closed = _post(desk, agency, _body(closed_ref))
    assert closed.status_code == 404, closed.text  # not 409: the closure is not revealed
    assert closed.json()["detail"] == unknown.json()["detail"]
    assert desk.case(closed_claim).status == "closed"


def test_agencies_see_only_their_own_and_need_the_scope(desk: Office) -> None:
    mine = _agency(desk, "agency-a", "A")
    theirs = _agency(desk, "agency-b", "B")
    _, ref, _ = _candidate(desk, shown_to=("agency-a",))
    placed = _post(desk, mine, _body(ref, resumption="partial")).json()
    assert desk.client.get(f"{PATH}/{placed['id']}", headers=theirs).status_code == 404
    assert desk.client.get(PATH, headers=theirs).json()["total"] == 0
    no_scope = _agency(desk, "agency-c", "C", scopes=["candidates:read"])
    assert _post(desk, no_scope, _body(ref)).status_code == 403
    assert desk.client.get(PATH, headers=no_scope).status_code == 403
    assert _post(desk, desk.as_("admin"), _body(ref)).status_code == 403
    assert desk.client.post(PATH, json=_body(ref)).status_code == 401


def test_the_reward_ledger_counts_by_quarter_of_the_start_date(desk: Office) -> None:
    a = _agency(desk, "ledger-a", "A")
    b = _agency(desk, "ledger-b", "B")
    this_q = service.current_quarter(local_today())
    q_start, q_end = service.quarter_bounds(this_q)
    last_q_day = q_start - dt.timedelta(days=1)
    last_q = service.current_quarter(last_q_day)
    for agency, start, kind in [
        (a, local_today(), "full"),
        (a, q_start, "partial"),
        (a, last_q_day, "full"),
        (b, local_today(), "partial"),
    ]:
        _, ref, _ = _candidate(desk, shown_to=("ledger-a", "ledger-b"))
        r = _post(desk, agency, _body(ref, start_date=start.isoformat(), resumption=kind))
        assert r.status_code == 201, r.text

    mine = desk.client.get("/partner/v1/rewards", params={"quarter": this_q}, headers=a).json()
    assert (mine["placements"], mine["full"], mine["partial"], mine["claimants"]) == (2, 1, 1, 2)
    assert (mine["starts_on"], mine["ends_on"]) == (q_start.isoformat(), q_end.isoformat())
    assert [p["start_date"] for p in mine["items"]] == sorted(
        [q_start.isoformat(), local_today().isoformat()]
    )
    default = desk.client.get("/partner/v1/rewards", headers=a).json()
    assert (default["quarter"], default["placements"]) == (this_q, 2)
    before = desk.client.get("/partner/v1/rewards", params={"quarter": last_q}, headers=a).json()
    assert (before["placements"], before["full"]) == (1, 1)

    for role in ("admin", "benefits_officer"):
        ledger = desk.client.get(
            "/v1/partner-rewards", params={"quarter": this_q}, headers=desk.as_(role)
        )
        assert ledger.status_code == 200, ledger.text
        assert [(x["partner_client_id"], x["placements"]) for x in ledger.json()["items"]] == [
            ("ledger-a", 2),
            ("ledger-b", 1),
        ]
    assert desk.client.get("/v1/partner-rewards", headers=desk.as_("coach")).status_code == 403
    bad = desk.client.get("/partner/v1/rewards", params={"quarter": "2026-Q5"}, headers=a)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["quarter"]


def test_a_candidate_never_shown_to_the_agency_cannot_be_placed(desk: Office) -> None:
    mine = _agency(desk, "never-saw", "Never saw")
    _agency(desk, "did-see", "Did see")
    claim, ref, _ = _candidate(desk, shown_to=("did-see",))  # another agency's view
    r = _post(desk, mine, _body(ref))
    assert r.status_code == 404, r.text
    assert r.json()["detail"] == "no such candidate"
    assert desk.case(claim).status == "open"
    assert desk.sql("SELECT count(*) FROM placements") == [(0,)]
    assert desk.sql("SELECT count(*) FROM work_resumptions") == [(0,)]
    # Once shown (a search or a profile), it can.
    _shown(desk, "never-saw", ref)
    assert _post(desk, mine, _body(ref)).status_code == 201


def test_consent_withdrawn_before_the_case_lock_is_404(
    desk: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coaching.partner.placements import repository

    agency = _agency(desk, "racing-withdrawal", "Racing")
    claim, ref, _ = _candidate(desk, shown_to=("racing-withdrawal",))
    was_shown = repository.was_shown

    def withdraw_meanwhile(*args: Any) -> bool:
        # The claimant withdraws (committed) after the first check read the profile.
        desk.sql(
            "UPDATE partner_profiles SET visibility = 'none', searchable = false "
            "WHERE candidate_ref = :r",
            r=ref,
        )
        return was_shown(*args)

    monkeypatch.setattr(repository, "was_shown", withdraw_meanwhile)
    r = _post(desk, agency, _body(ref))
    assert r.status_code == 404, r.text
    assert desk.case(claim).status == "open"
    assert desk.sql("SELECT count(*) FROM placements") == [(0,)]
    assert desk.sql("SELECT count(*) FROM work_resumptions") == [(0,)]
