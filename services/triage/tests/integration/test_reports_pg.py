"""Override-rate report and monitoring on PostgreSQL (issue 4, items 4 and 8).

Definitions: triage/reports/rules.py (module docstring) and docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from shared.clock import local_today
from triage.reports.rules import IsoWeek

pytestmark = pytest.mark.integration

OVERRIDE = {
    "segment": "personal",
    "reason_category": "motivation",
    "reason_text": "Knows the claimant",
}


def _override(triage: Any, claim_id: uuid.UUID, headers: dict[str, str], **change: str) -> None:
    r = triage.client.post(
        f"/v1/claims/{claim_id}/override", json={**OVERRIDE, **change}, headers=headers
    )
    assert r.status_code == 201, r.text


def test_override_rates_per_office_and_per_coach(triage: Any) -> None:
    coach_a, coach_b = uuid.uuid4(), uuid.uuid4()
    # Age 30: the provisional rule gives digital, so an override to personal is a change.
    ams = [triage.register(age=30, office_code="AMS") for _ in range(4)]
    rtd = [triage.register(age=30, office_code="RTD") for _ in range(2)]
    for claim in ams[:2]:
        triage.schedule(claim, coach_a)
    triage.schedule(ams[2], coach_b)
    _override(triage, ams[0], triage.as_("coach", sub=str(coach_a)))
    _override(
        triage, ams[2], triage.as_("triage_analyst", sub="analyst-1"), reason_category="health"
    )
    _override(triage, rtd[0], triage.as_("triage_analyst", sub="analyst-1"))

    r = triage.client.get("/v1/reports/overrides", headers=triage.as_("triage_analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    today = local_today()
    assert (body["from"], body["to"], body["group_by"]) == (
        (today - dt.timedelta(days=27)).isoformat(),
        today.isoformat(),
        "office",
    )
    groups = {g["key"]: g for g in body["groups"]}
    assert (groups["AMS"]["scored_claims"], groups["AMS"]["overridden_claims"]) == (4, 2)
    assert groups["AMS"]["override_rate"] == 0.5
    assert groups["AMS"]["by_reason"] == {"health": 1, "motivation": 1}
    assert groups["RTD"]["override_rate"] == 0.5
    assert (body["total"]["scored_claims"], body["total"]["overrides"]) == (6, 3)
    assert body["total"]["to_personal"] == 3

    by_coach = triage.client.get(
        "/v1/reports/overrides?group_by=coach", headers=triage.as_("admin")
    ).json()
    people = {(g["role"], g["key"]): g for g in by_coach["groups"]}
    assert people[("coach", str(coach_a))]["scored_claims"] == 2
    assert people[("coach", str(coach_a))]["override_rate"] == 0.5
    assert people[("coach", str(coach_b))]["override_rate"] == 0.0
    analyst = people[("triage_analyst", "analyst-1")]
    assert (analyst["overrides"], analyst["scored_claims"], analyst["override_rate"]) == (
        2,
        None,
        None,
    )

    lead = triage.client.get(
        "/v1/reports/overrides", headers=triage.as_("team_lead", office="RTD")
    ).json()
    assert lead["office_code"] == "RTD"
    assert [g["key"] for g in lead["groups"]] == ["RTD"]
    assert lead["total"]["scored_claims"] == 2
    assert (
        triage.client.get("/v1/reports/overrides", headers=triage.as_("team_lead")).status_code
        == 403
    )
    assert (
        triage.client.get("/v1/reports/overrides", headers=triage.as_("coach")).status_code == 403
    )

    # A period without anything, and bad periods.
    empty = triage.client.get(
        "/v1/reports/overrides?from=2025-01-01&to=2025-01-31", headers=triage.as_("admin")
    ).json()
    assert empty["groups"] == []
    assert empty["total"]["override_rate"] is None
    for query, field in [
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "to"),
        ("from=yesterday", "from"),
        ("group_by=team", "group_by"),
    ]:
        bad = triage.client.get(f"/v1/reports/overrides?{query}", headers=triage.as_("admin"))
        assert bad.status_code == 422, query
        assert [e["field"] for e in bad.json()["errors"]] == [field]


def test_monitoring_per_week_and_group(triage: Any, base_answers: dict[str, Any]) -> None:
    this_week = IsoWeek.of(local_today())
    last_week = this_week.plus(-1)
    young = [triage.register(age=24) for _ in range(2)]
    old = triage.register(age=60)
    # Move the registration scores of the young claims to last week (the baseline).
    monday = dt.datetime.combine(last_week.monday, dt.time(12), tzinfo=dt.UTC)
    triage.sql(
        "UPDATE scores SET scored_at = :t WHERE claim_id IN (:a, :b)",
        t=monday,
        a=young[0],
        b=young[1],
    )
    # This week: one young claimant answers (scored again, higher) and one is overridden.
    assert (
        triage.submit(
            young[0], {**base_answers, "education_level": "bachelor"}, triage.as_("triage_analyst")
        ).status_code
        == 200
    )
    _override(triage, old, triage.as_("triage_analyst"), segment="digital")

    r = triage.client.get(
        f"/v1/reports/monitoring?from_week={last_week}&to_week={this_week}",
        headers=triage.as_("triage_analyst"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from_week"], body["to_week"], body["baseline_week"]) == (
        str(last_week),
        str(this_week),
        str(last_week),
    )
    first, second = body["weeks"]
    assert first["week"] == str(last_week)
    g1 = {(g["dimension"], g["key"]): g for g in first["groups"]}
    g2 = {(g["dimension"], g["key"]): g for g in second["groups"]}
    assert g1[("all", "all")]["claims"] == 2
    assert g1[("age_band", "under 27")]["drift"] == 0.0
    assert g2[("all", "all")]["claims"] == 2  # young[0] again, and old
    young_now = g2[("age_band", "under 27")]
    assert young_now["claims"] == 1
    assert young_now["drift"] == pytest.approx(
        young_now["mean_probability"] - g1[("age_band", "under 27")]["mean_probability"]
    )
    assert young_now["drift"] > 0
    assert g2[("age_band", "55 or older")]["drift"] is None  # no baseline
    assert g2[("age_band", "55 or older")]["override_rate"] == 1.0
    assert g2[("age_band", "55 or older")]["personal"] == 1
    assert g2[("education", "bachelor")]["claims"] == 1
    assert g2[("region", "AMS")]["override_rate"] == 0.5
    assert g2[("all", "all")]["personal_share"] == 0.5

    for query, field in [
        ("from_week=2026-W60", "from_week"),
        ("to_week=2026-48", "to_week"),
        ("from_week=2026-W10&to_week=2026-W01", "from_week"),
        ("from_week=2024-W01&to_week=2026-W01", "to_week"),
    ]:
        bad = triage.client.get(f"/v1/reports/monitoring?{query}", headers=triage.as_("admin"))
        assert bad.status_code == 422, query
        assert [e["field"] for e in bad.json()["errors"]] == [field]
    default = triage.client.get("/v1/reports/monitoring", headers=triage.as_("admin")).json()
    assert len(default["weeks"]) == 8
    assert default["to_week"] == str(this_week)
    assert (
        triage.client.get(
            "/v1/reports/monitoring", headers=triage.as_("team_lead", office="AMS")
        ).status_code
        == 403
    )
