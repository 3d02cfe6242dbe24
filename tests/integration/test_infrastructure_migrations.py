"""The outbox, processed_events (inbox) and audit_log tables that every initial migration creates
through shared.db.migration_helpers: the same DDL as before the helper, on SQLite and PostgreSQL,
and the same tables as the ORM models.

BEFORE is what the four `<svc>_0001` revisions ran for these tables when each spelled the DDL
out (captured from main at 30ee4b9, identical in all four): every CREATE/DROP statement that names
one of the tables, its indexes or the append-only trigger function, in order."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine

from shared.db.migrate import alembic_config
from tests.support.pg import base_url
from ww.registry import SERVICE_NAMES, load_spec

TABLES = {"audit_log", "outbox", "processed_events"}
NAMES = TABLES | {
    "ix_audit_log_occurred_at",
    "ix_audit_log_resource_id",
    "ix_outbox_unpublished",
    "audit_log_append_only",
}
DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]

BEFORE: dict[str, dict[str, list[str]]] = {
    "sqlite": {
        "up": [
            (
                "CREATE TABLE audit_log (\n"
                "\tid CHAR(32) NOT NULL, \n"
                "\toccurred_at DATETIME NOT NULL, \n"
                "\tactor VARCHAR(200) NOT NULL, \n"
                "\tactor_kind VARCHAR(20) NOT NULL, \n"
                "\tactor_roles JSON NOT NULL, \n"
                "\taction VARCHAR(80) NOT NULL, \n"
                "\tresource_type VARCHAR(80) NOT NULL, \n"
                "\tresource_id VARCHAR(80) NOT NULL, \n"
                "\treason TEXT, \n"
                "\told_values JSON, \n"
                "\tnew_values JSON, \n"
                "\tcorrelation_id VARCHAR(128), \n"
                "\tCONSTRAINT pk_audit_log PRIMARY KEY (id)\n"
                ")"
            ),
            "CREATE INDEX ix_audit_log_occurred_at ON audit_log (occurred_at)",
            "CREATE INDEX ix_audit_log_resource_id ON audit_log (resource_id)",
            (
                "CREATE TABLE outbox (\n"
                "\tseq INTEGER NOT NULL, \n"
                "\tevent_id CHAR(32) NOT NULL, \n"
                "\tevent_type VARCHAR(80) NOT NULL, \n"
                "\ttopic VARCHAR(200) NOT NULL, \n"
                "\tmessage_key VARCHAR(80) NOT NULL, \n"
                "\tbody TEXT NOT NULL, \n"
                "\tcreated_at DATETIME NOT NULL, \n"
                "\tpublished_at DATETIME, \n"
                "\tattempts INTEGER NOT NULL, \n"
                "\tlast_error TEXT, \n"
                "\tCONSTRAINT pk_outbox PRIMARY KEY (seq), \n"
                "\tCONSTRAINT uq_outbox_event_id UNIQUE (event_id)\n"
                ")"
            ),
            "CREATE INDEX ix_outbox_unpublished ON outbox (seq) WHERE published_at IS NULL",
            (
                "CREATE TABLE processed_events (\n"
                "\tconsumer VARCHAR(100) NOT NULL, \n"
                "\tevent_id CHAR(32) NOT NULL, \n"
                "\tevent_type VARCHAR(80) NOT NULL, \n"
                "\tprocessed_at DATETIME NOT NULL, \n"
                "\torigin_topic VARCHAR(200), \n"
                "\torigin_partition INTEGER, \n"
                "\torigin_offset BIGINT, \n"
                "\tCONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id)\n"
                ")"
            ),
        ],
        "down": [
            "DROP TABLE processed_events",
            "DROP INDEX ix_outbox_unpublished",
            "DROP TABLE outbox",
            "DROP INDEX ix_audit_log_resource_id",
            "DROP INDEX ix_audit_log_occurred_at",
            "DROP TABLE audit_log",
        ],
    },
    "postgresql": {
        "up": [
            (
                "CREATE TABLE audit_log (\n"
                "\tid UUID NOT NULL, \n"
                "\toccurred_at TIMESTAMP WITH TIME ZONE NOT NULL, \n"
                "\tactor VARCHAR(200) NOT NULL, \n"
                "\tactor_kind VARCHAR(20) NOT NULL, \n"
                "\tactor_roles JSONB NOT NULL, \n"
                "\taction VARCHAR(80) NOT NULL, \n"
                "\tresource_type VARCHAR(80) NOT NULL, \n"
                "\tresource_id VARCHAR(80) NOT NULL, \n"
                "\treason TEXT, \n"
                "\told_values JSONB, \n"
                "\tnew_values JSONB, \n"
                "\tcorrelation_id VARCHAR(128), \n"
                "\tCONSTRAINT pk_audit_log PRIMARY KEY (id)\n"
                ")"
            ),
            "CREATE INDEX ix_audit_log_occurred_at ON audit_log (occurred_at)",
            "CREATE INDEX ix_audit_log_resource_id ON audit_log (resource_id)",
            (
                "CREATE TABLE outbox (\n"
                "\tseq BIGSERIAL NOT NULL, \n"
                "\tevent_id UUID NOT NULL, \n"
                "\tevent_type VARCHAR(80) NOT NULL, \n"
                "\ttopic VARCHAR(200) NOT NULL, \n"
                "\tmessage_key VARCHAR(80) NOT NULL, \n"
                "\tbody TEXT NOT NULL, \n"
                "\tcreated_at TIMESTAMP WITH TIME ZONE NOT NULL, \n"
                "\tpublished_at TIMESTAMP WITH TIME ZONE, \n"
                "\tattempts INTEGER NOT NULL, \n"
                "\tlast_error TEXT, \n"
                "\tCONSTRAINT pk_outbox PRIMARY KEY (seq), \n"
                "\tCONSTRAINT uq_outbox_event_id UNIQUE (event_id)\n"
                ")"
            ),
            "CREATE INDEX ix_outbox_unpublished ON outbox (seq) WHERE published_at IS NULL",
            (
                "CREATE TABLE processed_events (\n"
                "\tconsumer VARCHAR(100) NOT NULL, \n"
                "\tevent_id UUID NOT NULL, \n"
                "\tevent_type VARCHAR(80) NOT NULL, \n"
                "\tprocessed_at TIMESTAMP WITH TIME ZONE NOT NULL, \n"
                "\torigin_topic VARCHAR(200), \n"
                "\torigin_partition INTEGER, \n"
                "\torigin_offset BIGINT, \n"
                "\tCONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id)\n"
                ")"
            ),
            (
                "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$\n"
                "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql"
            ),
            (
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log\n"
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
            ),
            (
                "CREATE TRIGGER audit_log_append_only_truncate BEFORE TRUNCATE ON audit_log\n"
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
            ),
        ],
        "down": [
            "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_append_only_truncate ON audit_log",
            "DROP FUNCTION IF EXISTS audit_log_append_only()",
            "DROP TABLE processed_events",
            "DROP INDEX ix_outbox_unpublished",
            "DROP TABLE outbox",
            "DROP INDEX ix_audit_log_resource_id",
            "DROP INDEX ix_audit_log_occurred_at",
            "DROP TABLE audit_log",
        ],
    },
}


@contextmanager
def _fresh_database(dialect: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (no migration applied) and its URL."""
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin = create_engine(base_url() + "postgres", isolation_level="AUTOCOMMIT")
    name = f"t_infra_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url() + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _ddl() -> Iterator[list[str]]:
    """The DDL statements about the infrastructure tables that any engine runs meanwhile."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = set(re.findall(r"\w+", statement))
        if statement.split(None, 1)[0].upper() in ("CREATE", "DROP", "ALTER") and NAMES & words:
            statements.append(statement.strip())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_initial_migration_runs_the_infrastructure_ddl_of_before(
    service: str, dialect: str, tmp_path: Path
) -> None:
    with _fresh_database(dialect, tmp_path) as url:
        cfg = alembic_config(url, load_spec(service).migrations_dir, service)
        with _ddl() as up:
            command.upgrade(cfg, f"{service}_0001")
        assert up == BEFORE[dialect]["up"]
        with _ddl() as down:
            command.downgrade(cfg, "base")
        assert down == BEFORE[dialect]["down"]
        engine = create_engine(url)
        try:
            assert set(inspect(engine).get_table_names()) == {f"alembic_version_{service}"}
            if dialect == "postgresql":
                with engine.connect() as conn:
                    left = conn.execute(
                        text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_log_append_only'")
                    ).scalar_one()
                assert left == 0
        finally:
            engine.dispose()


def _about_infrastructure(diff: Any) -> bool:
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item[1:]:
            for candidate in (part, getattr(part, "table", None)):
                name = getattr(candidate, "name", candidate)
                if isinstance(name, str) and name in TABLES:
                    return True
    return False


# SQLite cannot reflect expression indexes (intake's ix_claims_family_name_lower): not ours here.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_migrated_infrastructure_tables_match_the_models(
    service: str, dialect: str, tmp_path: Path
) -> None:
    spec = load_spec(service)
    with _fresh_database(dialect, tmp_path) as url:
        command.upgrade(alembic_config(url, spec.migrations_dir, service), "heads")
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                ctx = MigrationContext.configure(
                    conn, opts={"compare_type": True, "compare_server_default": False}
                )
                diff = compare_metadata(ctx, spec.tables.outbox.metadata)
                triggers = (
                    conn.execute(
                        text(
                            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                            "AND tgrelid = 'audit_log'::regclass ORDER BY 1"
                        )
                    )
                    .scalars()
                    .all()
                    if dialect == "postgresql"
                    else []
                )
            indexes = {
                table: sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspect(engine).get_indexes(table)
                    if "duplicates_constraint" not in i  # PostgreSQL's index of uq_outbox_event_id
                )
                for table in sorted(TABLES)
            }
        finally:
            engine.dispose()
    assert [d for d in diff if _about_infrastructure(d)] == []
    assert indexes == {
        "audit_log": [
            ("ix_audit_log_occurred_at", ("occurred_at",), False),
            ("ix_audit_log_resource_id", ("resource_id",), False),
        ],
        "outbox": [("ix_outbox_unpublished", ("seq",), False)],
        "processed_events": [],
    }
    if dialect == "postgresql":
        assert triggers == ["audit_log_append_only", "audit_log_append_only_truncate"]
