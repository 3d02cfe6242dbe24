"""The sector list (shared/reference/sectors.json): well formed, one code per spelling, and
the mapping of old free text that migration coaching_0013_sectors applies."""

from __future__ import annotations

import re
import string

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.reference.sectors import OTHER, SectorCode, _key, load_sectors, to_sector_code


def test_codes_labels_and_sbi_sections_are_well_formed() -> None:
    sectors = load_sectors()
    assert len(set(sectors.codes)) == len(sectors.codes) >= 10
    for s in sectors.sectors:
        assert re.fullmatch(r"[a-z][a-z_]{1,39}", s.code), s.code
        assert s.label_nl.strip(), s.code
        assert s.label_en.strip(), s.code
        assert s.coach_specialism is None or s.coach_specialism.startswith("sector_")
    # Every SBI 2008 main section (A-U) belongs to exactly one sector.
    sections = [x for s in sectors.sectors for x in s.sbi_sections]
    assert sorted(sections) == list(string.ascii_uppercase[:21])
    assert sectors.get(OTHER) is not None


def test_no_spelling_belongs_to_two_sectors() -> None:
    owner: dict[str, str] = {}
    for s in load_sectors().sectors:
        for spelling in (s.code, s.label_nl, s.label_en, *s.aliases):
            key = _key(spelling)
            assert owner.setdefault(key, s.code) == s.code, f"{spelling!r}: {owner[key]}, {s.code}"
            assert to_sector_code(spelling) == s.code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("zorg", "healthcare"),
        ("Zorg-en-Welzijn", "healthcare"),
        ("sector_care", "healthcare"),
        ("Logistiek", "logistics"),
        ("TRANSPORT", "logistics"),
        ("Financiële dienstverlening", "finance"),
        ("financiele dienstverlening", "finance"),
        ("Horeca", "hospitality"),
        ("schoonmaak", "business_services"),
        ("business_services", "business_services"),
        ("Industrie en productie", "manufacturing"),
        ("ruimtevaart", OTHER),
        ("  ", None),
        (None, None),
    ],
)
def test_old_free_text_maps_to_a_code(text: str | None, code: str | None) -> None:
    assert to_sector_code(text) == code


def test_requests_take_codes_only_and_never_echo_the_value() -> None:
    adapter: TypeAdapter[str] = TypeAdapter(SectorCode)
    assert adapter.validate_python(" Healthcare ") == "healthcare"
    for bad in ("zorg", "Zorg en welzijn", "", "sector_care"):
        with pytest.raises(ValidationError) as info:
            adapter.validate_python(bad)
        message = info.value.errors()[0]["msg"]
        assert "GET /v1/sectors" in message
        assert "GET /partner/v1/sectors" in message
    assert adapter.json_schema()["enum"] == list(load_sectors().codes)
