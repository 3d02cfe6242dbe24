"""docs/api.md names only query parameters the routes have.

Regression (issue 12): the calendar deadline row described parameters the endpoint never
had. A row written as `GET /path?a=&b=[&c=]` is checked against the checked-in OpenAPI
documents: the path exists for GET and every named parameter is one of its parameters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROW = re.compile(r"`GET (/[^`?\s]+)\?([^`]*)`")


def _query_params() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for doc in (REPO / "docs" / "api").glob("*.openapi.json"):
        for path, ops in json.loads(doc.read_text())["paths"].items():
            if "get" in ops:
                out[path] = {p["name"] for p in ops["get"].get("parameters", [])}
    return out


def test_documented_query_parameters_exist() -> None:
    known = _query_params()
    rows = ROW.findall((REPO / "docs" / "api.md").read_text())
    assert any(path == "/v1/calendar/deadline" for path, _ in rows)
    for path, query in rows:
        assert path in known, f"docs/api.md documents GET {path}, which no service serves"
        names = set(re.findall(r"([A-Za-z_]+)=", query))
        assert names, path
        assert names <= known[path], f"GET {path}: {sorted(names - known[path])} not parameters"


def test_the_deadline_row_names_every_parameter() -> None:
    rows = dict(ROW.findall((REPO / "docs" / "api.md").read_text()))
    named = set(re.findall(r"([A-Za-z_]+)=", rows["/v1/calendar/deadline"]))
    assert named == _query_params()["/v1/calendar/deadline"]
