"""Every value a factor can show has a Dutch label: no English code in a Dutch sentence."""

from __future__ import annotations

import re

import pytest

from triage.scores import provisional
from triage.scoring import model as core
from triage.scoring.questionnaire import V1
from triage.scoring.value_labels import choices_of, reason_texts, value_label

CODE = re.compile(r"^[a-z][a-z0-9_ ]*[a-z]$")


def _shown_values() -> list[tuple[str, str]]:
    """(factor, value) for every non-numeric value an explanation can show."""
    out: list[tuple[str, str]] = []
    features = [f for m in core.shipped().values() for f in m.features]
    for f in features:
        item = V1.by_key.get(f.name)
        if item is not None and item.kind == "choice":
            out += [(f.name, c) for c in item.choices]
        elif item is not None and item.kind == "boolean":
            out += [(f.name, "yes"), (f.name, "no")]
        if f.kind == "bands":
            out += [(f.name, b.label) for b in f.bands or ()]
        out.append((f.name, "unknown"))
    out += [("age", label) for *_, label in provisional.AGE_EFFECTS]
    return out


@pytest.mark.parametrize(("factor", "value"), _shown_values())
def test_every_value_reads_as_dutch_in_a_dutch_sentence(factor: str, value: str) -> None:
    nl = value_label(factor, value, "nl")
    assert nl != value or not CODE.match(value), f"{factor}={value} has no Dutch label"
    sentence_nl, sentence_en = reason_texts(factor, "Label", "Label", value)
    assert f"({nl})" in sentence_nl
    assert value not in sentence_nl.replace(nl, "") or not CODE.match(value)
    assert f"({value_label(factor, value, 'en')})" in sentence_en


def test_every_choice_of_the_questionnaire_is_labelled() -> None:
    for item in V1.items:
        if item.kind == "choice":
            assert set(item.choices) <= set(choices_of(item.key)), item.key


def test_numbers_are_shown_as_they_are() -> None:
    assert value_label("self_efficacy", "2", "nl") == "2"
    assert value_label("reservation_wage_ratio", "1.2", "en") == "1.2"
