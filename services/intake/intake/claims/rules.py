"""Claim rules without I/O: questionnaire answers that come with a registration or an
intake are refused when unfit.

Triage used to drop an unknown key or a value outside its item with a log line, so a typo
(`has_driving_licence`) vanished silently. Intake now refuses them at the door: one 422
naming every `questionnaire_answers.<key>`. A key has already passed the schema's format
check (lower-case snake_case, no BSN), so naming it in the response is safe.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.reference.questionnaire import CURRENT_VERSION, check_given
from shared.web.problems import ValidationFailed


class UnfitAnswers(ValidationFailed):
    """Answers that are not items of the questionnaire or do not fit their item."""


def refuse_unfit_answers(answers: Mapping[str, object] | None) -> None:
    """Raise a 422 naming each unknown or unfit answer (missing items are fine)."""
    if not answers:
        return
    errors = check_given(dict(answers), CURRENT_VERSION)
    if not errors:
        return
    fields = [f"questionnaire_answers.{e.key}" for e in errors]
    raise UnfitAnswers(
        "invalid or missing field(s): "
        + ", ".join(fields)
        + f" (questionnaire version {CURRENT_VERSION}: GET /v1/questionnaire on triage lists "
        "the items)",
        errors=[
            {"field": f, "location": "body", "message": e.message, "code": "invalid"}
            for f, e in zip(fields, errors, strict=True)
        ],
    )
