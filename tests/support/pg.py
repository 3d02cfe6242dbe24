"""Per-test PostgreSQL databases cloned from a migrated template (real migrations, no create_all)."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from shared.db.migrate import upgrade
from ww.registry import SERVICE_NAMES, load_spec


def base_url() -> str:
    """WW_TEST_PG_URL, e.g. postgresql+psycopg://ww:ww@127.0.0.1:55432/ (a db name is appended)."""
    url = os.environ.get("WW_TEST_PG_URL")
    if not url:
        pytest.fail(
            "WW_TEST_PG_URL is not set: run `make test` (it starts PostgreSQL via deploy/local) "
            "or export it from `bash deploy/local/pg.sh env`",
            pytrace=False,
        )
    return url if url.endswith("/") else url + "/"


class PgDatabases:
    """Creates databases from per-service templates and drops them afterwards."""

    def __init__(self) -> None:
        self.base = base_url()
        self.run_id = uuid.uuid4().hex[:8]
        self._admin: Engine = create_engine(
            self.base + "postgres", isolation_level="AUTOCOMMIT", pool_size=2
        )
        self._templates: dict[str, str] = {}
        self._created: list[str] = []

    def _template(self, service: str) -> str:
        if service not in self._templates:
            name = f"tmpl_{service}_{self.run_id}"
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            upgrade(self.base + name, load_spec(service).migrations_dir, service)
            self._templates[service] = name
        return self._templates[service]

    def create(self, service: str) -> str:
        """A fresh, migrated database for one service; returns its URL."""
        template = self._template(service)
        name = f"t_{service}_{uuid.uuid4().hex[:10]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self._created.append(name)
        return self.base + name

    def create_all(self) -> dict[str, str]:
        """One fresh database per service."""
        return {s: self.create(s) for s in SERVICE_NAMES}

    def drop(self, name: str) -> None:
        """Drop a database, disconnecting anyone still on it."""
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        """Drop everything this run created (a few at a time: each drop waits on disk)."""

        def drop_quietly(name: str) -> None:
            try:
                self.drop(name)
            except Exception:  # best effort at teardown
                pass

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(drop_quietly, self._created))
        for name in self._templates.values():  # after every copy of them is gone
            drop_quietly(name)
        self._admin.dispose()
