"""Build the system under test: in-process containers, or real `ww` processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from ww.registry import SERVICE_NAMES, load_spec

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def container(
    service: str, *, broker: EmbeddedBroker | None = None, **overrides: Any
) -> ServiceContainer:
    """An in-process container of one service with explicit settings (no env needed)."""
    spec = load_spec(service)
    overrides.setdefault("log_json", True)
    settings = spec.settings_cls(**overrides)
    return ServiceContainer(spec, settings, broker=broker)


def embedded_containers(
    state_dir: Path, *, database_urls: dict[str, str] | None = None, **overrides: Any
) -> dict[str, ServiceContainer]:
    """All four services with one in-process broker, migrated and subscribed: on SQLite,
    or on the given database of each service (PostgreSQL)."""
    broker = EmbeddedBroker()
    urls = database_urls or {}
    cs = {
        s: container(
            s,
            broker=broker,
            state_dir=state_dir,
            transport="embedded",
            **({"database_url": urls[s]} if s in urls else {}),
            **overrides,
        )
        for s in SERVICE_NAMES
    }
    for c in cs.values():
        c.migrate()
    for c in cs.values():
        c.subscribe_embedded()
    return cs


def service_env(
    service: str,
    *,
    state_dir: Path,
    database_url: str | None = None,
    kafka: str | None = None,
    topic_prefix: str = "ww",
    port: int | None = None,
    faults: str = "",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a `ww` subprocess of one service."""
    p = service.upper()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INTAKE_", "TRIAGE_", "COACHING_", "STARTERS_", "WW_FAULTS"))
    }
    env.update(
        {
            "WW_STATE_DIR": str(state_dir),
            "WW_TOPIC_PREFIX": topic_prefix,
            "WW_LOG_LEVEL": "INFO",
            f"{p}_CONSUMER_GROUP": f"{topic_prefix}-{service}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url:
        env[f"{p}_DATABASE_URL"] = database_url
    if kafka:
        env["WW_TRANSPORT"] = "kafka"
        env["WW_KAFKA_BOOTSTRAP"] = kafka
    if port:
        env[f"{p}_PORT"] = str(port)
    if faults:
        env["WW_FAULTS"] = faults
    env.update(extra or {})
    return env


@dataclass
class Proc:
    """A running `ww` subprocess with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM and wait (SIGKILL if it does not stop)."""
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return int(self.popen.returncode)

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to exit by itself."""
        return int(self.popen.wait(timeout))

    def text(self) -> str:
        """Everything it logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Processes:
    """Starts `ww` subprocesses and guarantees they are stopped."""

    log_dir: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        """Start `ww <args>` with the given environment."""
        log = self.log_dir / f"{name}-{len(self.procs)}.log"
        fh = log.open("wb")
        popen = subprocess.Popen(
            [sys.executable, "-m", "ww", *args],
            env=env,
            cwd=REPO,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        """Stop every process started (signal all first, then wait, so they stop in parallel)."""
        for p in self.procs:
            if p.alive():
                p.popen.terminate()
        for p in self.procs:
            p.stop()


@contextmanager
def processes(log_dir: Path) -> Iterator[Processes]:
    """Context manager that stops every started process on exit."""
    ps = Processes(log_dir)
    try:
        yield ps
    finally:
        ps.stop_all()


def wait_until(
    predicate: Any, *, timeout: float, interval: float = 0.2, message: str = "condition"
) -> Any:
    """Poll until predicate() is truthy; fail with a message on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # transient (service still starting)
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last={last!r}")


def wait_healthy(url: str, *, timeout: float = 60, proc: Proc | None = None) -> None:
    """Wait for GET {url}/health to answer 200."""

    def ok() -> bool:
        if proc is not None and not proc.alive():
            raise AssertionError(f"{proc.name} exited:\n{proc.text()[-3000:]}")
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.2)
    raise AssertionError(
        f"{url} not healthy within {timeout}s" + (f"\n{proc.text()[-3000:]}" if proc else "")
    )
