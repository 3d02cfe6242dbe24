"""The default model scores five documented claimants exactly as computed by hand.

The hand computation (every contribution, their sum and the probability) is written out in
docs/triage-model.md; the logits below are copied from there, not computed by the code.
"""

from __future__ import annotations

import math

import pytest

from shared.events.common import Band, Segment
from tests.support.triage import ANOUK, BASE, BERT, CHANTAL, DIRK, ESRA
from triage.scoring import model as m
from triage.scoring import questionnaire as q

MODEL = m.shipped()[m.DEFAULT_VERSION]

# (answers, age, hand-computed logit, band, segment, over_55, under_27, top hindering)
CASES = [
    ("Anouk", ANOUK, 35, 2.17, Band.B75_100, Segment.DIGITAL, False, False, []),
    (
        "Bert",
        BERT,
        58,
        -3.048,
        Band.B0_25,
        Segment.PERSONAL,
        True,
        False,
        ["age", "self_efficacy", "expectation"],
    ),
    (
        "Chantal",
        CHANTAL,
        24,
        -0.22,
        Band.B25_50,
        Segment.PERSONAL,
        False,
        True,
        ["self_efficacy", "expectation", "previous_unemployment_spells"],
    ),
    (
        "Dirk",
        DIRK,
        50,
        0.929,
        Band.B50_75,
        Segment.DIGITAL,
        False,
        False,
        ["age", "reservation_wage_ratio", "mobility"],
    ),
    (
        "Esra",
        ESRA,
        31,
        -3.85,
        Band.B0_25,
        Segment.PERSONAL,
        False,
        False,
        ["previous_unemployment_spells", "work_limitations", "education_level"],
    ),
]


@pytest.mark.parametrize(
    ("name", "answers", "age", "logit", "band", "segment", "over_55", "under_27", "hindering"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_five_documented_claimants(
    name: str,
    answers: dict[str, object],
    age: int,
    logit: float,
    band: Band,
    segment: Segment,
    over_55: bool,
    under_27: bool,
    hindering: list[str],
) -> None:
    assert q.validate("1", answers) == []
    scored = m.score(MODEL, answers, age=age)
    assert scored.logit == pytest.approx(logit, abs=1e-9)
    assert scored.probability == pytest.approx(1 / (1 + math.exp(-logit)), abs=1e-12)
    # The explanation adds up: intercept + contributions = logit(p).
    total = scored.intercept + math.fsum(c.contribution for c in scored.contributions)
    assert total == pytest.approx(math.log(scored.probability / (1 - scored.probability)))
    assert (scored.band, scored.segment) == (band, segment)
    assert (scored.over_55, scored.under_27) == (over_55, under_27)
    reasons = m.hindering(MODEL, scored)
    assert [r.factor for r in reasons] == hindering
    assert all(r.contribution < 0 for r in reasons)
    for r in reasons:
        assert r.nl.endswith("verlaagt uw kans op werk binnen een jaar.")
        assert r.en.endswith("lowers your chance of work within a year.")


def test_design_row_times_coefficients_is_the_logit() -> None:
    for _, answers, age, logit, *_ in CASES:
        row = m.design_row(MODEL, answers, age=age)
        coefs = m.coefficient_vector(MODEL)
        assert len(row) == len(coefs) == len(m.columns(MODEL))
        assert MODEL.intercept + math.fsum(
            x * b for x, b in zip(row, coefs, strict=True)
        ) == pytest.approx(logit, abs=1e-9)


def test_with_coefficients_round_trips() -> None:
    same = m.with_coefficients(
        MODEL,
        version="copy",
        intercept=MODEL.intercept,
        coefficients=m.coefficient_vector(MODEL),
        card=MODEL.card,
    )
    assert same.features == MODEL.features
    assert m.score(same, ESRA, age=31).logit == pytest.approx(-3.85)


def test_model_files_refuse_protected_attributes_and_unknown_inputs() -> None:
    raw = MODEL.model_dump(mode="json")
    for name in ("gender", "nationality", "ethnicity", "favourite_colour"):
        bad = {
            **raw,
            "features": [
                *raw["features"],
                {"name": name, "kind": "boolean", "labels": {"nl": "x", "en": "x"}, "coef": 1},
            ],
        }
        with pytest.raises(ValueError, match=name):
            m.ModelFile.model_validate(bad)


def test_questionnaire_validation_names_every_problem() -> None:
    answers = {**BASE, "self_efficacy": 6, "mobility": "horse", "gender": "f"}
    del answers["expectation"]
    errors = {e.key: e.message for e in q.validate("1", answers)}
    assert set(errors) == {"self_efficacy", "mobility", "gender", "expectation"}
    assert errors["expectation"] == "is required"
    assert [e.key for e in q.validate("0", BASE)] == ["questionnaire_version"]
    assert {e.key for e in q.validate("1", {**BASE, "years_work_history": 2.5})} == {
        "years_work_history"
    }
    assert {e.key for e in q.validate("1", {**BASE, "driving_licence": "yes"})} == {
        "driving_licence"
    }
    assert len(q.V1.items) == 20
