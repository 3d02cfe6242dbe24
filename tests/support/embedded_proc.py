"""The whole system as one `python -m ww embedded` subprocess, as `make run` starts it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from tests.support.system import REPO, free_port
from tests.support.tokens import Tokens
from ww.registry import SERVICE_NAMES

_SERVICE_ENV_PREFIXES = (*(f"{s.upper()}_" for s in SERVICE_NAMES), "WW_", "WEB_")


def embedded_env(state_dir: Path, ports: dict[str, int], log_level: str = "INFO") -> dict[str, str]:
    """A clean environment: no inherited service or WW_* settings, private state and ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SERVICE_ENV_PREFIXES)}
    env.update(
        {
            "WW_STATE_DIR": str(state_dir),
            "WW_LOG_LEVEL": log_level,
            "PYTHONUNBUFFERED": "1",
        }
    )
    for service, port in ports.items():
        env[f"{service.upper()}_PORT"] = str(port)
    env["WEB_PORT"] = str(free_port())  # the web front end beside them, never on 8000
    env["INTAKE_SMTP_PORT"] = str(free_port())  # its own mail sink, never on 8025
    return env


@dataclass
class EmbeddedSystem:
    """A running embedded system: URLs, state dir, log file and the process."""

    popen: subprocess.Popen[bytes]
    state_dir: Path
    log: Path
    urls: dict[str, str]
    started_at: float
    _log_handle: BinaryIO | None = field(default=None, repr=False)
    _tokens: Tokens | None = field(default=None, repr=False)

    @property
    def key_file(self) -> Path:
        return self.state_dir / "dev-jwt-key.pem"

    @property
    def tokens(self) -> Tokens:
        """Tokens signed with the key the process created (waits for the file)."""
        if self._tokens is None:
            self.wait_for(lambda: self.key_file.exists(), timeout=60, what="dev-jwt-key.pem")
            # The key is written to a temporary file and hard-linked: once it exists, it is whole.
            self._tokens = Tokens(self.key_file)
        return self._tokens

    def alive(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, predicate: Any, *, timeout: float, what: str, interval: float = 0.1) -> Any:
        """Poll until predicate() is truthy; fail early if the process died."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(
                    f"embedded system exited ({self.popen.returncode}) while waiting for "
                    f"{what}:\n{self.text()[-4000:]}"
                )
            try:
                last = predicate()
            except Exception as exc:  # not ready yet
                last = exc
            if last and not isinstance(last, Exception):
                return last
            time.sleep(interval)
        raise AssertionError(
            f"timed out after {timeout}s waiting for {what}; last={last!r}\n{self.text()[-4000:]}"
        )

    def wait_healthy(self, timeout: float = 60) -> float:
        """Wait until every service's /health answers 200; seconds since the process started."""

        def all_healthy() -> bool:
            for url in self.urls.values():
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
            return True

        self.wait_for(all_healthy, timeout=timeout, what="all four /health endpoints")
        return time.monotonic() - self.started_at

    def interrupt(self, timeout: float = 20) -> int:
        """Ctrl-C (SIGINT) and wait for a clean exit; returns the exit code."""
        if self.alive():
            self.popen.send_signal(signal.SIGINT)
        try:
            return int(self.popen.wait(timeout))
        finally:
            self._close_log()

    def kill(self) -> None:
        """Last resort at teardown."""
        if self.alive():
            self.popen.kill()
            self.popen.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def db(self, service: str) -> Path:
        return self.state_dir / f"{service}.db"

    def query(self, service: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read a service's SQLite database (read-only; safe while the process writes)."""
        uri = f"file:{self.db(service)}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
            return list(conn.execute(sql, params).fetchall())


def start_embedded(
    work_dir: Path, *, demo: bool = False, log_level: str = "INFO"
) -> EmbeddedSystem:
    """Start `python -m ww embedded [--no-demo]` with private ports and state dir."""
    state_dir = work_dir / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    ports = {s: free_port() for s in SERVICE_NAMES}
    log = work_dir / "embedded.log"
    handle = log.open("wb")
    args = [sys.executable, "-m", "ww", "embedded"] + ([] if demo else ["--no-demo"])
    started_at = time.monotonic()
    popen = subprocess.Popen(
        args,
        cwd=REPO,
        env=embedded_env(state_dir, ports, log_level),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    return EmbeddedSystem(
        popen=popen,
        state_dir=state_dir,
        log=log,
        urls={s: f"http://127.0.0.1:{p}" for s, p in ports.items()},
        started_at=started_at,
        _log_handle=handle,
    )


@contextmanager
def embedded_system(
    work_dir: Path, *, demo: bool = False, log_level: str = "INFO"
) -> Iterator[EmbeddedSystem]:
    """Start the system and make sure it is gone afterwards (the test stops it cleanly first)."""
    system = start_embedded(work_dir, demo=demo, log_level=log_level)
    try:
        yield system
    finally:
        if system.alive():
            try:
                system.interrupt(timeout=20)
            except subprocess.TimeoutExpired:
                system.kill()
        system._close_log()
