"""caseload_claims: which coach carries a claim's case, from coaching's case.* events

Need to know (ADR 0022): a coach sees the claims of their office and of their caseload;
intake learns the caseload from case.assigned / case.transferred / case.unassigned.
(The revision id carries the ADR number so parallel branches do not collide.)

Revision ID: intake_0022
Revises: intake_0007
Create Date: 2026-12-06 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "intake_0022"
down_revision: str | None = "intake_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caseload_claims",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=True),
        sa.Column("as_of", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_caseload_claims")),
    )
    op.create_index(
        op.f("ix_caseload_claims_coach_id"), "caseload_claims", ["coach_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_caseload_claims_coach_id"), table_name="caseload_claims")
    op.drop_table("caseload_claims")
