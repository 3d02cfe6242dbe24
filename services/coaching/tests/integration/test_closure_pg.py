"""Closure and reopening on PostgreSQL (issue 5 item 8), and the unassigned queue tried
again when capacity appears (a case closed, a coach added or given more hours)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from shared.clock import local_today
from tests.support.coaching import Office, office

pytestmark = pytest.mark.integration
__all__ = ["office"]


def _assigned(coach_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {"coach_id": coach_id, "assignment_status": "assigned", "segment": "personal", **extra}


def _queued(**extra: Any) -> dict[str, Any]:
    return {
        "assignment_status": "unassigned",
        "segment": "personal",
        "score_provisional": False,
        "age_at_first_ww_day": 40,
        **extra,
    }


def test_the_coach_closes_with_a_result_and_the_case_turns_read_only(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    (claim,) = office.cases(1, first_ww_day=local_today() - dt.timedelta(days=30), **_assigned(a))
    coach = office.as_("coach", sub=str(a))
    start = local_today() + dt.timedelta(days=3)
    r = office.client.post(
        f"/v1/cases/{claim}/close",
        json={"result": "work_resumed", "closed_on": start.isoformat(), "reported_by": "claimant"},
        headers=coach,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["closure_result"], body["closed_on"]) == (
        "closed",
        "work_resumed",
        start.isoformat(),
    )
    assert body["next_action"] is None
    (event,) = office.published("case.closed")
    assert (event["result"], event["reported_by"], event["closed_on"]) == (
        "work_resumed",
        "claimant",
        start.isoformat(),
    )
    ((reason, old, new),) = office.sql(
        "SELECT reason, old_values, new_values FROM audit_log WHERE action = 'case.close'"
    )
    assert reason == "work_resumed (reported by claimant)"
    assert (old["status"], new["status"]) == ("open", "closed")
    # Read-only: closing again and transferring are 409s naming the way out.
    again = office.client.post(
        f"/v1/cases/{claim}/close", json={"result": "other", "note": "x"}, headers=coach
    )
    assert again.status_code == 409
    assert "reopen" in again.json()["detail"]
    moved = office.client.post(
        f"/v1/cases/{claim}/transfer",
        json={"to_coach_id": str(b), "reason_category": "other", "reason_text": "x"},
        headers=office.as_("admin"),
    )
    assert moved.status_code == 409
    # Still readable by its coach.
    assert office.client.get(f"/v1/cases/{claim}", headers=coach).json()["status"] == "closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "result"),
        ({"result": "found_love"}, "result"),
        ({"result": "other"}, "note"),
        ({"result": "other", "note": "   "}, "note"),
        ({"result": "work_resumed", "closed_on": "2020-01-01"}, "closed_on"),
        ({"result": "work_resumed", "closed_on": "not-a-date"}, "closed_on"),
        ({"result": "work_resumed", "reported_by": "neighbour"}, "reported_by"),
    ],
)
def test_a_result_is_required_and_bad_input_names_the_field(
    office: Office, body: dict[str, Any], field: str
) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a))
    r = office.client.post(f"/v1/cases/{claim}/close", json=body, headers=office.as_("admin"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].endswith(field) for e in r.json()["errors"]), r.text
    assert office.case(claim).status == "open"
    assert office.published("case.closed") == []


def test_far_ahead_is_refused(office: Office) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a))
    far = local_today() + dt.timedelta(days=93)
    r = office.client.post(
        f"/v1/cases/{claim}/close",
        json={"result": "work_resumed", "closed_on": far.isoformat()},
        headers=office.as_("admin"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "closed_on"


def test_who_may_close(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    c = office.coach("Cor", 36)
    claims = office.cases(4, **_assigned(a))
    body = {"result": "entitlement_ended"}
    assert (
        office.client.post(
            f"/v1/cases/{claims[0]}/close", json=body, headers=office.as_("coach", sub=str(b))
        ).status_code
        == 404
    )
    assert (
        office.client.post(
            f"/v1/cases/{claims[0]}/close",
            json=body,
            headers=office.as_("team_lead", office="RTD"),
        ).status_code
        == 404
    )
    for role in ("claimant", "benefits_officer", "triage_analyst"):
        assert (
            office.client.post(
                f"/v1/cases/{claims[0]}/close", json=body, headers=office.as_(role)
            ).status_code
            == 403
        )
    # A coach covering for Anouk may close her case while covering.
    office.sql(
        "UPDATE cases SET covering_coach_id = :c, covering_until = :d WHERE claim_id = :k",
        c=c,
        d=local_today(),
        k=claims[1],
    )
    assert (
        office.client.post(
            f"/v1/cases/{claims[1]}/close", json=body, headers=office.as_("coach", sub=str(c))
        ).status_code
        == 200
    )
    assert (
        office.client.post(
            f"/v1/cases/{claims[2]}/close",
            json=body,
            headers=office.as_("team_lead", office="AMS"),
        ).status_code
        == 200
    )


def test_reopen_is_audited_and_returns_the_case_to_its_active_coach(office: Office) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a))
    admin = office.as_("admin")
    office.client.post(f"/v1/cases/{claim}/close", json={"result": "work_resumed"}, headers=admin)
    coach = office.as_("coach", sub=str(a))
    assert (
        office.client.post(
            f"/v1/cases/{claim}/reopen", json={"reason": "job ended"}, headers=coach
        ).status_code
        == 403
    )
    missing = office.client.post(
        f"/v1/cases/{claim}/reopen", json={}, headers=office.as_("team_lead", office="AMS")
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"].endswith("reason")
    r = office.client.post(
        f"/v1/cases/{claim}/reopen",
        json={"reason": "the job ended in the trial period"},
        headers=office.as_("team_lead", office="AMS"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["coach_id"], r.json()["closure_result"]) == (
        "open",
        str(a),
        None,
    )
    assert r.json()["reopened_at"] is not None
    (event,) = office.published("case.reopened")
    assert (event["coach_id"], event["reason"]) == (str(a), "the job ended in the trial period")
    ((old, new),) = office.sql(
        "SELECT old_values, new_values FROM audit_log WHERE action = 'case.reopen'"
    )
    assert (old["status"], old["closure_result"], new["status"]) == (
        "closed",
        "work_resumed",
        "open",
    )
    again = office.client.post(
        f"/v1/cases/{claim}/reopen", json={"reason": "x"}, headers=office.as_("admin")
    )
    assert again.status_code == 409


def test_reopen_after_the_coach_left_assigns_again(office: Office) -> None:
    gone = office.coach("Gijs", 36, active=False)
    b = office.coach("Bram", 36)
    (claim,) = office.cases(
        1, status="closed", closure_result="other", score_provisional=False, **_assigned(gone)
    )
    r = office.client.post(
        f"/v1/cases/{claim}/reopen", json={"reason": "revived"}, headers=office.as_("admin")
    )
    assert r.status_code == 200, r.text
    assert r.json()["coach_id"] == str(b)
    assert [e["coach_id"] for e in office.published("case.assigned")] == [str(b)]


def test_closing_frees_a_place_for_the_queue(office: Office) -> None:
    small = office.coach("Sem", 1)  # max 5
    claims = office.cases(5, **_assigned(small))
    (waiting,) = office.cases(1, **_queued())
    r = office.client.post(
        f"/v1/cases/{claims[0]}/close",
        json={"result": "work_resumed"},
        headers=office.as_("coach", sub=str(small)),
    )
    assert r.status_code == 200
    case = office.case(waiting)
    assert (case.coach_id, case.assignment_status) == (small, "assigned")


def test_a_new_coach_or_more_hours_takes_from_the_queue(office: Office) -> None:
    small = office.coach("Sem", 1)  # max 5
    office.cases(5, **_assigned(small))
    queued = office.cases(3, **_queued())
    lead = office.as_("team_lead", office="AMS")
    r = office.client.patch(f"/v1/coaches/{small}", json={"contract_hours": 1.4}, headers=lead)
    assert r.status_code == 200, r.text  # max 7: two of the three waiting cases
    assert office.sql(
        "SELECT count(*) FROM cases WHERE coach_id = :s AND status = 'open'", s=small
    ) == [(7,)]
    created = office.client.post(
        "/v1/coaches",
        json={"display_name": "Nina", "office_code": "AMS", "contract_hours": 24},
        headers=lead,
    )
    assert created.status_code == 201, created.text
    assert [office.case(c).assignment_status for c in queued] == ["assigned"] * 3
    assert office.case(queued[2]).coach_id == uuid.UUID(created.json()["id"])
