"""Caseload views on PostgreSQL (issue 5 item 4): the office overview of a team lead and the
computed fields of the case list (weeks in WW, next action).

The dataset is written straight into the tables (coaches and registered cases), so every
expected number below is counted by hand from it; the default policy allows 5 cases per
contract hour.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from shared.clock import local_today
from tests.support.coaching import Office, office

pytestmark = pytest.mark.integration
__all__ = ["office"]


def _assigned(coach_id: uuid.UUID) -> dict[str, Any]:
    return {"coach_id": coach_id, "assignment_status": "assigned", "segment": "personal"}


def test_office_caseload_counts_per_coach_and_totals(office: Office) -> None:
    a = office.coach("Anouk", 36)  # max 180
    b = office.coach("Bram", 16)  # max 80
    c = office.coach("Cor", 7.5)  # max floor(37.5) = 37
    d = office.coach("Dewi", 20, active=False)  # deactivated, still carries 2 open cases
    office.coach("Eva", 32, active=False)  # deactivated, no cases: not listed
    r = office.coach("Rik", 36, office="RTD")
    office.cases(9, **_assigned(a))
    office.cases(1, status="closed", **_assigned(a))  # closed: not counted
    office.cases(8, **_assigned(b))
    office.cases(2, **_assigned(d))
    office.cases(3, office="RTD", **_assigned(r))
    office.cases(2, assignment_status="unassigned", segment="personal")
    office.cases(1, status="closed", assignment_status="unassigned", segment="personal")
    office.cases(3, assignment_status="digital", segment="digital")
    office.cases(1, office="RTD", assignment_status="digital", segment="digital")
    office.cases(1, segment="personal")  # not decided yet: in no count

    resp = office.client.get(
        "/v1/offices/AMS/caseload", headers=office.as_("team_lead", office="AMS")
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["office_code"] == "AMS"
    assert body["max_cases_per_contract_hour"] == 5.0
    rows = [
        (
            x["coach_id"],
            x["active"],
            x["contract_hours"],
            x["open_cases"],
            x["max_caseload"],
            x["relative_load"],
            x["share_of_max"],
        )
        for x in body["coaches"]
    ]
    # Highest load per contract hour first: Bram 8/16, Anouk 9/36, Dewi 2/20, Cor 0/7.5.
    assert rows == [
        (str(b), True, 16, 8, 80, pytest.approx(0.5), pytest.approx(0.1)),
        (str(a), True, 36, 9, 180, pytest.approx(0.25), pytest.approx(0.05)),
        (str(d), False, 20, 2, 100, pytest.approx(0.1), pytest.approx(0.02)),
        (str(c), True, 7.5, 0, 37, 0.0, 0.0),
    ]
    assert body["totals"] == {
        "coaches": 4,
        "assigned_cases": 19,
        "max_caseload": 180 + 80 + 37,  # active coaches only
        "unassigned_cases": 2,
        "digital_cases": 3,
    }

    rtd = office.client.get("/v1/offices/RTD/caseload", headers=office.as_("admin")).json()
    assert [(x["coach_id"], x["open_cases"]) for x in rtd["coaches"]] == [(str(r), 3)]
    assert rtd["totals"]["digital_cases"] == 1
    assert rtd["totals"]["unassigned_cases"] == 0
    empty = office.client.get("/v1/offices/UTR/caseload", headers=office.as_("admin")).json()
    assert empty["coaches"] == []
    assert empty["totals"]["coaches"] == 0


@pytest.mark.parametrize(
    ("roles", "token_office"),
    [
        (("team_lead",), "RTD"),  # another office
        (("team_lead",), None),  # a team lead token without office
        (("coach",), "AMS"),
        (("claimant",), None),
        (("benefits_officer",), "AMS"),
    ],
)
def test_office_caseload_is_forbidden_outside_own_office_and_role(
    office: Office, roles: tuple[str, ...], token_office: str | None
) -> None:
    resp = office.client.get(
        "/v1/offices/AMS/caseload", headers=office.as_(*roles, office=token_office)
    )
    assert resp.status_code == 403, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_case_list_weeks_in_ww_next_action_filter_and_sort(office: Office) -> None:
    today = local_today()
    coach = office.coach("Anouk", 36)
    checkin = today + dt.timedelta(days=66)
    (assigned,) = office.cases(
        1, first_ww_day=today - dt.timedelta(days=25), **_assigned(coach)
    )  # 3 whole weeks
    (queued,) = office.cases(
        1,
        first_ww_day=today - dt.timedelta(days=7),
        assignment_status="unassigned",
        segment="personal",
    )  # exactly 1 week
    (digital,) = office.cases(
        1,
        first_ww_day=today - dt.timedelta(days=6),
        assignment_status="digital",
        segment="digital",
        checkin_on=checkin,
    )  # 0 weeks
    (waiting,) = office.cases(1, first_ww_day=today + dt.timedelta(days=3), segment="personal")
    (untriaged,) = office.cases(1, first_ww_day=None)
    (closed,) = office.cases(
        1, status="closed", first_ww_day=today - dt.timedelta(days=70), **_assigned(coach)
    )

    lead = office.as_("team_lead", office="AMS")
    resp = office.client.get("/v1/cases", params={"limit": 50}, headers=lead)
    assert resp.status_code == 200, resp.text
    got = {
        x["claim_id"]: (x["weeks_in_ww"], x["next_action"], x["next_action_on"])
        for x in resp.json()["items"]
    }
    assert got == {
        str(assigned): (3, "plan first contact", None),
        str(queued): (1, "assign coach", None),
        str(digital): (0, f"check-in on {checkin.isoformat()}", checkin.isoformat()),
        str(waiting): (0, "await intake", None),  # first WW day still ahead: 0
        str(untriaged): (None, "await triage", None),
        str(closed): (10, None, None),
    }

    def claims(**params: Any) -> list[str]:
        r = office.client.get("/v1/cases", params=params, headers=lead)
        assert r.status_code == 200, r.text
        return [x["claim_id"] for x in r.json()["items"]]

    assert claims(assignment_status="digital") == [str(digital)]
    assert claims(assignment_status="unassigned") == [str(queued)]
    assert set(claims(assignment_status="assigned")) == {str(assigned), str(closed)}
    assert claims(sort="-weeks_in_ww", status="open", limit=3) == [
        str(assigned),
        str(queued),
        str(digital),
    ]
    assert claims(sort="weeks_in_ww", status="open", segment="personal", limit=2) == [
        str(waiting),
        str(queued),
    ]
    bad = office.client.get("/v1/cases", params={"assignment_status": "maybe"}, headers=lead)
    assert bad.status_code == 422

    # The coach's own caseload carries the same computed fields.
    mine = office.client.get(
        "/v1/cases", params={"status": "open"}, headers=office.as_("coach", sub=str(coach))
    ).json()
    assert [(x["claim_id"], x["weeks_in_ww"], x["next_action"]) for x in mine["items"]] == [
        (str(assigned), 3, "plan first contact")
    ]
    one = office.client.get(f"/v1/cases/{digital}", headers=lead).json()
    assert one["next_action_on"] == checkin.isoformat()
    assert one["weeks_in_ww"] == 0
