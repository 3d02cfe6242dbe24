"""partner webhooks on the shared delivery mechanism: delivery columns and an attempts log

Revision ID: coaching_0017_webhook_delivery
Revises: coaching_0016_hashed_idem_keys
Create Date: 2026-12-15 10:00:00

Issue 14 item 5 (ADR 0028): `webhook_deliveries` becomes a `shared.delivery` table. Its
rows gain the mechanism's columns (a unique `dedupe_key`, `channel`, the in-flight
`lease_until`, `provider_message_id`, `finished_at`), the status `delivered` is now
`sent`, and `webhook_attempts` logs every attempt. Existing rows get their own id as
`dedupe_key` (new rows: event id and client), `webhook` as channel and, when they had
already ended, the moment they ended as `finished_at`. The attempts log starts empty:
the attempts before the upgrade were never recorded one by one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0017_webhook_delivery"
down_revision: str | None = "coaching_0016_hashed_idem_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = shared.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Nullable first, filled, then made NOT NULL and unique (batch: SQLite rebuilds the table).
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("lease_until", _T, nullable=True))
        batch.add_column(sa.Column("provider_message_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("finished_at", _T, nullable=True))
    op.execute(
        "UPDATE webhook_deliveries SET dedupe_key = CAST(id AS VARCHAR(200)), channel = 'webhook'"
    )
    op.execute("UPDATE webhook_deliveries SET status = 'sent' WHERE status = 'delivered'")
    op.execute(
        "UPDATE webhook_deliveries SET finished_at = coalesce(delivered_at, last_attempt_at, "
        "created_at) WHERE status IN ('sent', 'failed')"
    )
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.alter_column("dedupe_key", existing_type=sa.String(length=200), nullable=False)
        batch.alter_column("channel", existing_type=sa.String(length=20), nullable=False)
        batch.alter_column(
            "status",
            existing_type=sa.String(length=12),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
        batch.create_unique_constraint(op.f("uq_webhook_deliveries_dedupe_key"), ["dedupe_key"])

    # The columns of `shared.delivery.DeliveryAttemptMixin` as of this revision, written out
    # (not `attempt_log_columns()`): a migration must not change when the mixin does later.
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("at", _T, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_attempts_delivery_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    # Back to the three statuses the old dispatcher knew.
    op.execute("UPDATE webhook_deliveries SET status = 'delivered' WHERE status = 'sent'")
    op.execute(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = coalesce("
        "next_attempt_at, last_attempt_at, created_at) WHERE status IN ('sending', 'handed_over')"
    )
    op.execute(
        "UPDATE webhook_deliveries SET status = 'failed' "
        "WHERE status NOT IN ('pending', 'delivered', 'failed')"
    )
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint(op.f("uq_webhook_deliveries_dedupe_key"), type_="unique")
        batch.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=sa.String(length=12),
            existing_nullable=False,
        )
        batch.drop_column("finished_at")
        batch.drop_column("provider_message_id")
        batch.drop_column("lease_until")
        batch.drop_column("channel")
        batch.drop_column("dedupe_key")
