"""work resumption reports

Revision ID: coaching_0006
Revises: coaching_0005
Create Date: 2026-11-28 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0006"
down_revision: str | None = "coaching_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_resumptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("via_temp_agency", sa.Boolean(), nullable=False),
        sa.Column("reported_by", sa.String(length=20), nullable=False),
        sa.Column("partner_client_id", sa.String(length=100), nullable=True),
        sa.Column("closed_case", sa.Boolean(), nullable=False),
        sa.Column("reported_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_work_resumptions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_resumptions")),
    )
    op.create_index(
        op.f("ix_work_resumptions_case_id"), "work_resumptions", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_resumptions_claim_id"), "work_resumptions", ["claim_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_work_resumptions_claim_id"), table_name="work_resumptions")
    op.drop_index(op.f("ix_work_resumptions_case_id"), table_name="work_resumptions")
    op.drop_table("work_resumptions")
