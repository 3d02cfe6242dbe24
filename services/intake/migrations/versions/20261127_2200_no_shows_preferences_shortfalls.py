"""no-shows, claimant unavailability and a shortfall log (issue 3, items 4, 8 and 10)

- claims: declared unavailable times (JSON), the no-show count and a coach-attention flag;
- appointments: `summoned` (the rebooked intake after a no-show);
- capacity_shortfalls: one row per shortfall, kept after the claim is booked (KPIs).

Revision ID: intake_0007
Revises: intake_0006
Create Date: 2026-11-27 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db.types

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "intake_0007"
down_revision: str | None = "intake_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("claims", sa.Column("unavailable", _JSON, nullable=True))
    op.add_column(
        "claims",
        sa.Column("no_show_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("claims", sa.Column("attention_reason", sa.String(length=40), nullable=True))
    op.add_column(
        "claims",
        sa.Column("attention_since", shared.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "appointments",
        sa.Column("summoned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "capacity_shortfalls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("detected_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_capacity_shortfalls_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_shortfalls")),
    )
    op.create_index(op.f("ix_capacity_shortfalls_claim_id"), "capacity_shortfalls", ["claim_id"])
    op.create_index(
        "ix_capacity_shortfalls_office_code_detected_at",
        "capacity_shortfalls",
        ["office_code", "detected_at"],
    )
    op.create_index("ix_capacity_shortfalls_detected_at", "capacity_shortfalls", ["detected_at"])


def downgrade() -> None:
    op.drop_table("capacity_shortfalls")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("summoned")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("attention_since")
        batch.drop_column("attention_reason")
        batch.drop_column("no_show_count")
        batch.drop_column("unavailable")
