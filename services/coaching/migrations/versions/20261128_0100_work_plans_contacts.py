"""work plans and contact moments

Revision ID: coaching_0004
Revises: coaching_0003
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0004"
down_revision: str | None = "coaching_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_plan_activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=1000), nullable=True),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_by_kind", sa.String(length=20), nullable=False),
        sa.Column("updated_by_kind", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_work_plan_activities_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_plan_activities")),
        sa.UniqueConstraint(
            "case_id",
            "idempotency_key",
            name=op.f("uq_work_plan_activities_case_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("work_plan_activities", schema=None) as batch_op:
        # The plan of one case, by due date (the list's default order).
        batch_op.create_index(
            "ix_work_plan_activities_case_due", ["case_id", "due_on"], unique=False
        )

    op.create_table(
        "contact_moments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("planned_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("planned_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_contact_moments_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_moments")),
        sa.UniqueConstraint(
            "case_id",
            "idempotency_key",
            name=op.f("uq_contact_moments_case_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("contact_moments", schema=None) as batch_op:
        # The contact moments of one case, by planned time (the list's default order).
        batch_op.create_index(
            "ix_contact_moments_case_planned", ["case_id", "planned_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_moments", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_moments_case_planned")
    op.drop_table("contact_moments")
    with op.batch_alter_table("work_plan_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_work_plan_activities_case_due")
    op.drop_table("work_plan_activities")
