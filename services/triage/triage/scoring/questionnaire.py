"""The triage questionnaire (defined in `shared/reference/questionnaire.py`).

The definition moved to shared/ so that intake can refuse unknown or unfit answers at the
door (a 422 naming `questionnaire_answers.<key>`) instead of triage dropping them with a
log line; triage keeps importing it from here.
"""

from shared.reference.questionnaire import (
    CURRENT_VERSION,
    EDUCATION_LEVELS,
    FORBIDDEN_KEYS,
    OCCUPATION_LEVELS,
    QUESTIONNAIRES,
    SECTORS,
    V1,
    Answer,
    AnswerError,
    Item,
    ItemKind,
    Questionnaire,
    check_given,
    validate,
)

__all__ = [
    "CURRENT_VERSION",
    "EDUCATION_LEVELS",
    "FORBIDDEN_KEYS",
    "OCCUPATION_LEVELS",
    "QUESTIONNAIRES",
    "SECTORS",
    "V1",
    "Answer",
    "AnswerError",
    "Item",
    "ItemKind",
    "Questionnaire",
    "check_given",
    "validate",
]
