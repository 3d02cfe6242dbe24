"""Infrastructure for one bench run: databases, topics, subprocesses and bounded waits.

Everything created here carries the run id, and `BenchRun.close()` removes it again:
per-run databases (cloned from migrated templates), a schema in `ww_bench` for the
baseline app, Kafka topics and consumer groups with the run's prefix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, create_engine, text

from shared.db.migrate import upgrade
from tests.support.system import REPO, Proc, Processes
from ww.registry import load_spec

BENCH_DB = "ww_bench"


class BenchError(RuntimeError):
    """A phase could not be measured (a process died, a bounded wait ran out)."""


def pg_base_url() -> str:
    """WW_TEST_PG_URL with a trailing slash (a database name is appended)."""
    url = os.environ.get("WW_TEST_PG_URL")
    if not url:
        raise BenchError("WW_TEST_PG_URL is not set (run `make bench` or scripts/bench.sh)")
    return url if url.endswith("/") else url + "/"


def kafka_bootstrap() -> str:
    """WW_TEST_KAFKA (host:port of the broker)."""
    value = os.environ.get("WW_TEST_KAFKA")
    if not value:
        raise BenchError("WW_TEST_KAFKA is not set (run `make bench` or scripts/bench.sh)")
    return value


def wall() -> float:
    """Wall-clock seconds since the epoch; every process of the run reads the same clock."""
    return time.time()


def to_epoch(value: dt.datetime) -> float:
    """An aware datetime from the database as epoch seconds."""
    return value.timestamp()


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str,
    procs: Sequence[Proc] = (),
) -> Any:
    """Poll until predicate() is truthy; BenchError on timeout or if a watched process died."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        for p in procs:
            if not p.alive():
                raise BenchError(f"{p.name} exited while waiting for {what}:\n{p.text()[-2000:]}")
        try:
            last = predicate()
        except Exception as exc:  # transient: a process is still starting
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}; last={last!r}")


# The run ------------------------------------------------------------------------------


class BenchRun:
    """Owns every resource of one bench run and removes them in close()."""

    def __init__(self, *, keep_logs: bool = False) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.pg = pg_base_url()
        self.kafka = kafka_bootstrap()
        self.dir = REPO / "var" / "bench" / f"run-{self.run_id}"
        self.state_dir = self.dir / "state"
        self.log_dir = self.dir / "logs"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.keep_logs = keep_logs
        self.procs = Processes(self.log_dir)
        self._admin: Engine = create_engine(
            self.pg + "postgres", isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=2
        )
        self._templates: dict[str, str] = {}
        self._databases: list[str] = []
        self._schemas: list[str] = []
        self._topic_prefixes: list[str] = []
        self._groups: list[str] = []
        self._engines: dict[str, Engine] = {}
        self.failed = False

    # databases

    def _template(self, service: str) -> str:
        if service not in self._templates:
            name = f"benchtmpl_{service}_{self.run_id}"
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self._databases.append(name)
            upgrade(self.pg + name, load_spec(service).migrations_dir, service)
            self._templates[service] = name
        return self._templates[service]

    def database(self, service: str, tag: str) -> str:
        """A fresh, migrated database of a service; returns its URL."""
        template = self._template(service)
        name = f"bench_{service}_{self.run_id}_{tag}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self._databases.append(name)
        return self.pg + name

    def baseline_schema(self) -> tuple[str, str]:
        """A fresh schema in ww_bench for the baseline app; returns (url, schema)."""
        schema = f"bench_{self.run_id}"
        url = self.pg + BENCH_DB
        with self.engine(url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self._schemas.append(schema)
        return url, schema

    def engine(self, url: str) -> Engine:
        """A small pooled engine for the bench's own queries (disposed in close())."""
        if url not in self._engines:
            self._engines[url] = create_engine(url, pool_size=2, max_overflow=2)
        return self._engines[url]

    def scalar(self, url: str, sql: str, **params: Any) -> Any:
        """One value from a query."""
        with self.engine(url).connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def execute(self, url: str, sql: str) -> None:
        """One statement outside a transaction (VACUUM, CHECKPOINT)."""
        with self.engine(url).connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(sql))

    def rows(self, url: str, sql: str, **params: Any) -> list[Any]:
        """All rows of a query."""
        with self.engine(url).connect() as conn:
            return list(conn.execute(text(sql), params).all())

    # kafka

    def topic_prefix(self, tag: str) -> str:
        """A topic prefix for one phase; its topics and groups are deleted in close()."""
        prefix = f"bench{self.run_id}{tag}"
        self._topic_prefixes.append(prefix)
        return prefix

    def group(self, name: str) -> str:
        """Remember a consumer group to delete in close()."""
        self._groups.append(name)
        return name

    # processes

    def start_python(self, name: str, module: str, args: list[str], env: dict[str, str]) -> Proc:
        """Start `python -m <module> <args>` (tracked and stopped like the `ww` processes)."""
        log = self.log_dir / f"{name}-{len(self.procs.procs)}.log"
        fh = log.open("wb")
        popen = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=env,
            cwd=REPO,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        fh.close()  # the child holds its own descriptor
        proc = Proc(name, popen, log)
        self.procs.procs.append(proc)
        return proc

    def stop(self, *procs: Proc) -> None:
        """Stop some processes now (SIGTERM, SIGKILL after 20 s)."""
        for p in procs:
            p.stop()

    # teardown

    def close(self) -> list[str]:
        """Stop every process, drop every database/schema/topic/group; returns problems."""
        problems: list[str] = []
        for p in self.procs.procs:
            try:
                p.stop()
            except Exception as exc:
                problems.append(f"stop {p.name}: {exc}")
        for eng in self._engines.values():
            eng.dispose()
        if self._schemas:
            eng = create_engine(self.pg + BENCH_DB, isolation_level="AUTOCOMMIT")
            try:
                with eng.connect() as conn:
                    for schema in self._schemas:
                        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            except Exception as exc:
                problems.append(f"drop schema: {exc}")
            finally:
                eng.dispose()
        for name in reversed(self._databases):
            try:
                with self._admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as exc:
                problems.append(f"drop database {name}: {exc}")
        self._admin.dispose()
        problems.extend(self._delete_kafka_state())
        if not self.keep_logs and not self.failed:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problems

    def _delete_kafka_state(self) -> list[str]:
        if not self._topic_prefixes and not self._groups:
            return []
        from kafka import KafkaAdminClient

        problems: list[str] = []
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.kafka, client_id="ww-bench-cleanup", request_timeout_ms=15000
            )
        except Exception as exc:
            return [f"kafka admin: {exc}"]
        try:
            prefixes = tuple(self._topic_prefixes) or ("\0",)
            topics = [t for t in admin.list_topics() if t.startswith(prefixes)]
            if topics:
                with contextlib.suppress(Exception):
                    admin.delete_topics(topics, timeout_ms=15000)
            ours = [g for g in _group_ids(admin) if g in self._groups or g.startswith(prefixes)]
            if ours:
                # kafka-python 3 renamed delete_consumer_groups to delete_groups.
                delete = getattr(admin, "delete_groups", None) or admin.delete_consumer_groups
                with contextlib.suppress(Exception):
                    delete(ours)
        except Exception as exc:
            problems.append(f"kafka cleanup: {exc}")
        finally:
            admin.close()
        return problems


def _group_ids(admin: Any) -> list[str]:
    """Consumer group ids (kafka-python 3: list_groups of dicts; 2.x: list of tuples)."""
    lister = getattr(admin, "list_groups", None)
    raw = lister() if lister is not None else admin.list_consumer_groups()
    out: list[str] = []
    for g in raw:
        if isinstance(g, dict):
            out.append(str(g.get("group_id")))
        elif isinstance(g, tuple):
            out.append(str(g[0]))
        else:
            out.append(str(getattr(g, "group_id", g)))
    return out
