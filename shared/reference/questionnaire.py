"""The triage questionnaire, versioned: items with English keys and Dutch and English labels.

Gender, nationality and ethnicity are never asked (and a model may not use them: see
`model.FORBIDDEN_INPUTS`). Age is not asked either: it comes from the claim (registration).
A questionnaire version is immutable once published; a change is a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ItemKind = Literal["choice", "integer", "number", "boolean", "scale"]


@dataclass(frozen=True)
class Item:
    """One question: its key, kind, allowed values and labels."""

    key: str
    kind: ItemKind
    label_nl: str
    label_en: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = True


@dataclass(frozen=True)
class Questionnaire:
    """A published questionnaire version."""

    version: str
    items: tuple[Item, ...]
    by_key: dict[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {i.key: i for i in self.items})


# Scales are 1-5: 1 = not at all / very poor, 5 = very much / very good.


def _scale(key: str, label_nl: str, label_en: str) -> Item:
    return Item(key, "scale", label_nl, label_en, minimum=1, maximum=5)


SECTORS = (
    "agriculture",
    "manufacturing",
    "construction",
    "retail",
    "logistics",
    "hospitality",
    "ict",
    "finance",
    "business_services",
    "public_administration",
    "education",
    "healthcare",
    "culture",
    "other",
)
OCCUPATION_LEVELS = ("elementary", "lower", "middle", "higher", "academic")
EDUCATION_LEVELS = (
    "primary",
    "lower_secondary",
    "upper_secondary",
    "vocational",
    "bachelor",
    "master_or_higher",
)

V1 = Questionnaire(
    version="1",
    items=(
        Item(
            "education_level",
            "choice",
            "Hoogst afgeronde opleiding",
            "Highest completed education",
            EDUCATION_LEVELS,
        ),
        Item(
            "years_work_history",
            "integer",
            "Jaren werkervaring",
            "Years of work experience",
            minimum=0,
            maximum=60,
        ),
        Item(
            "last_sector",
            "choice",
            "Sector van het laatste werk",
            "Sector of the last job",
            SECTORS,
        ),
        Item(
            "last_occupation_level",
            "choice",
            "Niveau van het laatste beroep",
            "Level of the last occupation",
            OCCUPATION_LEVELS,
        ),
        Item(
            "hours_per_week",
            "number",
            "Uren per week in het laatste werk",
            "Hours per week in the last job",
            minimum=1,
            maximum=80,
        ),
        _scale("self_rated_health", "Hoe is uw gezondheid?", "How is your health?"),
        Item(
            "work_limitations",
            "choice",
            "Beperkingen bij het werken",
            "Limitations for work",
            ("none", "some", "severe"),
        ),
        _scale(
            "job_search_intention",
            "Hoe actief gaat u zoeken naar werk?",
            "How actively will you look for work?",
        ),
        _scale(
            "self_efficacy", "Vertrouwen dat u werk vindt", "Confidence that you will find work"
        ),
        _scale(
            "expectation",
            "Verwachting werk te vinden binnen 6 maanden",
            "Expectation of finding work within 6 months",
        ),
        _scale(
            "social_network",
            "Mensen die u kunnen helpen werk te vinden",
            "People who can help you find work",
        ),
        Item(
            "dutch_language",
            "choice",
            "Beheersing van het Nederlands",
            "Command of Dutch",
            ("native", "fluent", "basic", "none"),
        ),
        _scale("digital_skills", "Digitale vaardigheden", "Digital skills"),
        Item(
            "mobility",
            "choice",
            "Hoe reist u naar werk?",
            "How do you travel to work?",
            ("car", "public_transport", "bicycle", "limited"),
        ),
        Item("driving_licence", "boolean", "Rijbewijs B", "Driving licence (B)"),
        Item(
            "previous_unemployment_spells",
            "integer",
            "Eerdere perioden zonder werk (laatste 5 jaar)",
            "Earlier unemployment spells (last 5 years)",
            minimum=0,
            maximum=20,
        ),
        Item(
            "severance_received", "boolean", "Ontslagvergoeding ontvangen", "Severance pay received"
        ),
        Item(
            "reservation_wage_ratio",
            "number",
            "Gewenst loon ten opzichte van het laatste loon",
            "Wanted wage relative to the last wage",
            minimum=0.3,
            maximum=2.0,
        ),
        Item(
            "months_since_last_training",
            "integer",
            "Maanden sinds de laatste cursus of opleiding",
            "Months since the last course or training",
            minimum=0,
            maximum=600,
            required=False,
        ),
        Item(
            "willing_to_retrain",
            "boolean",
            "Bereid om om te scholen",
            "Willing to retrain",
            required=False,
        ),
    ),
)

QUESTIONNAIRES: dict[str, Questionnaire] = {V1.version: V1}
CURRENT_VERSION = V1.version
# Never questions, never model inputs (also not under another name in a model file).
FORBIDDEN_KEYS = frozenset(
    {"gender", "sex", "nationality", "ethnicity", "country_of_birth", "religion"}
)

Answer = str | int | float | bool


@dataclass(frozen=True)
class AnswerError:
    """A problem with one answer (or a missing one), naming its key."""

    key: str
    message: str


def validate(version: str, answers: dict[str, object]) -> list[AnswerError]:
    """Every problem with a set of answers; an empty list means valid.

    Unknown keys are refused (a typo must not pass silently as a missing optional item);
    required items must be present; values must fit their item.
    """
    questionnaire = QUESTIONNAIRES.get(version)
    if questionnaire is None:
        return [
            AnswerError(
                "questionnaire_version", f"unknown version; known: {sorted(QUESTIONNAIRES)}"
            )
        ]
    errors: list[AnswerError] = []
    for key in answers:
        if key not in questionnaire.by_key:
            errors.append(AnswerError(key, "not an item of this questionnaire version"))
    for item in questionnaire.items:
        if item.key not in answers or answers[item.key] is None:
            if item.required:
                errors.append(AnswerError(item.key, "is required"))
            continue
        message = _check(item, answers[item.key])
        if message is not None:
            errors.append(AnswerError(item.key, message))
    return errors


def check_given(answers: dict[str, object], version: str = CURRENT_VERSION) -> list[AnswerError]:
    """Problems with the answers that were given (a partial set: missing items are fine):
    unknown keys and values that do not fit their item. Registration and the intake
    carry partial answers; both refuse these with a 422 rather than drop them."""
    return [e for e in validate(version, answers) if e.key in answers]


def _check(item: Item, value: object) -> str | None:
    if item.kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if item.kind == "choice":
        if not isinstance(value, str) or value not in item.choices:
            return f"must be one of: {', '.join(item.choices)}"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if item.kind in ("integer", "scale") and not float(value).is_integer():
        return "must be a whole number"
    if item.minimum is not None and value < item.minimum:
        return f"must be at least {item.minimum:g}"
    if item.maximum is not None and value > item.maximum:
        return f"must be at most {item.maximum:g}"
    return None
