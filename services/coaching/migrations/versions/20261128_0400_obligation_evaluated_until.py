"""cases.obligation_evaluated_until: the last day of the latest evaluated period

Revision ID: coaching_0007
Revises: coaching_0006
Create Date: 2026-11-28 04:00:00

The daily evaluation picks its candidate cases by this column (indexed with the status)
instead of grouping the whole obligation_periods table on every chunk. Backfilled from the
periods already evaluated.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coaching_0007"
down_revision: str | None = "coaching_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("obligation_evaluated_until", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_cases_status_evaluated_until",
            ["status", "obligation_evaluated_until"],
            unique=False,
        )
    op.execute(
        "UPDATE cases SET obligation_evaluated_until = ("
        "SELECT max(p.period_end) FROM obligation_periods p WHERE p.case_id = cases.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_evaluated_until")
        batch_op.drop_column("obligation_evaluated_until")
