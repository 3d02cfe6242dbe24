"""calendar closures

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-11-27 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "intake_0002"
down_revision: str | None = "intake_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # National closures carry office_code '*' (not NULL), so this one unique constraint
    # refuses duplicates of both kinds on PostgreSQL and SQLite alike.
    op.create_table(
        "calendar_closures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_closures")),
        sa.UniqueConstraint(
            "day", "office_code", name=op.f("uq_calendar_closures_day_office_code")
        ),
    )


def downgrade() -> None:
    op.drop_table("calendar_closures")
