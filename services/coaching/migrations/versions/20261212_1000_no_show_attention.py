"""No-shows reach the coach; contact moments held early carry their reason

Revision ID: coaching_0014_no_show_attention
Revises: coaching_0013_sectors
Create Date: 2026-12-12 10:00:00

Issue 12 item 3: the case keeps intake's no-show count, whether it is a repeated no-show,
the summons intake booked, and coaching's system override of the segment (a digital case
with a repeated no-show goes to personal service), with the time of the latest human
override so a later human decision wins. A coach task can point at the intake
appointment it is about (one task per case, kind and appointment).

Item 9: a contact moment recorded as held before its planned day keeps the reason given.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0014_no_show_attention"
down_revision: str | None = "coaching_0013_sectors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("no_show_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("no_show_flag", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("last_no_show_at", shared.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("summons_at", shared.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("segment_override", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                "segment_overridden_at", shared.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "human_override_at", shared.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("coach_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appointment_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_coach_tasks_case_id_kind_appointment_id", ["case_id", "kind", "appointment_id"]
        )
    with op.batch_alter_table("contact_moments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("early_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_moments", schema=None) as batch_op:
        batch_op.drop_column("early_reason")
    with op.batch_alter_table("coach_tasks", schema=None) as batch_op:
        batch_op.drop_constraint("uq_coach_tasks_case_id_kind_appointment_id", type_="unique")
        batch_op.drop_column("appointment_id")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("human_override_at")
        batch_op.drop_column("segment_overridden_at")
        batch_op.drop_column("segment_override")
        batch_op.drop_column("summons_at")
        batch_op.drop_column("last_no_show_at")
        batch_op.drop_column("no_show_flag")
        batch_op.drop_column("no_show_count")
