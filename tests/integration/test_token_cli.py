"""`ww token`: fast, and it says so when the running system has another state dir.

Regression (issue 12): a token minted with the wrong WW_STATE_DIR was simply refused (401)
with no hint, and `ww token` took about a second because it imported the web stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from shared.messaging.embedded import EmbeddedBroker
from shared.web.app import build_app
from tests.support.system import container, free_port

WW = str(Path(sys.executable).with_name("ww"))


@pytest.fixture
def running_intake(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real intake app on a free loopback port, with its own state dir."""
    state = tmp_path / "running"
    state.mkdir()
    c = container("intake", broker=EmbeddedBroker(), state_dir=state, transport="embedded")
    c.migrate()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(c, manage_lifecycle=False), host="127.0.0.1", port=port)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield port, state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        c.stop()


def _token(state: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WW_STATE_DIR": str(state), "INTAKE_PORT": str(port)}
    return subprocess.run(
        [WW, "token", "--role", "coach", "--sub", "c-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


def test_token_from_another_state_dir_is_called_out(
    running_intake: tuple[int, Path], tmp_path: Path
) -> None:
    port, state = running_intake
    same = _token(state, port)
    assert same.stdout.count(".") == 2  # a JWT
    assert same.stderr == ""
    other = tmp_path / "other"
    wrong = _token(other, port)
    assert wrong.stdout.count(".") == 2
    assert "another state dir" in wrong.stderr
    assert str(other) in wrong.stderr


def test_nothing_running_is_no_warning(tmp_path: Path) -> None:
    done = _token(tmp_path / "alone", free_port())
    assert done.stderr == ""


def test_token_needs_no_web_stack() -> None:
    """What makes it fast: minting imports neither FastAPI nor SQLAlchemy."""
    code = (
        "import sys, time; t = time.perf_counter();"
        "from typer.testing import CliRunner; from ww.cli import app;"
        "r = CliRunner().invoke(app, ['token', '--role', 'admin']);"
        "assert r.exit_code == 0, r.output;"
        "heavy = sorted(m for m in ('fastapi', 'sqlalchemy', 'starlette') if m in sys.modules);"
        "print(heavy, round(time.perf_counter() - t, 3))"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "WW_STATE_DIR": "/tmp/ww-token-test", "INTAKE_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    print(
        f"ww token in-process: {out.strip()}; whole process {time.perf_counter() - started:.2f} s"
    )
    assert out.startswith("[] "), out


def test_a_claimant_token_carries_the_bsn_of_the_sign_in(tmp_path: Path) -> None:
    """ADR 0025: `ww token --role claimant --bsn B` puts B in the token's `bsn` claim (a
    claimant registers only that BSN); the BSN itself is never printed, nor a rejected one."""
    import jwt

    env = {**os.environ, "WW_STATE_DIR": str(tmp_path), "INTAKE_PORT": str(free_port())}
    ok = subprocess.run(
        [WW, "token", "--role", "claimant", "--sub", "c-1", "--bsn", "111 222 333"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    token = ok.stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["bsn"] == "111222333"
    assert "111222333" not in ok.stdout + ok.stderr
    bad = subprocess.run(
        [WW, "token", "--role", "claimant", "--bsn", "123456789"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode != 0
    assert "123456789" not in bad.stdout + bad.stderr
    assert "valid BSN" in bad.stderr
