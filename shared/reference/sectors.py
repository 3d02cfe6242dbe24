"""The one controlled list of sectors (`sectors.json`): codes with Dutch and English labels.

Claims (intake), the triage questionnaire's `last_sector`, coaching cases, partner
profiles, vacancies and the candidate search all use these codes. APIs accept a code only
(`SectorCode`); `to_sector_code` maps old free text (the aliases) for migrations and for
events written before codes were enforced.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

OTHER = "other"
# Where a caller whose value was refused finds the codes (named in every 422).
WHERE_TO_FIND = (
    "GET /v1/sectors (staff and claimants) or GET /partner/v1/sectors (partners) "
    "on the coaching API lists every code with its Dutch and English label"
)
_SEPARATORS = re.compile(r"[\s_\-/&,.()+]+")


@dataclass(frozen=True, slots=True)
class Sector:
    """One sector: its code, labels, the SBI 2008 main sections it groups, the coach
    specialism that serves it (None: none)."""

    code: str
    label_nl: str
    label_en: str
    sbi_sections: tuple[str, ...]
    coach_specialism: str | None
    aliases: tuple[str, ...]


def _key(text: str) -> str:
    """Lower case, without accents, separators as single spaces: `Zorg-en Welzijn` ->
    `zorg en welzijn`, `Financiële` -> `financiele`."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(_SEPARATORS.sub(" ", plain.lower()).split())


class SectorList:
    """Look-ups over the versioned sector list."""

    def __init__(self, version: str, valid_from: str, sectors: list[Sector]) -> None:
        self.version = version
        self.valid_from = valid_from
        self.sectors = tuple(sectors)
        self._by_code = {s.code: s for s in sectors}
        self._by_key: dict[str, str] = {}
        for s in sectors:
            for spelling in (s.code, s.label_nl, s.label_en, *s.aliases):
                self._by_key.setdefault(_key(spelling), s.code)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code, in the list's order."""
        return tuple(s.code for s in self.sectors)

    def get(self, code: str) -> Sector | None:
        """The sector with exactly this code, if any."""
        return self._by_code.get(code)

    def to_code(self, text: str | None) -> str | None:
        """Free text to a code: a code, label or known alias (any case, accents or
        separators) maps to its code, other text to `other`, empty text to None."""
        if text is None or not text.strip():
            return None
        key = _key(text)
        if key.startswith("sector "):  # a coach specialism such as `sector_care`
            key = key.removeprefix("sector ")
        return self._by_key.get(key, OTHER)


@cache
def load_sectors() -> SectorList:
    """The sector list shipped with this release."""
    raw = json.loads(
        resources.files("shared.reference").joinpath("sectors.json").read_text("utf-8")
    )
    sectors = [
        Sector(
            code=s["code"],
            label_nl=s["label_nl"],
            label_en=s["label_en"],
            sbi_sections=tuple(s["sbi_sections"]),
            coach_specialism=s["coach_specialism"],
            aliases=tuple(s["aliases"]),
        )
        for s in raw["sectors"]
    ]
    return SectorList(raw["version"], raw["valid_from"], sectors)


def to_sector_code(text: str | None) -> str | None:
    """`load_sectors().to_code(text)`: free text to a code (`other` if unknown)."""
    return load_sectors().to_code(text)


def _check_code(value: str) -> str:
    code = value.strip().lower()
    if load_sectors().get(code) is None:
        # Never echo the value: free text may hold personal data.
        raise ValueError(f"not a sector code (e.g. logistics, healthcare); {WHERE_TO_FIND}")
    return code


# A sector in a request: a code only (surrounding spaces and upper case are forgiven).
SectorCode = Annotated[
    str,
    AfterValidator(_check_code),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(load_sectors().codes),
            "description": "A sector code; GET /v1/sectors or /partner/v1/sectors lists them "
            "with Dutch and English labels",
        }
    ),
]
