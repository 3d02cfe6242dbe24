"""reminders: when intake.reminder_due went out for an appointment (issue 3, item 9)

A nullable timestamp on the appointment row; `emit_due_reminders` selects active
appointments without one, and a reschedule resets it.

Revision ID: intake_0006
Revises: intake_0005
Create Date: 2026-11-27 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "intake_0006"
down_revision: str | None = "intake_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "appointments",
        sa.Column("reminder_sent_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("reminder_sent_at")
