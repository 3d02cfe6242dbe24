"""case closure, transfers, covering and the claimant's own view

Revision ID: coaching_0003
Revises: coaching_0002
Create Date: 2026-11-28 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0003"
down_revision: str | None = "coaching_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimant_subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("covering_coach_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("covering_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("closed_at", shared.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("closure_result", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("closure_note", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("reopened_at", shared.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("obligation_regime", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("obligation_required", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_cases_claimant_subject"), ["claimant_subject"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cases_covering_coach_id"), ["covering_coach_id"], unique=False
        )
        # A coach's caseload page: their cases, newest first (the bench's query).
        batch_op.create_index("ix_cases_coach_opened", ["coach_id", "opened_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_coach_opened")
        batch_op.drop_index(batch_op.f("ix_cases_covering_coach_id"))
        batch_op.drop_index(batch_op.f("ix_cases_claimant_subject"))
        for column in (
            "obligation_required",
            "obligation_regime",
            "reopened_at",
            "closed_on",
            "closure_note",
            "closure_result",
            "closed_at",
            "covering_until",
            "covering_coach_id",
            "claimant_subject",
        ):
            batch_op.drop_column(column)
