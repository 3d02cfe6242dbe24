"""Migration DDL every service shares: the audit_log, outbox and processed_events (inbox) tables.

The four initial migrations (`<svc>_0001`) call these instead of repeating the same blocks; the
DDL is exactly what those migrations emitted before (shared.db.audit.AuditLogMixin and
shared.messaging.tables.OutboxMixin / ProcessedEventMixin are the ORM side). Never change what
these emit: the initial revisions are already applied everywhere, a change goes in a new revision.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import shared.db.types
from shared.db.audit import postgres_append_only_sql

AUDIT_TABLE = "audit_log"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _create_audit_log(op: Operations) -> None:
    op.create_table(
        AUDIT_TABLE,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_roles", _json(), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("resource_type", sa.String(length=80), nullable=False),
        sa.Column("resource_id", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("old_values", _json(), nullable=True),
        sa.Column("new_values", _json(), nullable=True),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table(AUDIT_TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_resource_id"), ["resource_id"], unique=False)


def _create_outbox(op: Operations) -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("message_key", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unpublished",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )


def _create_processed_events(op: Operations) -> None:
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("processed_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("origin_topic", sa.String(length=200), nullable=True),
        sa.Column("origin_partition", sa.Integer(), nullable=True),
        sa.Column("origin_offset", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )


def create_infrastructure_tables(op: Operations) -> None:
    """audit_log (append-only on PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE), outbox
    and processed_events, with their indexes."""
    _create_audit_log(op)
    _create_outbox(op)
    _create_processed_events(op)
    if op.get_bind().dialect.name == "postgresql":
        for statement in postgres_append_only_sql(AUDIT_TABLE):
            op.execute(statement)


def drop_infrastructure_tables(op: Operations) -> None:
    """Undo create_infrastructure_tables: the audit triggers and their function, then the tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unpublished",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox")
    with op.batch_alter_table(AUDIT_TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_resource_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_occurred_at"))

    op.drop_table(AUDIT_TABLE)
