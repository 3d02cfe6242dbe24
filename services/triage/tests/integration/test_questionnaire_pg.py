"""Questionnaires and re-triage on PostgreSQL (issue 4, items 1, 2, 3, 5).

Decisions tested here:
- claim.registered: the claim's facts go into the read model; without a complete
  questionnaire the provisional rule scores it; with one, the active model does.
- `PUT /v1/claims/{id}/questionnaire`: the claimant of a self-registered claim, the coach
  holding its intake, or a triage analyst; others get 404 (team lead and admin: 403).
  Bad answer sets are 422 naming `answers.<key>` (missing, unknown, out of range, wrong
  type) or `questionnaire_version`, and store nothing.
- Every submission is kept (history) and re-triages with the active model; the score
  emits `triage.scored` with logit, intercept and the hindering factors, never a BSN.
- intake.completed re-triages; its answers are merged onto the latest set (bad ones left
  out); an incomplete set keeps the provisional rule.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_registration_scores_provisionally_and_keeps_the_facts(triage: Any) -> None:
    claim_id = triage.register(claimant="claimant-noor", age=58, years_work_history=30)
    (row,) = triage.sql(
        "SELECT office_code, age_at_first_ww_day, claimant_subject, current_segment, registered "
        "FROM claims WHERE claim_id = :c",
        c=claim_id,
    )
    assert row[:3] == ("AMS", 58, "claimant-noor")
    assert row[4] is True
    (event,) = triage.events("triage.scored")
    data = event["data"]
    assert data["provisional"] is True
    assert data["trigger"] == "claim_registered"
    assert data["current_segment"] == row[3] == data["segment"]
    assert data["override_in_force"] is False
    assert data["logit"] == pytest.approx(
        data["intercept"] + math.fsum(f["contribution"] for f in data["factors"])
    )
    assert data["hindering"][0]["factor"] == "age"


def test_registration_with_a_complete_questionnaire_is_scored_by_the_model(
    triage: Any, bert_answers: dict[str, Any]
) -> None:
    claim_id = triage.register(age=58, questionnaire_answers=bert_answers)
    (score,) = triage.client.get(
        f"/v1/claims/{claim_id}/scores", headers=triage.as_("triage_analyst")
    ).json()
    assert score["provisional"] is False
    assert score["model_version"] == "werkverkenner-2026.1"
    assert score["logit"] == pytest.approx(-3.048)
    assert [h["factor"] for h in score["hindering"]] == ["age", "self_efficacy", "expectation"]
    assert triage.sql("SELECT source, complete FROM questionnaire_responses") == [
        ("registration", True)
    ]


def test_claimant_submits_and_the_claim_is_rescored(
    triage: Any, bert_answers: dict[str, Any]
) -> None:
    claim_id = triage.register(claimant="claimant-bert", age=58)
    r = triage.submit(claim_id, bert_answers, triage.as_("claimant", sub="claimant-bert"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["questionnaire"]["source"] == "claimant"
    assert body["questionnaire"]["complete"] is True
    assert body["score"]["trigger"] == "questionnaire"
    assert body["score"]["probability"] == pytest.approx(0.0453, abs=1e-4)
    assert body["current_segment"] == "personal"

    scored = triage.events("triage.scored")
    assert [e["data"]["trigger"] for e in scored] == ["claim_registered", "questionnaire"]
    last = scored[-1]["data"]
    assert last["questionnaire_version"] == "1"
    assert last["hindering"][0] == {
        "factor": "age",
        "contribution": -1.2,
        "nl": "Leeftijd (55 of ouder) verlaagt uw kans op werk binnen een jaar.",
        "en": "Age (55 or older) lowers your chance of work within a year.",
    }
    audit = triage.sql("SELECT actor, action FROM audit_log WHERE action = 'questionnaire.submit'")
    assert audit == [("claimant-bert", "questionnaire.submit")]

    # A second submission is kept next to the first (history) and re-triages again.
    better = {**bert_answers, "self_efficacy": 5, "expectation": 5}
    assert (
        triage.submit(claim_id, better, triage.as_("claimant", sub="claimant-bert")).status_code
        == 200
    )
    assert triage.sql("SELECT count(*) FROM questionnaire_responses") == [(2,)]
    history = triage.client.get(
        f"/v1/claims/{claim_id}/scores", headers=triage.as_("claimant", sub="claimant-bert")
    ).json()
    assert [s["trigger"] for s in history] == ["questionnaire", "questionnaire", "claim_registered"]
    assert history[0]["probability"] > history[1]["probability"]


def test_who_may_submit(triage: Any, base_answers: dict[str, Any]) -> None:
    coach, other_coach = uuid.uuid4(), uuid.uuid4()
    claim_id = triage.register(claimant="claimant-a")
    triage.schedule(claim_id, coach)
    staff_claim = triage.register(claimant=None)

    def put(claim: uuid.UUID, headers: dict[str, str]) -> int:
        return int(triage.submit(claim, base_answers, headers).status_code)

    assert put(claim_id, triage.as_("claimant", sub="claimant-b")) == 404
    assert put(staff_claim, triage.as_("claimant", sub="claimant-a")) == 404
    assert put(claim_id, triage.as_("coach", sub=str(other_coach))) == 404
    assert put(uuid.uuid4(), triage.as_("triage_analyst")) == 404
    assert put(claim_id, triage.as_("team_lead", office="AMS")) == 403
    assert put(claim_id, triage.as_("admin")) == 403
    assert triage.sql("SELECT count(*) FROM questionnaire_responses") == [(0,)]

    assert put(claim_id, triage.as_("claimant", sub="claimant-a")) == 200
    assert put(claim_id, triage.as_("coach", sub=str(coach))) == 200
    assert put(staff_claim, triage.as_("triage_analyst")) == 200
    assert triage.sql("SELECT source FROM questionnaire_responses ORDER BY submitted_at") == [
        ("claimant",),
        ("coach",),
        ("triage_analyst",),
    ]


def _bad(triage: Any, claim_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    r = triage.client.put(
        f"/v1/claims/{claim_id}/questionnaire", json=body, headers=triage.as_("triage_analyst")
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = r.json()
    assert problem["type"] == "urn:ww:problem:validation-error"
    return problem


def test_bad_questionnaires_are_422_naming_each_item(
    triage: Any, base_answers: dict[str, Any]
) -> None:
    claim_id = triage.register()
    missing = {k: v for k, v in base_answers.items() if k not in ("self_efficacy", "mobility")}
    problem = _bad(triage, claim_id, {"questionnaire_version": "1", "answers": missing})
    assert {e["field"] for e in problem["errors"]} == {"answers.self_efficacy", "answers.mobility"}
    assert all(e["message"] == "is required" for e in problem["errors"])

    out_of_range = {
        **base_answers,
        "self_efficacy": 6,
        "hours_per_week": 0,
        "reservation_wage_ratio": 2.5,
        "work_limitations": "a lot",
        "driving_licence": "yes",
        "years_work_history": 10.5,
        "education_level": None,
    }
    problem = _bad(triage, claim_id, {"questionnaire_version": "1", "answers": out_of_range})
    by_field = {e["field"]: e["message"] for e in problem["errors"]}
    assert by_field == {
        "answers.self_efficacy": "must be at most 5",
        "answers.hours_per_week": "must be at least 1",
        "answers.reservation_wage_ratio": "must be at most 2",
        "answers.work_limitations": "must be one of: none, some, severe",
        "answers.driving_licence": "must be true or false",
        "answers.years_work_history": "must be a whole number",
        "answers.education_level": "is required",
    }
    # The rejected values are never echoed.
    assert "a lot" not in str(problem)

    problem = _bad(
        triage, claim_id, {"questionnaire_version": "1", "answers": {**base_answers, "gender": "f"}}
    )
    assert [e["field"] for e in problem["errors"]] == ["answers.gender"]

    problem = _bad(triage, claim_id, {"questionnaire_version": "7", "answers": base_answers})
    assert [e["field"] for e in problem["errors"]] == ["questionnaire_version"]

    problem = _bad(triage, claim_id, {"answers": base_answers})
    assert [e["field"] for e in problem["errors"]] == ["questionnaire_version"]
    problem = _bad(triage, claim_id, {"questionnaire_version": "1", "answers": [1, 2]})
    assert [e["field"] for e in problem["errors"]] == ["answers"]
    problem = _bad(
        triage, claim_id, {"questionnaire_version": "1", "answers": base_answers, "extra": 1}
    )
    assert [e["field"] for e in problem["errors"]] == ["extra"]

    assert triage.sql("SELECT count(*) FROM questionnaire_responses") == [(0,)]
    assert len(triage.events("triage.scored")) == 1


def test_the_questionnaire_definition(triage: Any) -> None:
    for role in ("claimant", "coach", "benefits_officer", "admin"):
        r = triage.client.get("/v1/questionnaire", headers=triage.as_(role))
        assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == "1"
    assert body["current"] is True
    assert len(body["items"]) == 20
    item = next(i for i in body["items"] if i["key"] == "self_efficacy")
    assert item == {
        "key": "self_efficacy",
        "kind": "scale",
        "label_nl": "Vertrouwen dat u werk vindt",
        "label_en": "Confidence that you will find work",
        "choices": [],
        "minimum": 1,
        "maximum": 5,
        "required": True,
    }
    assert not {"gender", "nationality", "ethnicity"} & {i["key"] for i in body["items"]}
    unknown = triage.client.get("/v1/questionnaire?version=9", headers=triage.as_("coach"))
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["version"]
    assert triage.client.get("/v1/questionnaire").status_code == 401


def test_intake_completed_merges_answers_and_retriages(
    triage: Any, bert_answers: dict[str, Any]
) -> None:
    coach = uuid.uuid4()
    claim_id = triage.register(age=58, years_work_history=38, education_level="lower_secondary")
    # Half of the answers at the intake (plus an unknown key and a bad value): incomplete.
    first_half = dict(list(bert_answers.items())[:9])
    triage.complete(claim_id, coach, {**first_half, "shoe_size": 44, "self_rated_health": 9})
    rows = triage.sql("SELECT source, complete, rejected, answers FROM questionnaire_responses")
    assert len(rows) == 1
    source, complete, rejected, answers = rows[0]
    assert (source, complete) == ("intake", False)
    assert {r["key"] for r in rejected} == {"shoe_size", "self_rated_health"}
    assert "self_rated_health" not in answers
    assert answers["years_work_history"] == 38  # from registration
    scored = triage.events("triage.scored")
    assert [e["data"]["trigger"] for e in scored] == ["claim_registered", "intake_completed"]
    assert scored[-1]["data"]["provisional"] is True
    # The coach holding the intake may now read the claim.
    assert (
        triage.client.get(
            f"/v1/claims/{claim_id}/scores", headers=triage.as_("coach", sub=str(coach))
        ).status_code
        == 200
    )

    # The rest at a second intake: merged, complete, scored by the model.
    triage.complete(
        claim_id, coach, dict(list(bert_answers.items())[9:]) | {"self_rated_health": 3}
    )
    latest = triage.sql(
        "SELECT complete FROM questionnaire_responses ORDER BY submitted_at DESC LIMIT 1"
    )
    assert latest == [(True,)]
    last = triage.events("triage.scored")[-1]["data"]
    assert (last["trigger"], last["provisional"]) == ("intake_completed", False)
    assert last["logit"] == pytest.approx(-3.048)


def test_intake_completed_without_answers_rescores_the_same_answers(
    triage: Any, base_answers: dict[str, Any]
) -> None:
    claim_id = triage.register(age=35)
    assert triage.submit(claim_id, base_answers, triage.as_("triage_analyst")).status_code == 200
    triage.complete(claim_id, uuid.uuid4())
    a, b = (e["data"] for e in triage.events("triage.scored")[-2:])
    assert (a["trigger"], b["trigger"]) == ("questionnaire", "intake_completed")
    assert a["probability"] == b["probability"]
    assert triage.sql("SELECT count(*) FROM questionnaire_responses") == [(1,)]


def test_intake_events_before_registration_make_a_stub(triage: Any) -> None:
    claim_id, coach = uuid.uuid4(), uuid.uuid4()
    triage.schedule(claim_id, coach)
    assert triage.sql("SELECT registered FROM claims") == [(False,)]
    assert triage.events("triage.scored") == []
    r = triage.client.get(f"/v1/claims/{claim_id}/scores", headers=triage.as_("admin"))
    assert r.status_code == 404
    from tests.support.fakes import claim_registered

    triage.deliver(claim_registered(claim_id=claim_id, age_at_first_ww_day=30))
    assert triage.sql("SELECT registered, intake_coach_id FROM claims") == [(True, coach)]
    assert len(triage.events("triage.scored")) == 1


def test_no_event_carries_a_bsn_or_personal_data(triage: Any, bert_answers: dict[str, Any]) -> None:
    claim_id = triage.register(claimant="claimant-x", age=58)
    triage.submit(claim_id, bert_answers, triage.as_("claimant", sub="claimant-x"))
    for event in triage.events("triage.scored"):
        text = str(event)
        assert "claimant-x" not in text
        assert "bsn" not in text.lower()
