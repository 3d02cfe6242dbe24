"""a claimant's cancellation is kept on the appointment (issue 12, item 6)

- appointments: `cancel_reason` and `cancelled_at`, so the booking rules can honour the
  reason (no rebooking into the cancelled slot; after illness a pause before the next slot).

Revision ID: intake_0011
Revises: intake_0007
Create Date: 2026-12-06 19:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "intake_0011"
down_revision: str | None = "intake_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("appointments", sa.Column("cancel_reason", sa.String(length=24), nullable=True))
    op.add_column(
        "appointments",
        sa.Column("cancelled_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("cancelled_at")
        batch.drop_column("cancel_reason")
