"""Work resumption reports on PostgreSQL: a full return to work reported by the claimant
closes the case; a partial one keeps it open; only the claimant's own case."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from shared.clock import local_today
from tests.support.coaching import Office, office

pytestmark = pytest.mark.integration
__all__ = ["office"]


def _case(office: Office, coach: uuid.UUID, subject: str | None) -> uuid.UUID:
    (claim,) = office.cases(
        1,
        first_ww_day=local_today() - dt.timedelta(days=20),
        coach_id=coach,
        assignment_status="assigned",
        segment="personal",
        claimant_subject=subject,
    )
    return claim


def _report(kind: str, start: dt.date, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "start_date": start.isoformat(), "hours_per_week": 32, **extra}


def test_the_claimants_full_report_closes_the_case(office: Office) -> None:
    a = office.coach("Anouk", 36)
    claim = _case(office, a, "claimant-7")
    me = office.as_("claimant", sub="claimant-7")
    start = local_today() + dt.timedelta(days=4)
    r = office.client.post(
        f"/v1/cases/{claim}/work-resumptions",
        json=_report("full", start, employer="Bakkerij Jansen", via_temp_agency=True),
        headers=me,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["reported_by"], r.json()["closed_case"]) == ("claimant", True)
    case = office.case(claim)
    assert (case.status, case.closure_result, case.closed_on) == ("closed", "work_resumed", start)
    (closed,) = office.published("case.closed")
    assert (closed["reported_by"], closed["result"]) == ("claimant", "work_resumed")
    listed = office.client.get(f"/v1/cases/{claim}/work-resumptions", headers=me)
    assert listed.status_code == 200
    assert [x["employer"] for x in listed.json()["items"]] == ["Bakkerij Jansen"]
    # The case is read-only now.
    again = office.client.post(
        f"/v1/cases/{claim}/work-resumptions", json=_report("partial", start), headers=me
    )
    assert again.status_code == 409
    actions = {row[0] for row in office.sql("SELECT action FROM audit_log")}
    assert {"work_resumption.report", "case.close", "work_resumption.list"} <= actions


def test_a_partial_report_keeps_the_case_open(office: Office) -> None:
    a = office.coach("Anouk", 36)
    claim = _case(office, a, "claimant-8")
    r = office.client.post(
        f"/v1/cases/{claim}/work-resumptions",
        json=_report("partial", local_today()),
        headers=office.as_("coach", sub=str(a)),
    )
    assert r.status_code == 201, r.text
    assert (r.json()["reported_by"], r.json()["closed_case"]) == ("coach", False)
    assert office.case(claim).status == "open"
    assert office.published("case.closed") == []


def test_only_the_claimants_own_case(office: Office) -> None:
    a = office.coach("Anouk", 36)
    claim = _case(office, a, "claimant-9")
    staff_made = _case(office, a, None)
    body = _report("full", local_today())
    for headers in (
        office.as_("claimant", sub="someone-else"),
        office.as_("coach", sub=str(uuid.uuid4())),
        office.as_("team_lead", office="RTD"),
    ):
        assert (
            office.client.post(
                f"/v1/cases/{claim}/work-resumptions", json=body, headers=headers
            ).status_code
            == 404
        )
        assert (
            office.client.get(f"/v1/cases/{claim}/work-resumptions", headers=headers).status_code
            == 404
        )
    # A claim registered by staff has no claimant subject: no claimant reaches it.
    assert (
        office.client.post(
            f"/v1/cases/{staff_made}/work-resumptions",
            json=body,
            headers=office.as_("claimant", sub="claimant-9"),
        ).status_code
        == 404
    )
    for role in ("benefits_officer", "triage_analyst"):
        assert (
            office.client.post(
                f"/v1/cases/{claim}/work-resumptions", json=body, headers=office.as_(role)
            ).status_code
            == 403
        )
    assert office.case(claim).status == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "some", "start_date": "2026-12-01", "hours_per_week": 8}, "kind"),
        ({"kind": "full", "start_date": "2026-13-01", "hours_per_week": 8}, "start_date"),
        ({"kind": "full", "start_date": "2026-12-01", "hours_per_week": 0}, "hours_per_week"),
        ({"kind": "full", "start_date": "2026-12-01", "hours_per_week": 81}, "hours_per_week"),
        ({"kind": "full", "start_date": "2020-01-01", "hours_per_week": 8}, "start_date"),
        (
            {
                "kind": "full",
                "start_date": "2026-12-01",
                "hours_per_week": 8,
                "employer": "x" * 201,
            },
            "employer",
        ),
    ],
)
def test_bad_reports_name_the_field(office: Office, body: dict[str, Any], field: str) -> None:
    a = office.coach("Anouk", 36)
    claim = _case(office, a, "claimant-10")
    r = office.client.post(
        f"/v1/cases/{claim}/work-resumptions",
        json=body,
        headers=office.as_("claimant", sub="claimant-10"),
    )
    assert r.status_code == 422, r.text
    assert any(e["field"].endswith(field) for e in r.json()["errors"]), r.text
    assert office.sql("SELECT count(*) FROM work_resumptions") == [(0,)]
