"""The Dutch explanation speaks Dutch: every value of every factor, through the API.

Regression (issue 12, item 9): the Dutch sentences used to show the answer codes
(`Beheersing van het Nederlands (none) verlaagt ...`).
"""

from __future__ import annotations

import re
from typing import Any

from triage.scoring.questionnaire import V1

CODE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _codes_in(text: str, codes: set[str]) -> set[str]:
    """Answer codes that occur as words in `text` (case-sensitive: `ICT` is Dutch)."""
    words = set(re.findall(r"[A-Za-z_]+", text))
    return (words & codes) | set(CODE_WORD.findall(text))


def test_every_answer_value_reads_as_dutch_in_the_dutch_explanation(
    triage: Any, bert_answers: dict[str, Any]
) -> None:
    english_only = {"none", "car", "native", "basic", "some", "severe", "limited", "yes", "no"}
    for age in (20, 30, 50, 60):
        claim_id = triage.register(claimant=f"claimant-{age}", age=age)
        me = triage.as_("claimant", sub=f"claimant-{age}")
        for item in V1.items:
            values: list[Any] = list(item.choices) if item.kind == "choice" else []
            if item.kind == "boolean":
                values = [True, False]
            for value in values if age == 60 else values[:1]:
                answers = {**bert_answers, item.key: value}
                assert triage.submit(claim_id, answers, me).status_code == 200
                body = triage.client.get(f"/v1/claims/{claim_id}/explanation", headers=me).json()
                codes = {c for i in V1.items for c in i.choices if "_" in c} | english_only
                texts = [body["summary"], *(h["text"] for h in body["hindering"])]
                texts += [f"{c['label']} {c['value_label']}" for c in body["contributions"]]
                for text in texts:
                    assert not _codes_in(text, codes), (item.key, value, text)
                shown = {c["factor"]: c for c in body["contributions"]}
                if item.key in shown and item.kind == "choice":
                    assert shown[item.key]["value"] == value  # the code stays for machines
                    assert shown[item.key]["value_label"] != value or value == "ict"
        en = triage.client.get(f"/v1/claims/{claim_id}/explanation?lang=en", headers=me).json()
        assert {c["factor"] for c in en["contributions"]} >= {"age", "mobility"}
