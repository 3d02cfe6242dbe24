"""Pure triage rules: event answers, scorer choice, override persistence, model-file errors."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from shared.events.common import Segment
from triage.claims.models import TriageClaim
from triage.overrides.rules import survives
from triage.questionnaires import rules
from triage.questionnaires.models import QuestionnaireResponse
from triage.registry.service import ModelFileInvalidError, checksum, parse_model_file
from triage.scores import provisional
from triage.scores import service as scores
from triage.scoring import model as core

MODEL = core.shipped()[core.DEFAULT_VERSION]
BASE: dict[str, Any] = {
    "education_level": "upper_secondary",
    "years_work_history": 10,
    "last_sector": "other",
    "last_occupation_level": "middle",
    "hours_per_week": 32,
    "self_rated_health": 4,
    "work_limitations": "none",
    "job_search_intention": 4,
    "self_efficacy": 4,
    "expectation": 4,
    "social_network": 3,
    "dutch_language": "native",
    "digital_skills": 3,
    "mobility": "car",
    "driving_licence": False,
    "previous_unemployment_spells": 0,
    "severance_received": False,
    "reservation_wage_ratio": 1.0,
}


def _claim(age: int | None = 35) -> TriageClaim:
    return TriageClaim(
        claim_id=uuid.uuid4(),
        registered=True,
        office_code="AMS",
        age_at_first_ww_day=age,
        years_work_history=5,
        hours_lost_per_week=40,
    )


def _answers(
    answers: dict[str, Any], *, complete: bool = True, version: str = "1"
) -> QuestionnaireResponse:
    return QuestionnaireResponse(
        id=uuid.uuid4(), questionnaire_version=version, answers=answers, complete=complete
    )


def test_registration_facts_become_answers_only_where_they_fit() -> None:
    facts = rules.registration_facts(
        years_work_history=12,
        education_level="bachelor",
        sector="space travel",
        hours_lost_per_week=0,
    )
    assert facts == {"years_work_history": 12, "education_level": "bachelor"}
    assert rules.registration_facts(
        years_work_history=None, education_level=None, sector="ict", hours_lost_per_week=36.0
    ) == {"last_sector": "ict", "hours_per_week": 36.0}


def test_check_items_splits_valid_and_rejected_answers() -> None:
    checked = rules.check_items("1", {"self_efficacy": 3, "expectation": 9, "shoe_size": 44})
    assert checked.valid == {"self_efficacy": 3}
    assert {e.key: e.message for e in checked.rejected} == {
        "expectation": "must be at most 5",
        "shoe_size": "not an item of this questionnaire version",
    }
    assert rules.merge({"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}
    assert rules.is_complete("1", BASE)
    assert not rules.is_complete("1", {k: v for k, v in BASE.items() if k != "mobility"})
    assert rules.definition("1") is not None
    assert rules.definition("2") is None


def test_a_complete_answer_set_is_scored_by_the_model() -> None:
    computed = scores.compute(
        claim=_claim(35), questionnaire=_answers(BASE), model=MODEL, threshold=0.5
    )
    assert not computed.provisional
    assert computed.logit == pytest.approx(0.55)
    assert computed.model_version == core.DEFAULT_VERSION
    assert computed.questionnaire_version == "1"
    assert computed.hindering == []


@pytest.mark.parametrize(
    "questionnaire",
    [None, _answers(BASE, complete=False), _answers(BASE, version="0")],
    ids=["no answers", "incomplete", "another questionnaire version"],
)
def test_otherwise_the_provisional_rule_scores(questionnaire: QuestionnaireResponse | None) -> None:
    computed = scores.compute(
        claim=_claim(60), questionnaire=questionnaire, model=MODEL, threshold=0.5
    )
    assert computed.provisional
    assert computed.model_version == provisional.MODEL_VERSION
    assert computed.logit == pytest.approx(
        computed.intercept + math.fsum(f["contribution"] for f in computed.factors)
    )
    assert computed.probability == pytest.approx(1 / (1 + math.exp(-computed.logit)))
    assert [h["factor"] for h in computed.hindering] == [
        "age",
        "years_work_history",
        "hours_lost_per_week",
    ]
    assert (
        computed.hindering[0]["en"] == "Age (55 or older) lowers your chance of work within a year."
    )


def test_no_active_model_falls_back_to_provisional() -> None:
    computed = scores.compute(
        claim=_claim(), questionnaire=_answers(BASE), model=None, threshold=0.5
    )
    assert computed.provisional


def test_provisional_threshold_is_a_setting() -> None:
    claim = _claim(30)
    low = scores.compute(claim=claim, questionnaire=None, model=None, threshold=0.5)
    high = scores.compute(claim=claim, questionnaire=None, model=None, threshold=0.9)
    assert (low.segment, high.segment) == (Segment.DIGITAL, Segment.PERSONAL)


def test_an_override_survives_only_a_rescore_of_the_same_answers() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert survives(override_questionnaire_id=a, score_questionnaire_id=a)
    assert survives(override_questionnaire_id=None, score_questionnaire_id=None)
    assert not survives(override_questionnaire_id=a, score_questionnaire_id=b)
    assert not survives(override_questionnaire_id=None, score_questionnaire_id=a)


def _fields(body: Any) -> set[str]:
    with pytest.raises(ModelFileInvalidError) as caught:
        parse_model_file(body)
    return {e["field"] for e in caught.value.extra["errors"]}


def test_model_file_errors_name_the_field() -> None:
    good = MODEL.model_dump(mode="json")
    assert parse_model_file(good) == MODEL
    assert _fields([1]) == {"body"}
    assert _fields({**good, "questionnaire_version": "9"}) == {"questionnaire_version"}
    assert _fields({**good, "intercept": None}) == {"intercept"}
    nationality = {"name": "nationality", "kind": "boolean", "labels": {"nl": "n", "en": "n"}}
    assert _fields({**good, "features": [*good["features"], nationality]}) == {"features"}
    broken = [dict(f) for f in good["features"]]
    broken[1]["reference"] = "bachelor"  # a reference inside its own coefs
    assert _fields({**good, "features": broken}) == {"features.1"}


def test_checksum_is_stable_and_content_bound() -> None:
    assert checksum(MODEL) == checksum(core.ModelFile.model_validate(MODEL.model_dump(mode="json")))
    assert checksum(MODEL) != checksum(MODEL.model_copy(update={"intercept": 0.56}))
