"""deferred intakes: claims booked only when their first WW day is near (issue 12, item 9a)

- deferred_intakes: a claim whose first WW day lies further ahead than the booking window;
  the planning run books it from `bookable_from` on.

Revision ID: intake_0016
Revises: intake_0007
Create Date: 2026-12-06 19:30:00.000000

(The revision id carries the ADR number so parallel branches do not collide.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "intake_0016"
down_revision: str | None = "intake_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deferred_intakes",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.Column("bookable_from", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("since", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_deferred_intakes_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_deferred_intakes")),
    )
    op.create_index(
        op.f("ix_deferred_intakes_bookable_from"), "deferred_intakes", ["bookable_from"]
    )


def downgrade() -> None:
    op.drop_table("deferred_intakes")
