"""Explanations, overrides and re-triage on PostgreSQL (issue 4, items 3, 4, 5).

Decisions tested here (ADR 0012):
- The explanation lists every factor's contribution in the asked language; intercept plus
  contributions is the logit; the top three hindering factors are in plain language.
- A coach (their caseload) or a triage analyst overrides the segment with a mandatory
  reason category and text (no BSN); it is audited and emits triage.overridden; the
  same segment again is 409.
- The current segment is the override in force, else the latest score. A re-score of the
  same answers (intake completed without answers, time in WW, batch) keeps the override;
  a score on new answers ends it.
- The time-in-WW re-triage runs once per claim (idempotent), for admins only.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

import pytest

from shared.clock import local_today

pytestmark = pytest.mark.integration

OVERRIDE = {
    "segment": "personal",
    "reason_category": "health",
    "reason_text": "Recent burn-out; wants a coach from the start",
}


def test_explanation_adds_up_and_speaks_both_languages(
    triage: Any, bert_answers: dict[str, Any]
) -> None:
    claim_id = triage.register(claimant="claimant-bert", age=58)
    assert (
        triage.submit(
            claim_id, bert_answers, triage.as_("claimant", sub="claimant-bert")
        ).status_code
        == 200
    )
    me = triage.as_("claimant", sub="claimant-bert")
    nl = triage.client.get(f"/v1/claims/{claim_id}/explanation", headers=me)
    assert nl.status_code == 200, nl.text
    body = nl.json()
    assert body["lang"] == "nl"
    assert len(body["contributions"]) == 21  # age + 20 items, every factor
    assert body["intercept"] + math.fsum(
        c["contribution"] for c in body["contributions"]
    ) == pytest.approx(body["logit"], abs=1e-12)
    assert body["logit"] == pytest.approx(-3.048)
    assert body["probability"] == pytest.approx(1 / (1 + math.exp(3.048)))
    assert [h["factor"] for h in body["hindering"]] == ["age", "self_efficacy", "expectation"]
    assert body["hindering"][1]["text"] == (
        "Vertrouwen in eigen kunnen (2) verlaagt uw kans op werk binnen een jaar."
    )
    assert body["contributions"][0]["label"] == "Leeftijd"
    assert body["summary"].startswith("Kans op werk binnen een jaar: 5%")
    assert body["override"] is None
    assert body["current_segment"] == "personal"

    en = triage.client.get(f"/v1/claims/{claim_id}/explanation?lang=en", headers=me).json()
    assert en["contributions"][0]["label"] == "Age"
    assert (
        en["hindering"][0]["text"] == "Age (55 or older) lowers your chance of work within a year."
    )
    bad = triage.client.get(f"/v1/claims/{claim_id}/explanation?lang=de", headers=me)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["lang"]
    assert triage.sql(
        "SELECT count(*) FROM audit_log WHERE action = 'score.read' AND actor = 'claimant-bert'"
    ) == [(2,)]


def test_provisional_explanation(triage: Any) -> None:
    claim_id = triage.register(age=60, years_work_history=2, hours_lost_per_week=40)
    body = triage.client.get(
        f"/v1/claims/{claim_id}/explanation?lang=en", headers=triage.as_("triage_analyst")
    ).json()
    assert body["provisional"] is True
    assert body["model_version"] == "provisional-2026.1"
    assert [h["factor"] for h in body["hindering"]] == [
        "age",
        "years_work_history",
        "hours_lost_per_week",
    ]
    assert body["intercept"] + sum(
        c["contribution"] for c in body["contributions"]
    ) == pytest.approx(body["logit"])


def test_read_rules(triage: Any) -> None:
    coach = uuid.uuid4()
    claim_id = triage.register(claimant="claimant-a", office_code="AMS")
    triage.schedule(claim_id, coach)
    for path in ("scores", "explanation", "overrides"):
        url = f"/v1/claims/{claim_id}/{path}"

        def status(headers: dict[str, str], url: str = url) -> int:
            return int(triage.client.get(url, headers=headers).status_code)

        assert status(triage.as_("claimant", sub="claimant-a")) == 200
        assert status(triage.as_("claimant", sub="claimant-b")) == 404
        assert status(triage.as_("coach", sub=str(coach))) == 200
        assert status(triage.as_("coach", sub=str(uuid.uuid4()))) == 404
        # Not a coach at all, and a team lead without an office: refused (ADR 0022).
        assert status(triage.as_("coach", sub="not-a-uuid")) == 403
        assert status(triage.as_("team_lead", office="AMS")) == 200
        assert status(triage.as_("team_lead", office="RTD")) == 404
        assert status(triage.as_("team_lead")) == 403
        assert status(triage.as_("triage_analyst")) == 200
        assert status(triage.as_("admin")) == 200
        assert status(triage.as_("benefits_officer")) == 403
    missing = triage.client.get(f"/v1/claims/{uuid.uuid4()}/scores", headers=triage.as_("admin"))
    other = triage.client.get(
        f"/v1/claims/{claim_id}/scores", headers=triage.as_("claimant", sub="claimant-b")
    )
    assert missing.json()["detail"] == other.json()["detail"]


def test_override_by_the_coach_is_audited_and_emitted(
    triage: Any, base_answers: dict[str, Any]
) -> None:
    coach = uuid.uuid4()
    claim_id = triage.register(age=35)
    triage.schedule(claim_id, coach)
    assert triage.submit(claim_id, base_answers, triage.as_("triage_analyst")).status_code == 200
    as_coach = triage.as_("coach", sub=str(coach))
    r = triage.client.post(f"/v1/claims/{claim_id}/override", json=OVERRIDE, headers=as_coach)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["previous_segment"], body["segment"], body["in_force"]) == (
        "digital",
        "personal",
        True,
    )
    assert (body["overridden_by"], body["overridden_by_role"]) == (str(coach), "coach")

    (event,) = triage.events("triage.overridden")
    data = event["data"]
    assert (data["previous_segment"], data["segment"], data["reason_category"]) == (
        "digital",
        "personal",
        "health",
    )
    assert data["overridden_by_role"] == "coach"
    assert data["override_id"] == body["id"]
    assert "burn-out" not in str(event)  # the free text stays in triage
    audit = triage.sql(
        "SELECT actor, reason, old_values, new_values FROM audit_log WHERE action = 'segment.override'"
    )
    assert audit == [
        (
            str(coach),
            "health: Recent burn-out; wants a coach from the start",
            {"segment": "digital", "score_id": body["score_id"]},
            {"segment": "personal", "reason_category": "health"},
        )
    ]
    explanation = triage.client.get(
        f"/v1/claims/{claim_id}/explanation?lang=en", headers=as_coach
    ).json()
    assert (explanation["segment"], explanation["current_segment"]) == ("digital", "personal")
    assert explanation["override"]["reason_category"] == "health"
    assert explanation["summary"].endswith("(decided by a member of staff).")

    again = triage.client.post(f"/v1/claims/{claim_id}/override", json=OVERRIDE, headers=as_coach)
    assert again.status_code == 409
    back = {**OVERRIDE, "segment": "digital", "reason_category": "claimant_request"}
    assert (
        triage.client.post(
            f"/v1/claims/{claim_id}/override", json=back, headers=triage.as_("triage_analyst")
        ).status_code
        == 201
    )
    history = triage.client.get(f"/v1/claims/{claim_id}/overrides", headers=as_coach).json()
    assert [(o["segment"], o["in_force"]) for o in history] == [
        ("digital", True),
        ("personal", False),
    ]


def test_override_rules(triage: Any) -> None:
    claim_id = triage.register(age=35, claimant="claimant-a")
    url = f"/v1/claims/{claim_id}/override"
    analyst = triage.as_("triage_analyst")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"reason_category": None}, "reason_category"),
        ({"reason_category": "gut_feeling"}, "reason_category"),
        ({"reason_text": ""}, "reason_text"),
        ({"reason_text": "BSN 111222333 says so"}, "reason_text"),
        ({"segment": "premium"}, "segment"),
    ]
    for change, field in cases:
        body = {**OVERRIDE, **change}
        r = triage.client.post(url, json=body, headers=analyst)
        assert r.status_code == 422, (change, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [field]
        assert "111222333" not in r.text
    no_text = {k: v for k, v in OVERRIDE.items() if k != "reason_text"}
    assert triage.client.post(url, json=no_text, headers=analyst).status_code == 422
    assert (
        triage.client.post(
            url, json=OVERRIDE, headers=triage.as_("claimant", sub="claimant-a")
        ).status_code
        == 403
    )
    assert (
        triage.client.post(
            url, json=OVERRIDE, headers=triage.as_("team_lead", office="AMS")
        ).status_code
        == 403
    )
    assert (
        triage.client.post(
            url, json=OVERRIDE, headers=triage.as_("coach", sub=str(uuid.uuid4()))
        ).status_code
        == 404
    )
    assert triage.sql("SELECT count(*) FROM overrides") == [(0,)]


def test_a_rescore_of_the_same_answers_keeps_the_override_new_answers_end_it(
    triage: Any, base_answers: dict[str, Any]
) -> None:
    coach = uuid.uuid4()
    claim_id = triage.register(age=35, first_ww_day=local_today() - dt.timedelta(weeks=20))
    assert triage.submit(claim_id, base_answers, triage.as_("triage_analyst")).status_code == 200
    r = triage.client.post(
        f"/v1/claims/{claim_id}/override", json=OVERRIDE, headers=triage.as_("triage_analyst")
    )
    assert r.status_code == 201

    def last_scored() -> dict[str, Any]:
        data: dict[str, Any] = triage.events("triage.scored")[-1]["data"]
        return data

    triage.complete(claim_id, coach)  # no answers: same answer set
    assert (last_scored()["segment"], last_scored()["current_segment"]) == ("digital", "personal")
    assert last_scored()["override_in_force"] is True

    run = triage.client.post("/v1/admin/retriage/run", headers=triage.as_("admin"))
    assert run.status_code == 200
    assert run.json()["rescored"] == 1
    assert (last_scored()["trigger"], last_scored()["current_segment"]) == (
        "time_in_ww",
        "personal",
    )
    assert triage.sql("SELECT current_segment FROM claims") == [("personal",)]

    # New answers: the new score decides again.
    assert (
        triage.submit(
            claim_id, {**base_answers, "self_efficacy": 5}, triage.as_("triage_analyst")
        ).status_code
        == 200
    )
    assert (last_scored()["current_segment"], last_scored()["override_in_force"]) == (
        "digital",
        False,
    )
    history = triage.client.get(
        f"/v1/claims/{claim_id}/overrides", headers=triage.as_("admin")
    ).json()
    assert history[0]["in_force"] is False


def test_time_in_ww_retriage_runs_once_per_claim(triage_factory: Any) -> None:
    triage = triage_factory(retriage_after_weeks=13, retriage_run_limit=2)
    today = local_today()
    old = [triage.register(first_ww_day=today - dt.timedelta(weeks=13, days=i)) for i in range(3)]
    triage.register(first_ww_day=today - dt.timedelta(weeks=12))
    admin = triage.as_("admin")
    assert (
        triage.client.post(
            "/v1/admin/retriage/run", headers=triage.as_("triage_analyst")
        ).status_code
        == 403
    )
    first = triage.client.post("/v1/admin/retriage/run", headers=admin).json()
    assert (first["rescored"], first["more"]) == (2, True)
    assert first["first_ww_day_on_or_before"] == (today - dt.timedelta(weeks=13)).isoformat()
    second = triage.client.post("/v1/admin/retriage/run", headers=admin).json()
    assert (second["rescored"], second["more"]) == (1, False)
    assert triage.client.post("/v1/admin/retriage/run", headers=admin).json()["rescored"] == 0
    rows = triage.sql(
        "SELECT claim_id, count(*) FROM scores WHERE trigger = 'time_in_ww' GROUP BY claim_id"
    )
    assert sorted(r[0] for r in rows) == sorted(old)
    assert all(r[1] == 1 for r in rows)
    assert triage.sql("SELECT count(*) FROM audit_log WHERE action = 'retriage.run'") == [(2,)]
