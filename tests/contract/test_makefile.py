"""`make run` installs only what running needs, and says so while it installs.

Regression (issue 12): the first `make run` installed the dev extras too and was silent
for about two minutes.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _rule(makefile: str, target: str) -> tuple[str, list[str]]:
    """(prerequisites, recipe lines) of one target."""
    m = re.search(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n)*)", makefile, re.M)
    assert m, target
    return m.group(1).strip(), [line.strip() for line in m.group(2).splitlines()]


def test_run_installs_the_runtime_only_with_a_progress_line() -> None:
    makefile = (REPO / "Makefile").read_text()
    prereq, _ = _rule(makefile, "run")
    assert prereq == "$(RUN_STAMP)"
    stamp_prereq, recipe = _rule(makefile, "$(RUN_STAMP)")
    assert "pyproject.toml" in stamp_prereq
    text = "\n".join(recipe)
    assert "pip install -q -e ." in text
    assert "[dev]" not in text
    assert recipe.index(next(r for r in recipe if "echo" in r)) < recipe.index(
        next(r for r in recipe if "pip install" in r)
    ), "the progress line comes before the silent install"


def test_test_lint_and_typecheck_get_the_dev_tools() -> None:
    makefile = (REPO / "Makefile").read_text()
    for target in ("test", "lint", "typecheck", "test-fast", "bench"):
        assert _rule(makefile, target)[0] == "$(DEV_STAMP)", target
    _, recipe = _rule(makefile, "$(DEV_STAMP)")
    assert any("'.[dev]'" in line for line in recipe)


def test_running_needs_nothing_from_the_dev_extras() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = {re.split(r"[<>=\[ ;]", d)[0].lower() for d in project["dependencies"]}
    # What `ww embedded` imports beyond the standard library (its web server, HTTP client
    # for the demo data, and the libraries the services use) is a runtime dependency.
    for needed in ("uvicorn", "httpx", "fastapi", "sqlalchemy", "typer", "scikit-learn"):
        assert needed in runtime, needed
