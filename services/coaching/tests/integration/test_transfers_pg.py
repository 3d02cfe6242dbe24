"""Transfers and redistribution on PostgreSQL (issue 5 item 3): one case, a batch (all or
none, idempotent), a proposal for a leaving coach, the maximum caseload, audit and
`case.transferred`, and who may do it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from shared.clock import local_today
from tests.support.coaching import Office, office

pytestmark = pytest.mark.integration
__all__ = ["office"]

LEAD = {"office": "AMS"}


def _assigned(coach_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {
        "coach_id": coach_id,
        "assignment_status": "assigned",
        "segment": "personal",
        **extra,
    }


def _body(to: uuid.UUID, category: str = "coach_ill") -> dict[str, Any]:
    return {"to_coach_id": str(to), "reason_category": category, "reason_text": "long leave"}


def test_transfer_moves_the_case_audits_and_publishes(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    (claim,) = office.cases(1, **_assigned(a))
    lead = office.as_("team_lead", **LEAD)
    r = office.client.post(f"/v1/cases/{claim}/transfer", json=_body(b), headers=lead)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "transferred"
    assert r.json()["from_coach_id"] == str(a)
    assert r.json()["to_coach_id"] == str(b)
    case = office.case(claim)
    assert (case.coach_id, case.assignment_status, case.assignment_reason) == (
        b,
        "assigned",
        "transfer:coach_ill",
    )
    (event,) = office.published("case.transferred")
    assert event["from_coach_id"] == str(a)
    assert event["to_coach_id"] == str(b)
    assert event["reason_category"] == "coach_ill"
    ((reason, old, new),) = office.sql(
        "SELECT reason, old_values, new_values FROM audit_log WHERE action = 'case.transfer'"
    )
    assert reason == "coach_ill: long leave"
    assert old["coach_id"] == str(a)
    assert new["coach_id"] == str(b)
    # The same transfer again changes nothing and publishes nothing.
    again = office.client.post(f"/v1/cases/{claim}/transfer", json=_body(b), headers=lead)
    assert again.json()["outcome"] == "unchanged"
    assert len(office.published("case.transferred")) == 1


def test_never_above_the_receiving_coachs_maximum(office: Office) -> None:
    a = office.coach("Anouk", 36)
    small = office.coach("Sem", 1)  # max 5
    office.cases(5, **_assigned(small))
    (claim,) = office.cases(1, **_assigned(a))
    r = office.client.post(
        f"/v1/cases/{claim}/transfer", json=_body(small), headers=office.as_("admin")
    )
    assert r.status_code == 409, r.text
    assert r.json()["max_caseload"] == 5
    assert r.json()["open_cases"] == 5
    assert office.case(claim).coach_id == a


def test_covered_cases_count_towards_the_maximum(office: Office) -> None:
    a = office.coach("Anouk", 36)
    small = office.coach("Sem", 1)  # max 5
    office.cases(4, **_assigned(small))
    office.cases(1, **_assigned(a, covering_coach_id=small))  # Sem covers one of Anouk's
    (claim,) = office.cases(1, **_assigned(a))
    r = office.client.post(
        f"/v1/cases/{claim}/transfer", json=_body(small), headers=office.as_("admin")
    )
    assert r.status_code == 409, r.text


@pytest.mark.parametrize(
    ("target", "message"),
    [("unknown", "no such coach"), ("other_office", "office RTD"), ("inactive", "deactivated")],
)
def test_a_bad_receiver_is_a_422_naming_to_coach_id(
    office: Office, target: str, message: str
) -> None:
    a = office.coach("Anouk", 36)
    targets = {
        "unknown": uuid.uuid4(),
        "other_office": office.coach("Rik", 36, office="RTD"),
        "inactive": office.coach("Ina", 36, active=False),
    }
    (claim,) = office.cases(1, **_assigned(a))
    r = office.client.post(
        f"/v1/cases/{claim}/transfer", json=_body(targets[target]), headers=office.as_("admin")
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "to_coach_id"
    assert message in r.json()["detail"]


def test_bad_bodies_name_the_field(office: Office) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a))
    admin = office.as_("admin")
    for body, field in [
        ({"to_coach_id": str(a), "reason_category": "whim", "reason_text": "x"}, "reason_category"),
        ({"to_coach_id": "nope", "reason_category": "other", "reason_text": "x"}, "to_coach_id"),
        ({"to_coach_id": str(a), "reason_category": "other", "reason_text": ""}, "reason_text"),
    ]:
        r = office.client.post(f"/v1/cases/{claim}/transfer", json=body, headers=admin)
        assert r.status_code == 422, r.text
        assert field in r.text


def test_closed_cases_and_other_offices(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    (closed,) = office.cases(1, status="closed", **_assigned(a))
    (rtd,) = office.cases(1, office="RTD", **_assigned(uuid.uuid4()))
    (mine,) = office.cases(1, **_assigned(a))
    lead = office.as_("team_lead", **LEAD)
    assert (
        office.client.post(f"/v1/cases/{closed}/transfer", json=_body(b), headers=lead).status_code
        == 409
    )
    # Another office's case does not exist for this team lead.
    assert (
        office.client.post(f"/v1/cases/{rtd}/transfer", json=_body(b), headers=lead).status_code
        == 404
    )
    # Coaches and claimants may not move cases (even their own).
    coach = office.as_("coach", sub=str(a))
    assert (
        office.client.post(f"/v1/cases/{mine}/transfer", json=_body(b), headers=coach).status_code
        == 403
    )
    assert office.client.post(f"/v1/cases/{mine}/transfer", json=_body(b)).status_code == 401


def test_batch_is_all_or_none(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    small = office.coach("Sem", 1)  # max 5
    claims = office.cases(7, **_assigned(a))
    lead = office.as_("team_lead", **LEAD)
    moves = [{"claim_id": str(c), "to_coach_id": str(small)} for c in claims[:6]]
    r = office.client.post(
        "/v1/transfers",
        json={"reason_category": "coach_leaves", "reason_text": "leaves", "moves": moves},
        headers=lead,
    )
    # The sixth move would put Sem above 5: nothing moves.
    assert r.status_code == 409, r.text
    assert r.json()["detail"].startswith("moves[5]: ")
    assert office.sql("SELECT count(*) FROM cases WHERE coach_id = :s", s=small) == [(0,)]
    assert office.published("case.transferred") == []
    moves = [{"claim_id": str(c), "to_coach_id": str(b)} for c in claims[:3]]
    ok = office.client.post(
        "/v1/transfers",
        json={"reason_category": "coach_leaves", "reason_text": "leaves", "moves": moves},
        headers=lead,
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["transferred"], ok.json()["unchanged"]) == (3, 0)
    retry = office.client.post(
        "/v1/transfers",
        json={"reason_category": "coach_leaves", "reason_text": "leaves", "moves": moves},
        headers=lead,
    )
    assert (retry.json()["transferred"], retry.json()["unchanged"]) == (0, 3)
    assert len(office.published("case.transferred")) == 3
    dup = office.client.post(
        "/v1/transfers",
        json={"reason_category": "other", "reason_text": "x", "moves": moves[:1] * 2},
        headers=lead,
    )
    assert dup.status_code == 422
    assert dup.json()["errors"][0]["field"] == "moves[1].claim_id"
    unknown = office.client.post(
        "/v1/transfers",
        json={
            "reason_category": "other",
            "reason_text": "x",
            "moves": [{"claim_id": str(uuid.uuid4()), "to_coach_id": str(b)}],
        },
        headers=lead,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "moves[0].claim_id"


def test_proposal_spreads_a_leaving_coachs_cases_and_changes_nothing(office: Office) -> None:
    leaving = office.coach("Lea", 36)
    b = office.coach("Bram", 36, specialisms=["over_55"])
    c = office.coach("Cor", 18)
    d = office.coach("Dewi", 36)
    office.cases(20, **_assigned(d))  # Dewi already carries 20
    older = office.cases(2, age_at_first_ww_day=60, **_assigned(leaving))
    continuity = office.cases(1, intake_coach_id=c, **_assigned(leaving))
    rest = office.cases(6, **_assigned(leaving))
    lead = office.as_("team_lead", **LEAD)
    r = office.client.post(f"/v1/coaches/{leaving}/redistribution-proposal", json={}, headers=lead)
    assert r.status_code == 200, r.text
    body = r.json()
    moves = {m["claim_id"]: (m["to_coach_id"], m["rule"]) for m in body["moves"]}
    assert len(moves) == 9
    assert body["unplaceable"] == []
    for claim in older:
        assert moves[str(claim)] == (str(b), "specialism")
    assert moves[str(continuity[0])] == (str(c), "continuity")
    loads = {x["coach_id"]: (x["before"], x["after"]) for x in body["loads"]}
    assert str(leaving) not in loads
    assert sum(after - before for before, after in loads.values()) == 9
    # Lowest relative load: Dewi (20 cases) gets none of the six plain cases.
    assert all(moves[str(x)][0] != str(d) for x in rest)
    # Nothing moved yet.
    assert office.sql("SELECT count(*) FROM cases WHERE coach_id = :l", l=leaving) == [(9,)]
    # Excluding coaches, and a subset of the cases.
    r2 = office.client.post(
        f"/v1/coaches/{leaving}/redistribution-proposal",
        json={"claim_ids": [str(rest[0])], "exclude_coach_ids": [str(b), str(c)]},
        headers=lead,
    )
    assert [m["to_coach_id"] for m in r2.json()["moves"]] == [str(d)]
    bad = office.client.post(
        f"/v1/coaches/{leaving}/redistribution-proposal",
        json={"claim_ids": [str(uuid.uuid4())]},
        headers=lead,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "claim_ids[0]"
    other = office.client.post(
        f"/v1/coaches/{leaving}/redistribution-proposal",
        json={},
        headers=office.as_("team_lead", office="RTD"),
    )
    assert other.status_code == 403
    # Applying the proposal moves the cases.
    apply = office.client.post(
        "/v1/transfers",
        json={
            "reason_category": "coach_leaves",
            "reason_text": "leaves the office",
            "moves": [{"claim_id": k, "to_coach_id": v[0]} for k, v in moves.items()],
        },
        headers=lead,
    )
    assert apply.status_code == 200
    assert apply.json()["transferred"] == 9
    assert office.sql("SELECT count(*) FROM cases WHERE coach_id = :l", l=leaving) == [(0,)]


def test_unplaceable_when_every_coach_is_full(office: Office) -> None:
    leaving = office.coach("Lea", 36)
    full = office.coach("Sem", 1)  # max 5
    office.cases(5, **_assigned(full))
    office.cases(2, **_assigned(leaving))
    r = office.client.post(
        f"/v1/coaches/{leaving}/redistribution-proposal", json={}, headers=office.as_("admin")
    )
    assert r.status_code == 200
    assert r.json()["moves"] == []
    assert {u["reason"] for u in r.json()["unplaceable"]} == {"all_coaches_at_maximum"}


def test_a_colleague_covers_an_absent_coach_until_a_date(office: Office) -> None:
    absent = office.coach("Anouk", 36)
    colleague = office.coach("Bram", 36)
    claims = office.cases(3, **_assigned(absent))
    lead = office.as_("team_lead", **LEAD)
    bram = office.as_("coach", sub=str(colleague))
    assert office.client.get(f"/v1/cases/{claims[0]}", headers=bram).status_code == 404
    until = local_today() + dt.timedelta(days=14)
    r = office.client.put(
        f"/v1/coaches/{absent}/cover",
        json={"covering_coach_id": str(colleague), "until": until.isoformat(), "reason": "ill"},
        headers=lead,
    )
    assert r.status_code == 200, r.text
    assert r.json()["cases"] == 3
    # Bram sees and lists the covered cases; they stay Anouk's.
    assert office.client.get(f"/v1/cases/{claims[0]}", headers=bram).status_code == 200
    listed = office.client.get("/v1/cases", headers=bram).json()
    assert sorted(c["claim_id"] for c in listed["items"]) == sorted(str(c) for c in claims)
    assert {c["coach_id"] for c in listed["items"]} == {str(absent)}
    # Covered cases count towards Bram's load in the office overview's rules.
    assert office.sql("SELECT reason FROM audit_log WHERE action = 'coach.cover'") == [("ill",)]
    # After the cover ends Bram no longer sees them.
    end = office.client.delete(f"/v1/coaches/{absent}/cover", headers=lead)
    assert end.status_code == 200
    assert end.json()["cases"] == 3
    assert office.client.get(f"/v1/cases/{claims[0]}", headers=bram).status_code == 404
    assert office.client.delete(f"/v1/coaches/{absent}/cover", headers=lead).json()["cases"] == 0


def test_an_expired_cover_no_longer_opens_the_case(office: Office) -> None:
    absent = office.coach("Anouk", 36)
    colleague = office.coach("Bram", 36)
    (claim,) = office.cases(
        1,
        covering_coach_id=colleague,
        covering_until=local_today() - dt.timedelta(days=1),
        **_assigned(absent),
    )
    bram = office.as_("coach", sub=str(colleague))
    assert office.client.get(f"/v1/cases/{claim}", headers=bram).status_code == 404
    assert office.client.get("/v1/cases", headers=bram).json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"covering_coach_id": "self"}, 422, "covering_coach_id"),
        ({"covering_coach_id": "rtd"}, 422, "covering_coach_id"),
        ({"until": "yesterday"}, 422, "until"),
        ({"until": "far"}, 422, "until"),
        ({"covering_coach_id": "small"}, 409, None),
    ],
)
def test_cover_refusals(
    office: Office, change: dict[str, str], status: int, field: str | None
) -> None:
    absent = office.coach("Anouk", 36)
    colleague = office.coach("Bram", 36)
    coaches = {
        "self": absent,
        "rtd": office.coach("Rik", 36, office="RTD"),
        "small": office.coach("Sem", 1),  # max 5
        "ok": colleague,
    }
    days = {"yesterday": -1, "far": 184, "ok": 7}
    office.cases(6, **_assigned(absent))
    body = {
        "covering_coach_id": str(coaches[change.get("covering_coach_id", "ok")]),
        "until": (local_today() + dt.timedelta(days=days[change.get("until", "ok")])).isoformat(),
        "reason": "leave",
    }
    r = office.client.put(f"/v1/coaches/{absent}/cover", json=body, headers=office.as_("admin"))
    assert r.status_code == status, r.text
    if field is not None:
        assert r.json()["errors"][0]["field"] == field
    assert office.sql("SELECT count(*) FROM cases WHERE covering_coach_id IS NOT NULL") == [(0,)]
    other_lead = office.as_("team_lead", office="RTD")
    assert (
        office.client.put(f"/v1/coaches/{absent}/cover", json=body, headers=other_lead).status_code
        == 403
    )


def test_a_starters_case_goes_to_the_starters_specialist(office: Office) -> None:
    leaving = office.coach("Lea", 36)
    specialist = office.coach("Stan", 20, specialisms=["starters"])
    office.coach("Bram", 36)
    (starter,) = office.cases(1, **_assigned(leaving))
    (plain,) = office.cases(1, **_assigned(leaving))
    # The starters scheme's research period, as recorded from starters events.
    office.sql(
        "INSERT INTO obligation_exemptions (id, claim_id, application_id, reason, starts_on, "
        "ends_on, updated_at) VALUES (:id, :claim, :app, 'research_period', :s, :e, now())",
        id=uuid.uuid4(),
        claim=starter,
        app=uuid.uuid4(),
        s=local_today(),
        e=local_today() + dt.timedelta(days=41),
    )
    r = office.client.post(
        f"/v1/coaches/{leaving}/redistribution-proposal", json={}, headers=office.as_("admin")
    )
    assert r.status_code == 200, r.text
    moves = {m["claim_id"]: (m["to_coach_id"], m["rule"], m["matched"]) for m in r.json()["moves"]}
    assert moves[str(starter)] == (str(specialist), "specialism", ["starters"])
    assert moves[str(plain)][1] == "office_load"
