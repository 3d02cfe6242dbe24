"""The README walk-through, run literally against `ww embedded` with the demo data.

Regression (issue 12): the README's questionnaire key was wrong (`has_driving_licence`),
its outputs were stale and it never showed the booked intake. This test takes every
```bash block of the walk-through, in order, and runs it in one bash session against a
real embedded system (its own ports and state dir): only the ports, the `ww` path and the
claim id (which differs per run) are substituted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.embedded_proc import EmbeddedSystem, embedded_system

REPO = Path(__file__).resolve().parents[2]
WW = str(Path(sys.executable).with_name("ww"))
FIXED_CLAIM = re.compile(r"^CLAIM=[0-9a-f-]{36}$", re.M)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSystem]:
    with embedded_system(tmp_path_factory.mktemp("readme"), demo=True) as s:
        s.wait_healthy(timeout=90)
        s.wait_for(lambda: "demo data loaded" in s.text(), timeout=90, what="the demo data")
        yield s


def _walkthrough_blocks() -> list[str]:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Walk-through")
    end = readme.index("### Errors are problem+json", start)
    return re.findall(r"```bash\n(.*?)```", readme[start:end], re.S)


def test_the_readme_walkthrough_runs_as_printed(system: EmbeddedSystem) -> None:
    blocks = _walkthrough_blocks()
    assert len(blocks) >= 6
    script = []
    for i, block in enumerate(blocks):
        block = block.replace(".venv/bin/ww", WW)
        for n, service in enumerate(("intake", "triage", "coaching", "starters"), start=1):
            block = block.replace(f"http://127.0.0.1:800{n}", system.urls[service])
        block = FIXED_CLAIM.sub(
            'CLAIM=$(curl -s "' + system.urls["intake"] + '/v1/claims?family_name=de%20Boer" '
            '-H "Authorization: Bearer $TOKEN" | '
            f'{sys.executable} -c \'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])\')',
            block,
        )
        script.append(f"echo '@@ block {i}'\n{block}\necho")
    env = {
        **os.environ,
        "WW_STATE_DIR": str(system.state_dir),
        "INTAKE_PORT": system.urls["intake"].rsplit(":", 1)[1],
    }
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    out = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"@@ block (\d+)\n(.*?)(?=@@ block|\Z)", run.stdout, re.S)
    }
    by_url = dict(enumerate(blocks))
    register = next(i for i, b in by_url.items() if "POST http://127.0.0.1:8001/v1/claims" in b)
    assert "HTTP/1.1 201 Created" in out[register], out[register]
    assert '"questionnaire_answers":{"driving_licence":true}' in out[register]
    booked = next(i for i, b in by_url.items() if "/appointments" in b)
    assert '"status":"booked"' in out[booked], out[booked]
    scores = next(i for i, b in by_url.items() if "8002/v1/claims/$CLAIM/scores" in b)
    assert "(55 of ouder)" in out[scores]
    case = next(i for i, b in by_url.items() if "8003/v1/cases/$CLAIM" in b)
    assert '"status":"open"' in out[case]
    coach = next(i for i, b in by_url.items() if "/v1/coaches" in b)
    assert "HTTP/1.1 201 Created" in out[coach]
    assert "warning" not in run.stderr  # ww token used the system's own state dir
