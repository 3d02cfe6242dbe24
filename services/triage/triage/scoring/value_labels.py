"""Plain-language labels of the values an explanation shows, in Dutch and English.

A factor's stored value is a code (`upper_secondary`, `car`, `yes`, `55 or older`): fine
for machines, wrong in a Dutch sentence. Every code a factor can take has a label here;
sector labels come from the one sector list (`shared/reference/sectors.json`). Numbers are
shown as they are. `test_value_labels` walks every value of every factor through the
explanation so a new choice without a label fails the build.
"""

from __future__ import annotations

from functools import cache

from shared.reference.sectors import load_sectors

# (nl, en) per code, for the choice items of the questionnaire and the shared values.
_CHOICES: dict[str, dict[str, tuple[str, str]]] = {
    "education_level": {
        "primary": ("basisonderwijs", "primary school"),
        "lower_secondary": ("vmbo of onderbouw havo/vwo", "lower secondary school"),
        "upper_secondary": ("havo of vwo", "upper secondary school"),
        "vocational": ("mbo", "vocational training"),
        "bachelor": ("hbo- of wo-bachelor", "bachelor's degree"),
        "master_or_higher": ("master of hoger", "master's degree or higher"),
    },
    "last_occupation_level": {
        "elementary": ("eenvoudig werk", "elementary work"),
        "lower": ("lager niveau", "lower level"),
        "middle": ("middelbaar niveau", "middle level"),
        "higher": ("hoger niveau", "higher level"),
        "academic": ("wetenschappelijk niveau", "academic level"),
    },
    "work_limitations": {
        "none": ("geen", "none"),
        "some": ("enige beperkingen", "some limitations"),
        "severe": ("ernstige beperkingen", "severe limitations"),
    },
    "dutch_language": {
        "native": ("moedertaal", "native speaker"),
        "fluent": ("vloeiend", "fluent"),
        "basic": ("basis", "basic"),
        "none": ("geen", "none"),
    },
    "mobility": {
        "car": ("auto", "car"),
        "public_transport": ("openbaar vervoer", "public transport"),
        "bicycle": ("fiets", "bicycle"),
        "limited": ("beperkt", "limited"),
    },
    # Age bands of the model files and the provisional score.
    "age": {
        "under 27": ("jonger dan 27", "under 27"),
        "27-44": ("27 tot en met 44", "27 to 44"),
        "45-54": ("45 tot en met 54", "45 to 54"),
        "55 or older": ("55 of ouder", "55 or older"),
    },
}
# Values any factor can show: booleans and a missing answer.
_COMMON: dict[str, tuple[str, str]] = {
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "unknown": ("onbekend", "unknown"),
}


@cache
def _sector_labels() -> dict[str, tuple[str, str]]:
    return {s.code: (s.label_nl, s.label_en) for s in load_sectors().sectors}


def choices_of(factor: str) -> dict[str, tuple[str, str]]:
    """The labelled codes of one factor (empty for numeric factors)."""
    if factor == "last_sector":
        return _sector_labels()
    return _CHOICES.get(factor, {})


def value_label(factor: str, value: str, lang: str) -> str:
    """`value` of `factor` in `lang` (nl or en); numbers and unlabelled text unchanged."""
    index = 0 if lang == "nl" else 1
    labels = choices_of(factor).get(value) or _COMMON.get(value)
    return labels[index] if labels is not None else value


def reason_texts(factor: str, label_nl: str, label_en: str, value: str) -> tuple[str, str]:
    """The (nl, en) sentence of a hindering factor, its value in words."""
    return (
        f"{label_nl} ({value_label(factor, value, 'nl')}) verlaagt uw kans op werk "
        "binnen een jaar.",
        f"{label_en} ({value_label(factor, value, 'en')}) lowers your chance of work "
        "within a year.",
    )
