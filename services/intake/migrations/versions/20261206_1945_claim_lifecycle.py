"""claim lifecycle: when, on which day and why a claim was closed or withdrawn (issue 12, item 1)

Revision ID: intake_0015
Revises: intake_0007
Create Date: 2026-12-06 19:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "intake_0015"
down_revision: str | None = "intake_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "claims", sa.Column("closed_at", shared.db.types.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("claims", sa.Column("closed_on", sa.Date(), nullable=True))
    op.add_column("claims", sa.Column("close_reason", sa.String(length=40), nullable=True))
    op.add_column("claims", sa.Column("closed_by", sa.String(length=200), nullable=True))
    op.add_column(
        "claims",
        sa.Column("reopen_refused_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("reopen_refused_at")
        batch.drop_column("closed_by")
        batch.drop_column("close_reason")
        batch.drop_column("closed_on")
        batch.drop_column("closed_at")
