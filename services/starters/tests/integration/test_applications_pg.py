"""The starters scheme through its API on PostgreSQL (issue 6): applying, the decisions
(every state x action pair), income statements and the former employer rule, schedules
with parameter versions, dated parameters, reminders, and who may do what."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from shared.events.coaching import CaseAssigned
from shared.events.common import Segment
from shared.messaging.consumer import Outcome
from starters.rules.schedule import entitlement_end
from starters.rules.states import TRANSITIONS, Action, State, allowed_actions
from tests.support.fakes import coach_deactivated, incoming
from tests.support.starters import (
    FIRST_WW_DAY,
    T0,
    TODAY,
    Starters,
    day,
    starters,
    ww_facts,
)
from tests.support.tokens import Tokens

__all__ = ["starters"]  # the fixture
pytestmark = pytest.mark.integration
WW = ww_facts()


def _d(days: int) -> str:
    return day(days)


# --- applying -----------------------------------------------------------------------------


def test_the_claimant_applies_for_their_own_claim(starters: Starters) -> None:
    claim = starters.claim("cl-1")
    me = starters.as_("claimant", sub="cl-1")
    r = starters.apply(claim, me)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["state"], body["allowed_actions"]) == (
        "applied",
        ["start_research", "grant_start_period", "refuse", "withdraw"],
    )
    assert r.headers["location"] == f"/v1/starters/applications/{body['id']}"
    (applied,) = starters.published("starters.applied")
    assert applied["application_id"] == body["id"]
    # A second running application for the claim is a 409; another claimant's claim a 404.
    assert starters.apply(claim, me).status_code == 409
    assert starters.apply(claim, starters.as_("claimant", sub="cl-2")).status_code == 404
    listed = starters.client.get("/v1/starters/applications", headers=me).json()
    assert [a["id"] for a in listed["items"]] == [body["id"]]
    assert (
        starters.client.get(
            "/v1/starters/applications", headers=starters.as_("claimant", sub="cl-2")
        ).json()["total"]
        == 0
    )


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"expected_start_date": _d(-61)}, 422, "expected_start_date"),
        ({"training": {"certificate": "X", "completed_on": _d(1)}}, 422, "training.completed_on"),
        ({"training": {"certificate": "", "completed_on": _d(-1)}}, 422, "certificate"),
        ({"hours_per_week": "0"}, 422, "hours_per_week"),
        ({"business_description": "short"}, 422, "business_description"),
        ({"variant": {"kind": "group", "group_reference": "G1"}}, 422, "variant"),
    ],
)
def test_bad_applications_name_the_field(
    starters: Starters, change: dict[str, Any], status: int, field: str
) -> None:
    claim = starters.claim("cl-3")
    r = starters.apply(claim, starters.as_("claimant", sub="cl-3"), **change)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(field in e["field"] for e in r.json()["errors"]), r.text
    assert starters.sql("SELECT count(*) FROM applications") == [(0,)]


def test_not_before_the_first_ww_day_nor_for_an_unknown_or_closed_claim(starters: Starters) -> None:
    officer = starters.officer()
    later = starters.claim("cl-4", first_ww_day=TODAY + dt.timedelta(days=5))
    r = starters.apply(later, officer, expected_start_date=_d(10))
    assert r.status_code == 409
    assert "first WW day" in r.json()["detail"]
    assert starters.apply(uuid.uuid4(), officer).status_code == 409
    closed = starters.claim("cl-5")
    starters.sql(
        "UPDATE known_claims SET case_closed_at = now(), case_result = 'work_resumed' "
        "WHERE claim_id = :c",
        c=closed,
    )
    assert starters.apply(closed, officer).status_code == 409


# --- the whole way, with the former employer rule -------------------------------------------


def test_research_start_period_statements_suspension_stop_and_revival(starters: Starters) -> None:
    first = TODAY - dt.timedelta(days=90)
    claim = starters.claim("cl-6", first_ww_day=first)
    me = starters.as_("claimant", sub="cl-6")
    app = starters.apply(claim, me).json()["id"]
    r = starters.step(
        app,
        {"action": "start_research", "starts_on": _d(0), "ends_on": _d(41), "ww": ww_facts(first)},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["research_end"]) == ("research_period", _d(41))
    too_long = starters.step(
        app, {"action": "grant_start_period", "starts_on": _d(-1)}
    )  # permission is given in advance
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "starts_on"
    r = starters.step(
        app,
        {
            "action": "grant_start_period",
            "starts_on": _d(0),
            "research_period_end_reason": "the business plan is ready",
        },
    )
    assert r.status_code == 200, r.text
    granted = r.json()
    assert granted["state"] == "start_period"
    assert granted["start_period_end"] == _d(26 * 7 - 1)  # 26 weeks, both days inclusive
    # The research period began today too: it had no day of its own.
    assert (granted["research_start"], granted["research_end"]) == (None, None)
    (event,) = starters.published("starters.start_period_granted")
    assert (event["starts_on"], event["ends_on"], event["reduction_percent"]) == (
        _d(0),
        _d(181),
        "29.00",
    )

    month = TODAY.strftime("%Y-%m")
    st = starters.client.post(
        f"/v1/starters/applications/{app}/income-statements",
        json={
            "month": month,
            "business_income": "1250.00",
            "business_hours": "60",
            "former_employer_assignment": True,
        },
        headers=me,
    )
    assert st.status_code == 201, st.text
    again = starters.client.post(
        f"/v1/starters/applications/{app}/income-statements",
        json={"month": month, "business_income": "0", "business_hours": "0"},
        headers=me,
    )
    assert again.status_code == 409
    (suspended,) = starters.published("starters.benefit_suspended")
    assert (suspended["starts_on"], suspended["ends_on"]) == (_d(0), _d(181))
    sus = starters.client.get(f"/v1/starters/applications/{app}/suspensions", headers=me).json()
    assert [(s["reason"], s["starts_on"]) for s in sus] == [("former_employer", _d(0))]

    schedule = starters.client.get(f"/v1/starters/applications/{app}/schedule", headers=me)
    assert schedule.status_code == 200, schedule.text
    months = schedule.json()["months"]
    this_month = next(m for m in months if m["month"] == month)
    # Suspended from the start of the start period: nothing is paid for those days.
    assert this_month["income_statement_required"] is True
    assert any(v.startswith("max_dagloon@") for v in schedule.json()["parameter_versions"])

    # Withdrawing is no longer possible: the claimant gives up by stopping (officer).
    w = starters.step(app, {"action": "withdraw"}, headers=me)
    assert w.status_code == 409
    assert w.json()["allowed_actions"] == ["continue_business", "stop_business", "revive"]
    stop = starters.step(app, {"action": "stop_business", "stopped_on": _d(0)})
    assert stop.status_code == 200, stop.text
    assert stop.json()["revival_deadline"] is not None
    (ended,) = starters.published("starters.scheme_ended")
    assert (ended["outcome"], ended["ended_on"]) == ("stopped", _d(0))
    rev = starters.step(app, {"action": "revive", "revived_on": _d(0)})
    assert rev.status_code == 200, rev.text
    assert rev.json()["state"] == "revived"
    assert len(starters.published("starters.revived")) == 1

    decisions = starters.client.get(
        f"/v1/starters/applications/{app}/decisions", headers=starters.officer()
    ).json()
    assert [d["action"] for d in decisions] == [
        "start_research",
        "grant_start_period",
        "stop_business",
        "revive",
    ]
    grant = decisions[1]
    assert any(v.startswith("start_period_reduction_percent@") for v in grant["parameter_versions"])
    assert any(v.startswith("start_period_weeks@") for v in grant["parameter_versions"])
    actions = {r[0] for r in starters.sql("SELECT action FROM audit_log")}
    assert {
        "application.grant_start_period",
        "application.revive",
        "application.schedule",
    } <= actions


def test_refusal_names_reasons_and_ends_the_scheme(starters: Starters) -> None:
    claim = starters.claim("cl-7")
    app = starters.apply(claim, starters.officer()).json()["id"]
    empty = starters.step(app, {"action": "refuse", "reason_codes": []})
    assert empty.status_code == 422
    r = starters.step(app, {"action": "refuse", "reason_codes": ["not_viable"], "reason": "plan"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["refusal_reasons"]) == ("refused", ["not_viable"])
    (ended,) = starters.published("starters.scheme_ended")
    assert ended["outcome"] == "refused"
    # A new application is possible after a refusal.
    assert starters.apply(claim, starters.officer()).status_code == 201


# --- every (state, action) pair -------------------------------------------------------------

# Rows that put an application in each state, with the facts its actions need.
_STATE_FIELDS: dict[State, dict[str, Any]] = {
    State.APPLIED: {},
    State.RESEARCH_PERIOD: {"research_start": -10, "research_end": 20},
    State.START_PERIOD: {"start_period_start": -30, "start_period_end": -1},
    State.CONTINUED: {"start_period_start": -30, "start_period_end": -2, "outcome_on": -1},
    State.STOPPED: {"start_period_start": -30, "start_period_end": -2, "outcome_on": -1},
    State.REFUSED: {},
    State.WITHDRAWN: {},
    State.REVIVED: {"start_period_start": -30, "outcome_on": -2, "revived_on": -1},
}
_BODIES: dict[Action, dict[str, Any]] = {
    Action.START_RESEARCH: {"starts_on": _d(0), "ends_on": _d(13), "ww": WW},
    Action.GRANT_START_PERIOD: {
        "starts_on": _d(0),
        "ww": WW,
        "research_period_end_reason": "the plan is ready",
    },
    Action.REFUSE: {"reason_codes": ["other"]},
    Action.WITHDRAW: {},
    Action.CONTINUE_BUSINESS: {"continued_on": _d(0), "business_hours_per_month": "40"},
    Action.STOP_BUSINESS: {"stopped_on": _d(0)},
    Action.REVIVE: {"revived_on": _d(0)},
}
# A transition that exists but whose guard refuses it with the shipped parameters.
_GUARDED = {(State.START_PERIOD, Action.REVIVE)}  # revival_during_start_period_allowed: false


def _in_state(starters: Starters, state: State) -> str:
    claim = starters.claim(f"cl-{uuid.uuid4().hex[:6]}")
    app = starters.apply(claim, starters.officer()).json()["id"]
    fields = {k: TODAY + dt.timedelta(days=v) for k, v in _STATE_FIELDS[state].items()}
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    starters.sql(
        "UPDATE applications SET state = :state, dagloon = 200, entitlement_end = :end, "
        "entitlement_months = 12, usual_hours_per_day = 8"
        + (f", {sets}" if sets else "")
        + " WHERE id = :id",
        state=state.value,
        end=entitlement_end(FIRST_WW_DAY, 12),
        id=app,
        **fields,
    )
    return str(app)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_every_state_and_action(starters: Starters, state: State) -> None:
    for action in Action:
        app = _in_state(starters, state)
        r = starters.step(app, {"action": action.value, **_BODIES[action]})
        context = f"{state} x {action}: {r.status_code} {r.text}"
        if (state, action) in _GUARDED:
            assert r.status_code == 422, context
        elif (state, action) in TRANSITIONS:
            assert r.status_code == 200, context
            assert r.json()["state"] == TRANSITIONS[(state, action)].value, context
            after = State(r.json()["state"])
            assert r.json()["allowed_actions"] == [a.value for a in allowed_actions(after)]
        else:
            assert r.status_code == 409, context
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["allowed_actions"] == [a.value for a in allowed_actions(state)]
            assert starters.sql("SELECT state FROM applications WHERE id = :i", i=app) == [
                (state.value,)
            ]


# --- who may do what -------------------------------------------------------------------------


def test_who_sees_and_decides(starters: Starters) -> None:
    claim = starters.claim("cl-8")
    coach_id = uuid.uuid4()
    assigned = CaseAssigned(
        claim_id=claim,
        case_id=uuid.uuid4(),
        coach_id=coach_id,
        segment=Segment.PERSONAL,
        assigned_at=T0,
        rule="continuity",
    )
    assert starters.container.consumer.process(incoming(assigned)) is Outcome.PROCESSED
    app = starters.apply(claim, starters.as_("claimant", sub="cl-8")).json()["id"]
    url = f"/v1/starters/applications/{app}"
    ok = {
        "own claimant": starters.as_("claimant", sub="cl-8"),
        "the case's coach": starters.as_("coach", sub=str(coach_id)),
        "team lead AMS": starters.as_("team_lead", office="AMS"),
        "officer": starters.officer(),
    }
    for who, headers in ok.items():
        assert starters.client.get(url, headers=headers).status_code == 200, who
    for who, headers in {
        "another claimant": starters.as_("claimant", sub="cl-9"),
        "another coach": starters.as_("coach", sub=str(uuid.uuid4())),
        "team lead RTD": starters.as_("team_lead", office="RTD"),
    }.items():
        assert starters.client.get(url, headers=headers).status_code == 404, who
    coach_list = starters.client.get("/v1/starters/applications", headers=ok["the case's coach"])
    assert coach_list.json()["total"] == 1
    # Only a benefits officer (or admin) decides; a claimant may withdraw their own.
    body = {"action": "refuse", "reason_codes": ["other"]}
    assert starters.step(app, body, headers=ok["the case's coach"]).status_code == 403
    assert starters.step(app, body, headers=ok["own claimant"]).status_code == 403
    w = starters.step(app, {"action": "withdraw"}, headers=ok["own claimant"])
    assert w.status_code == 200, w.text
    assert w.json()["state"] == "withdrawn"


# --- schedules, what-if and parameters -------------------------------------------------------


def test_simulation_and_its_validation(starters: Starters) -> None:
    me = starters.as_("claimant", sub="cl-10")
    params = {
        "dagloon": "320",
        "first_ww_day": "2026-01-05",
        "entitlement_months": 12,
        "start": "2026-03-02",
        "research_weeks": 2,
    }
    r = starters.client.get("/v1/starters/simulation", params=params, headers=me)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["application_id"] is None
    # The dagloon 320 is above the maximum 304.25 of 2026: the cap's version is named.
    assert "max_dagloon@2026-01-01" in body["parameter_versions"]
    assert body["months"][0]["month"] == "2026-01"
    assert all(float(m["net"]) >= 0 for m in body["months"])
    changes: list[tuple[dict[str, Any], str]] = [
        ({"start": "2025-12-01"}, "start"),
        ({"dagloon": "0"}, "dagloon"),
        ({"research_weeks": 7}, "research_weeks"),
        ({"outcome": "continued"}, "business_hours_per_month"),
    ]
    for change, field in changes:
        bad = starters.client.get(
            "/v1/starters/simulation", params={**params, **change}, headers=me
        )
        assert bad.status_code == 422, (change, bad.text)
        assert any(field in e["field"] for e in bad.json()["errors"]), bad.text


def test_a_parameter_change_is_data_with_a_validity_date(starters: Starters) -> None:
    admin = starters.as_("admin")
    body = {
        "name": "start_period_reduction_percent",
        "value": "25",
        "valid_from": _d(30),
        "source": "Stb. 2027, 1 (example)",
    }
    r = starters.client.post("/v1/starters/parameters", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == f"start_period_reduction_percent@{_d(30)}"
    assert (
        starters.client.post("/v1/starters/parameters", json=body, headers=admin).status_code == 409
    )
    for change, field in [
        ({"name": "no_such_rule"}, "name"),
        ({"value": "120"}, "value"),
        ({"valid_from": _d(0)}, "valid_from"),
    ]:
        bad = starters.client.post(
            "/v1/starters/parameters", json={**body, **change}, headers=admin
        )
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == field
    assert (
        starters.client.post(
            "/v1/starters/parameters", json=body, headers=starters.officer()
        ).status_code
        == 403
    )
    listed = starters.client.get("/v1/starters/parameters", headers=starters.officer()).json()
    versions = {p["version"] for p in listed}
    assert f"start_period_reduction_percent@{_d(30)}" in versions
    # A start period granted after the change uses (and records) the new value.
    claim = starters.claim("cl-11")
    app = starters.apply(claim, starters.officer(), expected_start_date=_d(31)).json()["id"]
    g = starters.step(app, {"action": "grant_start_period", "starts_on": _d(31), "ww": WW})
    assert g.status_code == 200, g.text
    (event,) = starters.published("starters.start_period_granted")
    assert event["reduction_percent"] == "25.00"


def test_missing_statements_are_reminded_once(starters: Starters) -> None:
    claim = starters.claim("cl-12", first_ww_day=TODAY - dt.timedelta(days=200))
    app = starters.apply(claim, starters.officer()).json()["id"]
    start = TODAY - dt.timedelta(days=100)
    starters.sql(
        "UPDATE applications SET state = 'start_period', start_period_start = :s, "
        "start_period_end = :e, dagloon = 200, entitlement_end = :end, entitlement_months = 12, "
        "usual_hours_per_day = 8 WHERE id = :id",
        s=start,
        e=start + dt.timedelta(days=181),
        end=entitlement_end(TODAY - dt.timedelta(days=200), 12),
        id=app,
    )
    admin = starters.as_("admin")
    first = starters.client.post("/v1/admin/starters/reminders/run", headers=admin)
    assert first.status_code == 200, first.text
    # Months whose statement is more than 14 days overdue: every month that ended before
    # today - 14 days, counted from the start month.
    expected = []
    cur = dt.date(start.year, start.month, 1)
    while True:
        nxt = dt.date(cur.year + cur.month // 12, cur.month % 12 + 1, 1)
        if nxt - dt.timedelta(days=1) + dt.timedelta(days=14) >= TODAY:
            break
        expected.append(cur.strftime("%Y-%m"))
        cur = nxt
    assert first.json()["reminders"] == len(expected)
    assert [e["month"] for e in starters.published("starters.income_statement_missing")] == expected
    assert starters.client.post("/v1/admin/starters/reminders/run", headers=admin).json() == {
        "reminders": 0
    }
    assert (
        starters.client.post("/v1/admin/starters/reminders/run", headers=starters.officer())
    ).status_code == 403


def test_need_to_know_unknown_deactivated_coach_and_break_glass(starters: Starters) -> None:
    """ADR 0022: coaches starters never heard of (or deactivated) are refused; a coach outside
    the case reads only with a stated reason, audited as application.read.break_glass."""
    claim = starters.claim("cl-nk")
    app = starters.apply(claim, starters.as_("claimant", sub="cl-nk")).json()["id"]
    url = f"/v1/starters/applications/{app}"
    unknown = Tokens.header(starters.tokens.user("coach", sub=str(uuid.uuid4())))
    r = starters.client.get(url, headers=unknown)
    assert (r.status_code, r.json()["type"]) == (403, "urn:ww:problem:unknown-coach")
    gone = uuid.uuid4()
    starters.as_("coach", sub=str(gone))
    starters.container.consumer.process(incoming(coach_deactivated(coach_id=gone)))
    r = starters.client.get(
        url, headers=Tokens.header(starters.tokens.user("coach", sub=str(gone)))
    )
    assert (r.status_code, r.json()["type"]) == (403, "urn:ww:problem:deactivated-coach")

    outsider = starters.as_("coach")
    assert starters.client.get(url, headers=outsider).status_code == 404
    reason = "De klant vraagt telefonisch naar de aanvraag"
    glass = outsider | {"X-Break-Glass-Reason": reason}
    assert starters.client.get(url, headers=glass).status_code == 200
    with starters.container.session_factory() as s:
        rows = s.execute(
            text("SELECT action, reason FROM audit_log WHERE resource_id = :id"), {"id": app}
        ).all()
    assert ("application.read.break_glass", reason) in [tuple(r) for r in rows]
