"""placements reported by temp agencies (partner API, issue 7 item 5)

Revision ID: coaching_0010
Revises: coaching_0007
Create Date: 2026-11-28 05:20:00

A parallel branch next to the other partner-API revisions; `upgrade heads` applies all of
them and a merge revision joins them later. The reward ledger is a query over this table
by (partner_client_id, start_date), hence the index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0010"
down_revision: str | None = "coaching_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "placements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_client_id", sa.String(length=100), nullable=False),
        sa.Column("candidate_ref", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("hourly_wage_cents", sa.Integer(), nullable=False),
        sa.Column("contract_type", sa.String(length=20), nullable=False),
        sa.Column("resumption", sa.String(length=10), nullable=False),
        sa.Column("new_registration", sa.Boolean(), nullable=False),
        sa.Column("work_resumption_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("closed_case", sa.Boolean(), nullable=False),
        sa.Column("reported_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_placements_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["work_resumption_id"],
            ["work_resumptions.id"],
            name=op.f("fk_placements_work_resumption_id_work_resumptions"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["job_search_activities.id"],
            name=op.f("fk_placements_activity_id_job_search_activities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
    )
    op.create_index(op.f("ix_placements_case_id"), "placements", ["case_id"], unique=False)
    op.create_index(op.f("ix_placements_claim_id"), "placements", ["claim_id"], unique=False)
    op.create_index("ix_placements_client_start", "placements", ["partner_client_id", "start_date"])
    op.create_index(
        "ix_placements_client_reported", "placements", ["partner_client_id", "reported_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_placements_client_reported", table_name="placements")
    op.drop_index("ix_placements_client_start", table_name="placements")
    op.drop_index(op.f("ix_placements_claim_id"), table_name="placements")
    op.drop_index(op.f("ix_placements_case_id"), table_name="placements")
    op.drop_table("placements")
