"""The vectorised batch path gives the scoring core's results, value for value."""

from __future__ import annotations

import random
from typing import Any

import pytest

from triage.batch import vectorised
from triage.scores import service as scores
from triage.scoring import model as core
from triage.scoring import questionnaire as q

MODEL = core.shipped()[core.DEFAULT_VERSION]


def _random_answers(rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in q.V1.items:
        if not item.required and rng.random() < 0.4:
            continue  # a missing optional answer
        if item.kind == "choice":
            answers[item.key] = rng.choice(item.choices)
        elif item.kind == "boolean":
            answers[item.key] = rng.random() < 0.5
        elif item.kind in ("integer", "scale"):
            assert item.minimum is not None
            assert item.maximum is not None
            answers[item.key] = rng.randint(int(item.minimum), int(item.maximum))
        else:
            assert item.minimum is not None
            assert item.maximum is not None
            answers[item.key] = round(rng.uniform(item.minimum, item.maximum), 2)
    assert not q.validate("1", answers)
    return answers


@pytest.fixture
def rows() -> list[tuple[dict[str, Any], int | None]]:
    rng = random.Random(2026)
    out: list[tuple[dict[str, Any], int | None]] = [
        (_random_answers(rng), rng.choice([None, *range(15, 81)])) for _ in range(400)
    ]
    return out


@pytest.mark.parametrize("vectorise", [True, False], ids=["numpy", "pure python"])
def test_batch_path_equals_the_core(
    rows: list[tuple[dict[str, Any], int | None]], vectorise: bool
) -> None:
    batch = vectorised.score_many(MODEL, rows, vectorised=vectorise)
    for (answers, age), got in zip(rows, batch, strict=True):
        want = scores.from_model(MODEL, answers, age=age)
        assert got.factors == want.factors
        assert got.logit == want.logit
        assert got.probability == want.probability
        assert (got.band, got.segment, got.over_55, got.under_27) == (
            want.band,
            want.segment,
            want.over_55,
            want.under_27,
        )
        assert got.hindering == want.hindering


def test_empty_batch() -> None:
    assert vectorised.score_many(MODEL, []) == []


def test_numpy_is_used_when_installed() -> None:
    # numpy is a dependency (pyproject); the pure path remains for a build without it.
    assert vectorised.numpy_available()


def test_probabilities_many_agrees_with_the_core(
    rows: list[tuple[dict[str, Any], int | None]],
) -> None:
    p, personal = vectorised.probabilities_many(MODEL, rows)
    for (answers, age), got_p, got_personal in zip(
        rows, p.tolist(), personal.tolist(), strict=True
    ):
        want = core.score(MODEL, answers, age=age)
        assert got_p == pytest.approx(want.probability, abs=1e-12)
        assert got_personal == (want.segment.value == "personal")


def test_the_threshold_is_decided_by_the_exact_sum() -> None:
    # The reference person of the default model sits at logit 0.55; shift the intercept so
    # that a claimant lands exactly on p = 0.5, where a sum in another order could flip it.
    at_half = MODEL.model_copy(update={"intercept": 0.0})
    answers: dict[str, Any] = {"self_efficacy": 4, "expectation": 4}
    p, personal = vectorised.probabilities_many(at_half, [(answers, 35)])
    assert p.tolist() == [0.5]
    assert personal.tolist() == [True]
    assert core.score(at_half, answers, age=35).segment.value == "personal"
