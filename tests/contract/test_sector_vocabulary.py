"""One sector vocabulary across the services and the docs (issue 12 item 8): the triage
questionnaire's `last_sector`, the coach roster's sector specialisms and every sector in the
docs' examples are codes of shared/reference/sectors.json."""

from __future__ import annotations

import re
from pathlib import Path

from coaching.assignment.rules import sector_specialism
from coaching.coaches.schemas import Specialism
from shared.reference.sectors import load_sectors
from triage.scoring import questionnaire as q

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "docs" / "api.md", *sorted((REPO / "docs").glob("partner-*.md"))]
# `"sector": "x"`, `"last_sector": "x"` in JSON examples, `sector=x` in query strings.
_JSON = re.compile(r'"(?:last_)?sector"\s*:\s*"([^"]*)"')
_QUERY = re.compile(r"[?&`]sector=([^&`\s)]+)")


def test_the_triage_questionnaire_asks_for_the_same_codes() -> None:
    # Registration prefills `last_sector` with the claim's sector: the lists must agree.
    assert tuple(q.SECTORS) == load_sectors().codes
    for code in load_sectors().codes:
        errors = q.validate(q.CURRENT_VERSION, {"last_sector": code})
        assert "last_sector" not in {e.key for e in errors}, code
    errors = q.validate(q.CURRENT_VERSION, {"last_sector": "zorg"})
    assert "last_sector" in {e.key for e in errors}


def test_every_sector_specialism_of_the_roster_serves_a_sector() -> None:
    served = {s.coach_specialism for s in load_sectors().sectors}
    roster = {s.value for s in Specialism if s.value.startswith("sector_")}
    assert roster <= served, roster - served
    for s in load_sectors().sectors:
        assert sector_specialism(s.code) == s.coach_specialism


def test_the_docs_examples_use_sector_codes() -> None:
    codes = set(load_sectors().codes)
    seen: list[tuple[str, str]] = []
    for doc in DOCS:
        text = doc.read_text("utf-8")
        seen += [(doc.name, v) for v in _JSON.findall(text) + _QUERY.findall(text)]
    assert {name for name, _ in seen} >= {"api.md", "partner-api.md", "partner-candidates.md"}
    bad = [(name, v) for name, v in seen if v not in codes]
    assert not bad, f"sector examples that are not codes of GET /v1/sectors: {bad}"
