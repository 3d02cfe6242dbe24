"""model registry: model_versions (at most one active) and the shipped model files

Revision ID: triage_0002
Revises: triage_0001
Create Date: 2026-11-27 23:00:00
"""

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import shared.db.types

revision: str = "triage_0002"
down_revision: str | None = "triage_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=20), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("activated_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activated_by", sa.String(length=200), nullable=True),
        sa.Column("activation_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "source IN ('shipped', 'fitted')", name=op.f("ck_model_versions_source")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_versions")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_model_versions_active",
            ["active"],
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )
    _register_shipped()


def _register_shipped() -> None:
    """Register the model files shipped today and activate the default (audited as system).

    The service does the same at start-up (triage.registry.startup) for files shipped later.
    """
    from triage.scoring import model as core

    now = dt.datetime.now(dt.UTC)
    versions = sa.table(
        "model_versions",
        sa.column("version", sa.String),
        sa.column("questionnaire_version", sa.String),
        sa.column("body", JSON),
        sa.column("checksum", sa.String),
        sa.column("source", sa.String),
        sa.column("created_at", shared.db.types.UTCDateTime(timezone=True)),
        sa.column("created_by", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("activated_at", shared.db.types.UTCDateTime(timezone=True)),
        sa.column("activated_by", sa.String),
        sa.column("activation_reason", sa.Text),
    )
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Uuid),
        sa.column("occurred_at", shared.db.types.UTCDateTime(timezone=True)),
        sa.column("actor", sa.String),
        sa.column("actor_kind", sa.String),
        sa.column("actor_roles", JSON),
        sa.column("action", sa.String),
        sa.column("resource_type", sa.String),
        sa.column("resource_id", sa.String),
        sa.column("reason", sa.Text),
        sa.column("old_values", JSON),
        sa.column("new_values", JSON),
        sa.column("correlation_id", sa.String),
    )
    rows, audits = [], []
    for version, model_file in sorted(core.shipped().items()):
        active = version == core.DEFAULT_VERSION
        digest = hashlib.sha256(core.dump(model_file).encode()).hexdigest()
        rows.append(
            {
                "version": version,
                "questionnaire_version": model_file.questionnaire_version,
                "body": model_file.model_dump(mode="json"),
                "checksum": digest,
                "source": "shipped",
                "created_at": now,
                "created_by": "triage",
                "active": active,
                "activated_at": now if active else None,
                "activated_by": "triage" if active else None,
                "activation_reason": "default model: no version was active" if active else None,
            }
        )
        actions = [("model.register", None)] + (
            [("model.activate", "default model: no version was active")] if active else []
        )
        for action, reason in actions:
            audits.append(
                {
                    "id": uuid.uuid4(),
                    "occurred_at": now,
                    "actor": "triage",
                    "actor_kind": "system",
                    "actor_roles": [],
                    "action": action,
                    "resource_type": "model_version",
                    "resource_id": version,
                    "reason": reason,
                    "old_values": None,
                    "new_values": {"source": "shipped", "checksum": digest}
                    if action == "model.register"
                    else {"active_version": version},
                    "correlation_id": None,
                }
            )
    if rows:
        op.bulk_insert(versions, rows)
        op.bulk_insert(audit, audits)


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_model_versions_active",
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )
    op.drop_table("model_versions")
