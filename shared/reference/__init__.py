"""Versioned reference data shared by every service (offices and the postcodes they serve)."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s?([A-Za-z]{2})\s*$")
_EXCLUDED_LETTERS = {"SA", "SD", "SS"}  # never issued by PostNL


class InvalidPostcodeError(ValueError):
    """Not a Dutch postcode (4 digits, not starting with 0, then 2 letters)."""


def normalize_postcode(value: str) -> str:
    """`1234ab` -> `1234 AB`; raise InvalidPostcodeError otherwise."""
    m = _POSTCODE.match(value)
    if not m or m.group(2).upper() in _EXCLUDED_LETTERS:
        raise InvalidPostcodeError("not a Dutch postcode (e.g. 1234 AB)")
    return f"{m.group(1)} {m.group(2).upper()}"


@dataclass(frozen=True, slots=True)
class Neighbour:
    """Another office reachable within a configured travel time."""

    office_code: str
    travel_minutes: int


@dataclass(frozen=True, slots=True)
class Office:
    """A benefits-agency office serving a set of postcode ranges."""

    code: str
    name: str
    city: str
    latitude: float
    longitude: float
    postcode_ranges: tuple[tuple[int, int], ...]
    neighbours: tuple[Neighbour, ...]


class OfficeDirectory:
    """Look-ups over the versioned office table."""

    def __init__(self, version: str, valid_from: str, offices: list[Office]) -> None:
        self.version = version
        self.valid_from = valid_from
        self._by_code = {o.code: o for o in offices}
        ranges = sorted((lo, hi, o.code) for o in offices for lo, hi in o.postcode_ranges)
        self._starts = [r[0] for r in ranges]
        self._ranges = ranges

    @property
    def offices(self) -> list[Office]:
        """All offices, by code."""
        return [self._by_code[c] for c in sorted(self._by_code)]

    def get(self, code: str) -> Office | None:
        """The office with this code, if any."""
        return self._by_code.get(code)

    def for_postcode(self, postcode: str) -> Office:
        """The office serving a postcode (normalised first)."""
        digits = int(normalize_postcode(postcode)[:4])
        i = bisect.bisect_right(self._starts, digits) - 1
        if i >= 0:
            lo, hi, code = self._ranges[i]
            if lo <= digits <= hi:
                return self._by_code[code]
        raise InvalidPostcodeError("no office serves this postcode")

    def neighbours(self, code: str, *, max_minutes: int) -> list[Neighbour]:
        """Offices reachable from `code` within `max_minutes`, nearest first."""
        office = self._by_code[code]
        return [n for n in office.neighbours if n.travel_minutes <= max_minutes]


@cache
def load_offices() -> OfficeDirectory:
    """The office table shipped with this release."""
    raw = json.loads(
        resources.files("shared.reference").joinpath("offices.json").read_text("utf-8")
    )
    offices = [
        Office(
            code=o["code"],
            name=o["name"],
            city=o["city"],
            latitude=o["latitude"],
            longitude=o["longitude"],
            postcode_ranges=tuple((r["from"], r["to"]) for r in o["postcode_ranges"]),
            neighbours=tuple(
                Neighbour(n["office_code"], n["travel_minutes"]) for n in o["neighbours"]
            ),
        )
        for o in raw["offices"]
    ]
    return OfficeDirectory(raw["version"], raw["valid_from"], offices)
