"""The job-search obligation through the API on PostgreSQL (issue 5 item 7).

Decisions tested here (docs/coaching-rules.md, section 2 "In the service"):
- every regime: regular (4 per 28 days), none (no_obligation), individual (incl. 0);
- period boundaries: an activity on a period's last day counts in it, the next day in the
  next period; duplicates are accepted and count once;
- the evaluation run evaluates each closed period once: a second run publishes nothing;
- not compliant: `obligation.missed` and a task for the case's coach (none: the team
  lead's); tasks per role; a report into an evaluated period is refused (422);
- the claimant sees and reports on their own case only (404 otherwise); 422 names the
  field; 409 on a closed case; reads and writes are audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from coaching.obligations.service import status_by_case
from shared.clock import local_today
from tests.support.coaching import Office, office
from ww.cli import app

pytestmark = pytest.mark.integration
__all__ = ["office"]

TODAY = local_today()


def _days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def _assigned(coach_id: uuid.UUID | None, **extra: Any) -> dict[str, Any]:
    if coach_id is None:
        return {"assignment_status": "unassigned", "segment": "personal", **extra}
    return {"coach_id": coach_id, "assignment_status": "assigned", "segment": "personal", **extra}


def _report(
    office: Office,
    claim: uuid.UUID,
    headers: dict[str, str],
    kind: str,
    on: dt.date,
    employer: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "activity_date": on.isoformat()}
    if employer is not None:
        body["employer"] = employer
    r = office.client.post(f"/v1/cases/{claim}/job-search-activities", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _evaluate(office: Office) -> dict[str, Any]:
    r = office.client.post("/v1/admin/obligations/evaluate", headers=office.as_("admin"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def _obligation(office: Office, claim: uuid.UUID, headers: dict[str, str]) -> dict[str, Any]:
    r = office.client.get(f"/v1/cases/{claim}/obligation", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _mine(events: list[dict[str, Any]], claim: uuid.UUID) -> list[dict[str, Any]]:
    return [e for e in events if e["claim_id"] == str(claim)]


def test_regular_regime_boundaries_duplicates_missed_and_idempotent_run(office: Office) -> None:
    a = office.coach("Anouk", 36)
    # Period 0: TODAY-56 .. TODAY-29; period 1: TODAY-28 .. TODAY-1; both closed today.
    (claim,) = office.cases(
        1,
        first_ww_day=_days(-56),
        obligation_regime="regular",
        claimant_subject="cl-1",
        **_assigned(a),
    )
    claimant = office.as_("claimant", sub="cl-1")
    coach = office.as_("coach", sub=str(a))
    _report(office, claim, claimant, "application", _days(-56), "Bakkerij Jansen")  # first day
    _report(office, claim, claimant, "interview", _days(-40), "Bakkerij Jansen")
    _report(office, claim, coach, "temp_agency_registration", _days(-35), "Randstad")
    _report(office, claim, claimant, "cv_posting", _days(-29))  # the period's last day
    # Period 1: the first day, a duplicate of it, and a second registration with the agency.
    first = _report(office, claim, claimant, "application", _days(-28), "Gemeente Utrecht")
    assert first["reported_by"] == "claimant"
    _report(office, claim, claimant, "application", _days(-28), " gemeente  UTRECHT ")
    _report(office, claim, claimant, "temp_agency_registration", _days(-10), "randstad")
    _report(office, claim, claimant, "assessment", _days(-5), "NS")
    _report(office, claim, claimant, "uwv_workshop", _days(-1), "UWV")  # last day

    before = _obligation(office, claim, coach)
    assert before["regime"] == {
        "regime": "regular",
        "required_per_period": 4,
        "starts_on": _days(-56).isoformat(),
        "ends_on": None,
    }
    assert before["periods"] == []
    assert before["current_period"]["period_start"] == TODAY.isoformat()
    assert before["current_period"]["period_end"] == _days(27).isoformat()
    assert (before["current_period"]["status"], before["current_period"]["counted"]) == ("open", 0)

    run = _evaluate(office)
    assert (run["periods_evaluated"], run["missed"], run["tasks_created"]) == (2, 1, 1)
    view = _obligation(office, claim, claimant)
    assert [
        (p["period_start"], p["period_end"], p["required"], p["counted"], p["status"])
        for p in view["periods"]
    ] == [
        (_days(-28).isoformat(), _days(-1).isoformat(), 4, 3, "not_compliant"),
        (_days(-56).isoformat(), _days(-29).isoformat(), 4, 4, "compliant"),
    ]
    evaluated = _mine(office.published("obligation.evaluated"), claim)
    assert [(e["period_start"], e["compliant"], e["activities_reported"]) for e in evaluated] == [
        (_days(-56).isoformat(), True, 4),
        (_days(-28).isoformat(), False, 3),
    ]
    (missed,) = _mine(office.published("obligation.missed"), claim)
    assert (missed["regime"], missed["activities_required"], missed["activities_reported"]) == (
        "regular",
        4,
        3,
    )

    # Idempotent: the second run evaluates and publishes nothing.
    again = _evaluate(office)
    assert (again["periods_evaluated"], again["missed"], again["tasks_created"]) == (0, 0, 0)
    assert len(_mine(office.published("obligation.evaluated"), claim)) == 2
    assert len(_mine(office.published("obligation.missed"), claim)) == 1

    # The coach's task.
    tasks = office.client.get("/v1/tasks", headers=coach).json()
    assert tasks["total"] == 1
    (task,) = tasks["items"]
    assert (task["kind"], task["claim_id"], task["coach_id"], task["period_start"]) == (
        "obligation_missed",
        str(claim),
        str(a),
        _days(-28).isoformat(),
    )
    assert task["due_on"] == _days(7).isoformat()

    # A report into an evaluated period is refused; today's counts in the running period.
    late = office.client.post(
        f"/v1/cases/{claim}/job-search-activities",
        json={"kind": "application", "activity_date": _days(-1).isoformat()},
        headers=claimant,
    )
    assert late.status_code == 422, late.text
    assert [e["field"] for e in late.json()["errors"]] == ["activity_date"]
    _report(office, claim, claimant, "application", TODAY, "ASML")
    assert _obligation(office, claim, claimant)["current_period"]["counted"] == 1

    listed = office.client.get(
        f"/v1/cases/{claim}/job-search-activities?limit=3", headers=claimant
    ).json()
    assert listed["total"] == 10
    assert [x["activity_date"] for x in listed["items"]] == [
        TODAY.isoformat(),
        _days(-1).isoformat(),
        _days(-5).isoformat(),
    ]

    with office.container.session_factory() as s:
        case_id = office.case(claim).id
        assert status_by_case(s, [case_id, uuid.uuid4()], TODAY) == {case_id: "not_compliant"}
        assert status_by_case(s, [], TODAY) == {}
    actions = {
        r[0]
        for r in office.sql(
            "SELECT action FROM audit_log WHERE resource_id IN (:c, 'first', 'page:0')",
            c=str(case_id),
        )
    }
    assert {
        "obligation.read",
        "job_search_activity.create",
        "job_search_activity.list",
        "obligation.evaluate",
        "task.list",
    } <= actions


def test_none_regime_is_never_missed(office: Office) -> None:
    (claim,) = office.cases(1, first_ww_day=_days(-30), obligation_regime="none")
    run = _evaluate(office)
    assert (run["periods_evaluated"], run["missed"]) == (1, 0)
    view = _obligation(office, claim, office.as_("admin"))
    assert [(p["status"], p["required"]) for p in view["periods"]] == [("no_obligation", 0)]
    assert view["current_period"]["status"] == "no_obligation"
    (event,) = _mine(office.published("obligation.evaluated"), claim)
    assert (event["regime"], event["compliant"], event["activities_required"]) == ("none", True, 0)
    assert office.published("obligation.missed") == []


def test_individual_agreements_including_zero(office: Office) -> None:
    a = office.coach("Anouk", 36)
    coach = office.as_("coach", sub=str(a))
    two, zero = office.cases(
        2, first_ww_day=_days(-28), obligation_regime="regular", **_assigned(a)
    )
    for claim, required in ((two, 2), (zero, 0)):
        r = office.client.put(
            f"/v1/cases/{claim}/obligation/regime",
            json={
                "regime": "individual",
                "required": required,
                "effective_from": _days(-28).isoformat(),
                "reason": "agreed at the second meeting",
            },
            headers=coach,
        )
        assert r.status_code == 200, r.text
        assert r.json()["regimes"] == [
            {
                "regime": "individual",
                "required_per_period": required,
                "starts_on": _days(-28).isoformat(),
                "ends_on": None,
            }
        ]
    _report(office, two, coach, "application", _days(-20), "A")
    _report(office, two, coach, "application", _days(-3), "B")
    run = _evaluate(office)
    assert (run["periods_evaluated"], run["missed"]) == (2, 0)
    assert [p["status"] for p in _obligation(office, two, coach)["periods"]] == ["compliant"]
    zero_view = _obligation(office, zero, coach)
    assert [(p["status"], p["required"], p["counted"]) for p in zero_view["periods"]] == [
        ("compliant", 0, 0)
    ]
    ((reason, new),) = office.sql(
        "SELECT reason, new_values FROM audit_log WHERE action = 'obligation.regime_update' "
        "AND resource_id = :c",
        c=str(office.case(two).id),
    )
    assert reason == "agreed at the second meeting"
    assert new["regimes"][0]["required"] == 2


def test_individual_one_short_is_missed_and_a_change_starts_new_periods(office: Office) -> None:
    a = office.coach("Anouk", 36)
    coach = office.as_("coach", sub=str(a))
    (claim,) = office.cases(1, first_ww_day=_days(-70), obligation_regime="regular", **_assigned(a))
    # Regular from TODAY-70: period 0 (-70..-43) is closed; the change on TODAY-30 ends the
    # regular regime on TODAY-31, cutting period 1 (-42..-15) short: never evaluated.
    r = office.client.put(
        f"/v1/cases/{claim}/obligation/regime",
        json={
            "regime": "individual",
            "required": 3,
            "effective_from": _days(-30).isoformat(),
            "reason": "part-time work",
        },
        headers=coach,
    )
    assert r.status_code == 200, r.text
    assert [(x["regime"], x["starts_on"], x["ends_on"]) for x in r.json()["regimes"]] == [
        ("regular", _days(-70).isoformat(), _days(-31).isoformat()),
        ("individual", _days(-30).isoformat(), None),
    ]
    for day in (-70, -60, -50, -44):
        _report(office, claim, coach, "application", _days(day), f"E{day}")
    _report(office, claim, coach, "application", _days(-30), "X")
    _report(office, claim, coach, "interview", _days(-3), "X")
    run = _evaluate(office)
    assert (run["periods_evaluated"], run["missed"]) == (2, 1)
    view = _obligation(office, claim, coach)
    assert [(p["regime"], p["period_start"], p["status"]) for p in view["periods"]] == [
        ("individual", _days(-30).isoformat(), "not_compliant"),
        ("regular", _days(-70).isoformat(), "compliant"),
    ]
    # A change may not reach back into evaluated periods.
    back = office.client.put(
        f"/v1/cases/{claim}/obligation/regime",
        json={"regime": "none", "effective_from": _days(-5).isoformat(), "reason": "mistake"},
        headers=coach,
    )
    assert back.status_code == 422, back.text
    assert [e["field"] for e in back.json()["errors"]] == ["effective_from"]
    case = office.case(claim)
    assert (case.obligation_regime, case.obligation_required) == ("individual", 3)


def test_validation_errors_name_the_field(office: Office) -> None:
    a = office.coach("Anouk", 36)
    coach = office.as_("coach", sub=str(a))
    (claim,) = office.cases(1, first_ww_day=_days(-10), obligation_regime="regular", **_assigned(a))
    url = f"/v1/cases/{claim}/job-search-activities"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "lunch", "activity_date": TODAY.isoformat()}, "kind"),
        ({"kind": "application"}, "activity_date"),
        ({"kind": "application", "activity_date": _days(1).isoformat()}, "activity_date"),
        ({"kind": "application", "activity_date": _days(-11).isoformat()}, "activity_date"),
        (
            {"kind": "application", "activity_date": TODAY.isoformat(), "employer": "x" * 201},
            "employer",
        ),
    ]
    for body, field in cases:
        r = office.client.post(url, json=body, headers=coach)
        assert r.status_code == 422, (body, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [field], r.text
    regime_url = f"/v1/cases/{claim}/obligation/regime"
    regime_cases: list[tuple[dict[str, Any], str]] = [
        ({"regime": "individual", "reason": "agreed"}, "required"),
        ({"regime": "regular", "required": 2, "reason": "agreed"}, "required"),
        ({"regime": "individual", "required": -1, "reason": "agreed"}, "required"),
        ({"regime": "sometimes", "reason": "agreed"}, "regime"),
        ({"regime": "none"}, "reason"),
        (
            {"regime": "none", "reason": "agreed", "effective_from": _days(-11).isoformat()},
            "effective_from",
        ),
    ]
    for body, field in regime_cases:
        r = office.client.put(regime_url, json=body, headers=coach)
        assert r.status_code == 422, (body, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [field], r.text


def test_claimant_sees_and_reports_only_on_their_own_case(office: Office) -> None:
    mine, theirs = office.cases(1, claimant_subject="cl-mine") + office.cases(
        1, claimant_subject="cl-theirs"
    )
    me = office.as_("claimant", sub="cl-mine")
    assert _obligation(office, mine, me)["claim_id"] == str(mine)
    body = {"kind": "application", "activity_date": TODAY.isoformat(), "employer": "ASML"}
    assert (
        office.client.post(f"/v1/cases/{mine}/job-search-activities", json=body, headers=me)
    ).status_code == 201
    for method, path, payload in (
        ("GET", f"/v1/cases/{theirs}/obligation", None),
        ("GET", f"/v1/cases/{theirs}/job-search-activities", None),
        ("POST", f"/v1/cases/{theirs}/job-search-activities", body),
        ("GET", f"/v1/cases/{uuid.uuid4()}/obligation", None),
    ):
        r = office.client.request(method, path, json=payload, headers=me)
        assert r.status_code == 404, (path, r.text)
    # A claimant cannot change their regime, and a coach sees only their own cases.
    r = office.client.put(
        f"/v1/cases/{mine}/obligation/regime",
        json={"regime": "none", "reason": "please"},
        headers=me,
    )
    assert r.status_code == 403
    other = office.as_("coach", sub=str(office.coach("Bram", 36)))
    assert office.client.get(f"/v1/cases/{mine}/obligation", headers=other).status_code == 404
    officer = office.as_("benefits_officer", office="AMS")
    assert office.client.get(f"/v1/cases/{mine}/obligation", headers=officer).status_code == 403


def test_a_closed_case_is_read_only_and_not_evaluated(office: Office) -> None:
    a = office.coach("Anouk", 36)
    coach = office.as_("coach", sub=str(a))
    (claim,) = office.cases(
        1,
        first_ww_day=_days(-60),
        obligation_regime="regular",
        status="closed",
        closed_on=_days(-40),
        **_assigned(a),
    )
    r = office.client.post(
        f"/v1/cases/{claim}/job-search-activities",
        json={"kind": "application", "activity_date": _days(-50).isoformat()},
        headers=coach,
    )
    assert r.status_code == 409, r.text
    r = office.client.put(
        f"/v1/cases/{claim}/obligation/regime",
        json={"regime": "none", "reason": "closed anyway"},
        headers=coach,
    )
    assert r.status_code == 409, r.text
    view = _obligation(office, claim, coach)
    assert view["case_status"] == "closed"
    assert view["regimes"][0]["ends_on"] == _days(-40).isoformat()
    assert view["regime"] is None
    assert view["current_period"] is None
    assert _evaluate(office)["periods_evaluated"] == 0


def test_tasks_per_role_and_done(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    r_coach = office.coach("Rik", 36, office="RTD")
    (with_a,) = office.cases(
        1, first_ww_day=_days(-28), obligation_regime="regular", **_assigned(a)
    )
    (no_coach,) = office.cases(
        1, first_ww_day=_days(-28), obligation_regime="regular", **_assigned(None)
    )
    (rtd,) = office.cases(
        1, office="RTD", first_ww_day=_days(-28), obligation_regime="regular", **_assigned(r_coach)
    )
    assert _evaluate(office)["tasks_created"] == 3

    def claims(headers: dict[str, str], query: str = "") -> set[str]:
        r = office.client.get(f"/v1/tasks{query}", headers=headers)
        assert r.status_code == 200, r.text
        return {t["claim_id"] for t in r.json()["items"]}

    coach_a = office.as_("coach", sub=str(a))
    assert claims(coach_a) == {str(with_a)}
    assert claims(office.as_("coach", sub=str(b))) == set()
    assert claims(office.as_("team_lead", office="AMS")) == {str(with_a), str(no_coach)}
    assert claims(office.as_("team_lead", office="RTD")) == {str(rtd)}
    assert claims(office.as_("admin")) == {str(with_a), str(no_coach), str(rtd)}
    no_coach_task = office.client.get(
        "/v1/tasks", headers=office.as_("team_lead", office="AMS")
    ).json()["items"]
    assert {t["coach_id"] for t in no_coach_task if t["claim_id"] == str(no_coach)} == {None}
    assert office.client.get("/v1/tasks", headers=office.as_("team_lead")).status_code == 403
    assert office.client.get("/v1/tasks", headers=office.as_("claimant")).status_code == 403

    (task,) = office.client.get("/v1/tasks", headers=coach_a).json()["items"]
    url = f"/v1/tasks/{task['id']}/done"
    assert office.client.post(url, headers=office.as_("coach", sub=str(b))).status_code == 404
    assert office.client.post(url, headers=office.as_("team_lead", office="RTD")).status_code == 404
    done = office.client.post(url, json={"note": "called, two applications sent"}, headers=coach_a)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["done_by"]) == ("done", str(a))
    assert office.client.post(url, headers=coach_a).status_code == 409
    assert claims(coach_a) == set()
    assert claims(coach_a, "?status=done") == {str(with_a)}
    assert claims(coach_a, "?status=all") == {str(with_a)}
    assert office.client.post(f"/v1/tasks/{uuid.uuid4()}/done", headers=coach_a).status_code == 404
    assert office.client.post(url, headers=office.as_("claimant")).status_code == 403
    assert office.client.post("/v1/admin/obligations/evaluate", headers=coach_a).status_code == 403


def test_the_daily_job_evaluates_once(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    (claim,) = office.cases(1, first_ww_day=_days(-28), obligation_regime="regular")
    url = office.container.settings.database_url
    assert url is not None
    monkeypatch.setenv("COACHING_DATABASE_URL", url)
    monkeypatch.setenv("WW_STATE_DIR", str(office.container.settings.state_dir))
    first = CliRunner().invoke(app, ["jobs", "obligations"])
    assert first.exit_code == 0, first.output
    assert "periods evaluated: 1, missed: 1, tasks created: 1" in first.output
    again = CliRunner().invoke(app, ["jobs", "obligations"])
    assert "periods evaluated: 0" in again.output
    assert len(_mine(office.published("obligation.missed"), claim)) == 1
    assert office.sql(
        "SELECT DISTINCT actor FROM audit_log WHERE action = 'obligation.evaluate'"
    ) == [("job:obligations",)]
