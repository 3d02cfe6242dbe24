"""Issue 12 item 7 (ADR 0019) through the API on PostgreSQL: the WW facts agree with the
claim's first WW day (from `claim.registered`), the periods and the schedule end by the
entitlement's end, a start inside the research period ends it only explicitly (audited),
and every decimal in the responses and the published events is a two-place string."""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from decimal import Decimal
from typing import Any

import pytest

from shared.decimals import DECIMAL2_PATTERN
from shared.events.registry import REGISTRY
from starters.applications import schemas
from starters.parameters.router import ParameterOut
from starters.rules.schedule import entitlement_end
from tests.support.starters import TODAY, Starters, day, starters, ww_facts

__all__ = ["starters"]  # the fixture
pytestmark = pytest.mark.integration


def _app(starters: Starters, first_ww_day: dt.date, **extra: Any) -> str:
    claim = starters.claim(f"cl-{first_ww_day.isoformat()}", first_ww_day=first_ww_day)
    r = starters.apply(claim, starters.officer(), **extra)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _field(r: Any) -> str:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return str(r.json()["errors"][0]["field"])


# --- the WW facts agree with the first WW day -------------------------------------------------


@pytest.mark.parametrize("action", ["start_research", "grant_start_period"])
def test_an_entitlement_end_off_the_first_ww_day_is_a_422_naming_it(
    starters: Starters, action: str
) -> None:
    first = TODAY - dt.timedelta(days=60)
    app = _app(starters, first)
    facts = ww_facts(first) | {
        "entitlement_end": (entitlement_end(first, 12) + dt.timedelta(days=1)).isoformat()
    }
    body = {"action": action, "starts_on": day(1), "ww": facts}
    if action == "start_research":
        body["ends_on"] = day(20)
    r = starters.step(app, body)
    assert r.status_code == 422, r.text
    assert _field(r) == "ww.entitlement_end"
    assert entitlement_end(first, 12).isoformat() in r.json()["detail"]
    assert starters.sql("SELECT state, dagloon FROM applications WHERE id = :i", i=app) == [
        ("applied", None)
    ]
    assert (
        starters.published(f"starters.{action.replace('start_research', 'research_period')}") == []
    )


def test_more_months_than_the_first_ww_day_allows_is_a_422_naming_them(
    starters: Starters,
) -> None:
    first = TODAY - dt.timedelta(days=60)
    app = _app(starters, first)
    r = starters.step(
        app,
        {"action": "grant_start_period", "starts_on": day(1), "ww": ww_facts(first, months=30)},
    )
    assert r.status_code == 422, r.text
    assert _field(r) == "ww.entitlement_months"


def test_an_omitted_entitlement_end_is_computed_from_the_first_ww_day(
    starters: Starters,
) -> None:
    first = dt.date(2026, 8, 31)  # + 6 months: 28 Feb 2027 (February has no 31st)
    app = _app(starters, first, expected_start_date=day(1))
    facts = ww_facts(first, months=6)
    del facts["entitlement_end"]
    r = starters.step(app, {"action": "grant_start_period", "starts_on": day(1), "ww": facts})
    assert r.status_code == 200, r.text
    assert (r.json()["entitlement_end"], r.json()["entitlement_months"]) == ("2027-02-28", 6)
    (decision,) = starters.client.get(
        f"/v1/starters/applications/{app}/decisions", headers=starters.officer()
    ).json()
    assert decision["details"]["entitlement_end"] == "2027-02-28"
    assert any(v.startswith("entitlement_max_months@") for v in decision["parameter_versions"])


def test_facts_recorded_before_the_check_are_not_built_on(starters: Starters) -> None:
    first = TODAY - dt.timedelta(days=60)
    app = _app(starters, first)
    starters.sql(
        "UPDATE applications SET state = 'research_period', research_start = :rs, "
        "research_end = :re, dagloon = 200, entitlement_end = :end, entitlement_months = 12, "
        "usual_hours_per_day = 8 WHERE id = :id",
        rs=TODAY - dt.timedelta(days=10),
        re=TODAY - dt.timedelta(days=1),
        end=TODAY + dt.timedelta(days=300),  # not first WW day + 12 months - 1 day
        id=app,
    )
    r = starters.step(app, {"action": "grant_start_period", "starts_on": day(0)})
    assert r.status_code == 422, r.text
    assert _field(r) == "ww.entitlement_end"
    ok = starters.step(
        app, {"action": "grant_start_period", "starts_on": day(0), "ww": ww_facts(first)}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["entitlement_end"] == entitlement_end(first, 12).isoformat()


# --- never beyond the entitlement's end --------------------------------------------------------


def test_the_start_period_and_the_schedule_end_at_the_entitlement_end(starters: Starters) -> None:
    first = TODAY - dt.timedelta(days=80)
    end = entitlement_end(first, 3)  # a few weeks from today
    app = _app(starters, first, expected_start_date=day(1))
    facts = ww_facts(first, months=3)
    del facts["entitlement_end"]
    r = starters.step(app, {"action": "grant_start_period", "starts_on": day(1), "ww": facts})
    assert r.status_code == 200, r.text
    assert r.json()["start_period_end"] == end.isoformat()  # not 26 weeks on
    (granted,) = starters.published("starters.start_period_granted")
    assert granted["ends_on"] == end.isoformat()
    schedule = starters.client.get(
        f"/v1/starters/applications/{app}/schedule", headers=starters.officer()
    ).json()
    assert schedule["months"][-1]["month"] == end.strftime("%Y-%m")
    # A start period stored beyond the entitlement (before the check) has no schedule.
    starters.sql(
        "UPDATE applications SET start_period_end = :e WHERE id = :i",
        e=end + dt.timedelta(days=30),
        i=app,
    )
    r = starters.client.get(f"/v1/starters/applications/{app}/schedule", headers=starters.officer())
    assert r.status_code == 409, r.text
    assert "after the WW entitlement" in r.json()["detail"]


def test_a_research_period_past_the_entitlement_end_is_a_422(starters: Starters) -> None:
    first = TODAY - dt.timedelta(days=80)
    end = entitlement_end(first, 3)
    app = _app(starters, first, expected_start_date=day(1))
    r = starters.step(
        app,
        {
            "action": "start_research",
            "starts_on": day(0),
            "ends_on": (end + dt.timedelta(days=1)).isoformat(),
            "ww": ww_facts(first, months=3),
        },
    )
    assert r.status_code == 422, r.text
    assert _field(r) == "ends_on"
    assert "entitlement" in r.json()["detail"]


# --- a start inside the research period ---------------------------------------------------------


def _researching(starters: Starters) -> str:
    first = TODAY - dt.timedelta(days=60)
    app = _app(starters, first)
    r = starters.step(
        app,
        {"action": "start_research", "starts_on": day(-5), "ends_on": day(30), "ww": ww_facts()},
    )
    assert r.status_code == 200, r.text
    return app


def test_a_start_inside_the_research_period_without_a_reason_is_a_409_naming_the_guard(
    starters: Starters,
) -> None:
    app = _researching(starters)
    r = starters.step(app, {"action": "grant_start_period", "starts_on": day(3)})
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "urn:ww:problem:starters-research-period-running"
    assert (problem["guard"], problem["field"]) == (
        "overlaps_research_period",
        "research_period_end_reason",
    )
    assert (problem["research_start"], problem["research_end"]) == (day(-5), day(30))
    assert starters.sql("SELECT state, research_end FROM applications WHERE id = :i", i=app) == [
        ("research_period", TODAY + dt.timedelta(days=30))
    ]
    assert starters.published("starters.start_period_granted") == []


def test_with_a_reason_the_research_period_ends_the_day_before_audited_and_published(
    starters: Starters,
) -> None:
    app = _researching(starters)
    reason = "the business plan is ready early"
    r = starters.step(
        app,
        {
            "action": "grant_start_period",
            "starts_on": day(3),
            "research_period_end_reason": reason,
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["research_start"], r.json()["research_end"]) == (day(-5), day(2))
    (ended,) = starters.published("starters.research_period_ended")
    assert (ended["starts_on"], ended["ends_on"], ended["planned_ends_on"], ended["cause"]) == (
        day(-5),
        day(2),
        day(30),
        "start_period_granted",
    )
    assert reason not in json.dumps(ended)  # free text stays out of events
    audit = starters.sql(
        "SELECT reason, old_values, new_values FROM audit_log "
        "WHERE action = 'application.research_period.end_early' AND resource_id = :i",
        i=app,
    )
    assert len(audit) == 1
    assert audit[0][0] == reason
    decisions = starters.client.get(
        f"/v1/starters/applications/{app}/decisions", headers=starters.officer()
    ).json()
    assert decisions[-1]["details"]["research_period_ended_early"] == {
        "planned_end": day(30),
        "ends_on": day(2),
        "reason": reason,
    }


# --- decimals, one way ----------------------------------------------------------------------------


def _decimal_fields() -> set[str]:
    """The names of every Decimal field of the starters response models and events."""

    def mentions(tp: Any) -> bool:
        return tp is Decimal or any(mentions(a) for a in typing.get_args(tp))

    models: list[Any] = [
        schemas.ApplicationRead,
        schemas.IncomeStatementRead,
        schemas.MonthRead,
        ParameterOut,
        *(m for m in REGISTRY.models() if m.producer == "starters"),
    ]
    return {n for m in models for n, f in m.model_fields.items() if mentions(f.annotation)}


def _decimals_in(value: Any, names: set[str], key: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in _decimals_in(v, names, k)]
    if isinstance(value, list):
        return [hit for v in value for hit in _decimals_in(v, names, key)]
    if key in names and value is not None and not isinstance(value, bool | int):
        return [(key, value)]
    if isinstance(value, float):
        return [(key, value)]  # no float anywhere
    return []


def test_every_decimal_in_responses_and_events_is_a_two_place_string(starters: Starters) -> None:
    names = _decimal_fields() | {"business_hours_per_month"}  # also in decision details
    first = TODAY - dt.timedelta(days=60)
    me = starters.as_("claimant", sub="cl-decimals")
    claim = starters.claim("cl-decimals", first_ww_day=first)
    responses: list[Any] = []

    def keep(r: Any) -> Any:
        assert r.status_code < 300, r.text
        responses.append(r.json())
        return r.json()

    app = keep(starters.apply(claim, me, hours_per_week=30, expected_start_date=day(0)))["id"]
    facts = {"dagloon": 200, "entitlement_months": 12, "usual_hours_per_day": 8}
    keep(starters.step(app, {"action": "grant_start_period", "starts_on": day(0), "ww": facts}))
    url = f"/v1/starters/applications/{app}"
    keep(
        starters.client.post(
            f"{url}/income-statements",
            json={
                "month": TODAY.strftime("%Y-%m"),
                "business_income": 1250.5,
                "business_hours": 60,
            },
            headers=me,
        )
    )
    for path in ("", "/income-statements", "/schedule", "/decisions"):
        keep(
            starters.client.get(
                f"{url}{path}", headers=me if path != "/decisions" else starters.officer()
            )
        )
    keep(starters.client.get("/v1/starters/applications", headers=me))
    keep(starters.client.get("/v1/starters/parameters", headers=starters.officer()))
    keep(
        starters.client.get(
            "/v1/starters/simulation",
            params={
                "dagloon": 320,
                "first_ww_day": "2026-01-05",
                "entitlement_months": 12,
                "start": "2026-03-02",
            },
            headers=me,
        )
    )
    starters.sql("UPDATE applications SET start_period_end = :d WHERE id = :i", d=TODAY, i=app)
    keep(
        starters.step(
            app,
            {"action": "continue_business", "continued_on": day(1), "business_hours_per_month": 40},
        )
    )
    keep(starters.client.get(f"{url}/decisions", headers=starters.officer()))
    events = [
        json.loads(r[0])["data"]
        for r in starters.sql("SELECT body FROM outbox WHERE event_type LIKE 'starters.%'")
    ]
    seen = _decimals_in(responses, names) + _decimals_in(events, names)
    bad = [(k, v) for k, v in seen if not (isinstance(v, str) and re.match(DECIMAL2_PATTERN, v))]
    assert bad == []
    kinds = {k for k, _ in seen}
    assert {
        "hours_per_week",
        "dagloon",
        "usual_hours_per_day",
        "business_income",
        "business_hours",
        "gross_ww",
        "net",
        "value",
        "reduction_percent",
        "business_hours_per_month",
    } <= kinds
    applied = starters.published("starters.applied")[0]
    assert applied["hours_per_week"] == "30.00"
