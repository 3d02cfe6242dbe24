"""case assignment

Revision ID: coaching_0002
Revises: coaching_0001
Create Date: 2026-11-27 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0002"
down_revision: str | None = "coaching_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sector", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("assignment_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("assignment_reason", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("checkin_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("intake_coach_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("intake_held", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("assigned_at", shared.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_cases_assignment_status"), ["assignment_status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_assignment_status"))
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("intake_held")
        batch_op.drop_column("intake_coach_id")
        batch_op.drop_column("checkin_on")
        batch_op.drop_column("assignment_reason")
        batch_op.drop_column("assignment_status")
        batch_op.drop_column("sector")
