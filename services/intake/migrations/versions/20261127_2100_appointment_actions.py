"""appointment actions: what a completed intake covered (issue 3, items 6 and 7)

Reschedule moves the slot on the same appointment row (status `rescheduled`), so the partial
unique indexes of intake_0004 guard the new slot; cancel, no-show and complete only change
the status. Only the completion needs a table.

Revision ID: intake_0005
Revises: intake_0004
Create Date: 2026-11-27 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db.types

revision: str = "intake_0005"
down_revision: str | None = "intake_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "appointment_completions",
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("held_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("within_deadline", sa.Boolean(), nullable=False),
        sa.Column("explained_topics", _JSON, nullable=False),
        sa.Column("obligation_regime", sa.String(length=20), nullable=False),
        sa.Column("claimant_view", sa.Text(), nullable=True),
        sa.Column("questionnaire_answers", _JSON, nullable=True),
        sa.Column("agreed_next_step", sa.Text(), nullable=False),
        sa.Column("completed_by", sa.String(length=200), nullable=False),
        sa.Column("completed_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_completions_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_appointment_completions")),
    )


def downgrade() -> None:
    op.drop_table("appointment_completions")
