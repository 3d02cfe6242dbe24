"""Private PostgreSQL clusters and Kafka brokers that a fault test may stop, kill and restart.

The shared PostgreSQL and Kafka of a test run are used by every other test (and, on a
developer's machine, by other checkouts): a test that kills them takes everybody down.
These helpers start a cluster or broker of the test's own through deploy/local/pg.sh and
kafka.sh, in a private WW_STATE_DIR and on ports of its own (the scripts move on to the
next free port when the wanted one is busy), and delete it afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.system import REPO

_SCRIPT_TIMEOUT = 180


def _script(name: str, action: str, env: dict[str, str]) -> str:
    r = subprocess.run(
        ["bash", str(REPO / "deploy/local" / name), action],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=_SCRIPT_TIMEOUT,
        check=False,
    )
    if r.returncode != 0:
        raise AssertionError(f"{name} {action} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def _base_env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WW_PG_", "WW_KAFKA_"))}
    env["WW_STATE_DIR"] = str(state_dir)
    env["WW_LOCAL_QUIET"] = "1"
    env.update(extra)
    return env


@dataclass
class PrivatePg:
    """One PostgreSQL cluster of a test's own (databases ww_intake, ww_triage, ...)."""

    state_dir: Path
    wanted_port: int
    port: int = 0

    @property
    def env(self) -> dict[str, str]:
        return _base_env(self.state_dir, WW_PG_PORT=str(self.port or self.wanted_port))

    def up(self) -> None:
        """Start (initdb on first use); waits until it accepts connections."""
        _script("pg.sh", "up", self.env)
        out = _script("pg.sh", "env", self.env)
        match = re.search(r"WW_PG_PORT=(\d+)", out)
        assert match, out
        self.port = int(match.group(1))

    def down(self) -> None:
        """Stop it (pg_ctl stop -m fast: open connections are cut, data stays)."""
        _script("pg.sh", "down", self.env)

    def reset(self) -> None:
        """Stop and delete the cluster."""
        _script("pg.sh", "reset", self.env)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://ww:ww@127.0.0.1:{self.port}/{database}"

    @property
    def data_dir(self) -> Path:
        location = self.state_dir / "pg.location"
        base = Path(location.read_text()) if location.exists() else self.state_dir / "pg"
        return base / "data"


@dataclass
class PrivateKafka:
    """One single-node Kafka broker of a test's own."""

    state_dir: Path
    wanted_port: int
    port: int = 0

    @property
    def env(self) -> dict[str, str]:
        port = self.port or self.wanted_port
        return _base_env(
            self.state_dir,
            WW_KAFKA_PORT=str(port),
            WW_KAFKA_CONTROLLER_PORT=str(port + 1),
            # A broker killed with SIGKILL never writes its class-data archive: do not try.
            WW_KAFKA_CDS="0",
        )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def up(self) -> None:
        """Start the broker (formats storage on first use); waits until it answers."""
        _script("kafka.sh", "up", self.env)
        out = _script("kafka.sh", "env", self.env)
        match = re.search(r"WW_KAFKA_BOOTSTRAP=127\.0\.0\.1:(\d+)", out)
        assert match, out
        self.port = int(match.group(1))

    def pid(self) -> int:
        return int((self.state_dir / "kafka" / "kafka.pid").read_text().strip())

    def kill(self) -> None:
        """SIGKILL the broker (no controlled shutdown) and wait until it is gone."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            # The broker runs in its own session; once dead it is a zombie of no one of ours
            # (its launcher exited), so /proc tells when it is really gone.
            stat = Path(f"/proc/{pid}/stat")
            if not stat.exists() or stat.read_text().split()[2] == "Z":
                return
            time.sleep(0.1)
        raise AssertionError(f"kafka pid {pid} still alive 30 s after SIGKILL")

    def reset(self) -> None:
        _script("kafka.sh", "reset", self.env)


@contextmanager
def private_pg(wanted_port: int) -> Iterator[PrivatePg]:
    """A running private cluster, deleted on exit.

    Its state dir is made under /var/tmp, world-traversable: run as root, pg.sh runs the
    cluster as the `postgres` user, which cannot enter pytest's private 0700 temp dirs.
    """
    state_dir = Path(tempfile.mkdtemp(prefix="ww-fault-pg-", dir="/var/tmp"))
    state_dir.chmod(0o755)
    cluster = PrivatePg(state_dir, wanted_port)
    try:
        cluster.up()
        yield cluster
    finally:
        try:
            cluster.reset()
        finally:
            shutil.rmtree(state_dir, ignore_errors=True)


@contextmanager
def private_kafka(state_dir: Path, wanted_port: int) -> Iterator[PrivateKafka]:
    """A running private broker, deleted on exit."""
    state_dir.mkdir(parents=True, exist_ok=True)
    broker = PrivateKafka(state_dir, wanted_port)
    try:
        broker.up()
        yield broker
    finally:
        broker.reset()
