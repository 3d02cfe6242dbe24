"""job-search obligation: regimes, activities, exemptions, evaluated periods, coach tasks

Revision ID: coaching_0005
Revises: coaching_0004
Create Date: 2026-11-28 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0005"
down_revision: str | None = "coaching_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "obligation_regimes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("regime", sa.String(length=20), nullable=False),
        sa.Column("required", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_obligation_regimes_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligation_regimes")),
        sa.UniqueConstraint(
            "case_id", "starts_on", name=op.f("uq_obligation_regimes_case_id_starts_on")
        ),
    )
    op.create_index(
        op.f("ix_obligation_regimes_case_id"), "obligation_regimes", ["case_id"], unique=False
    )

    op.create_table(
        "job_search_activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("reported_by", sa.String(length=20), nullable=False),
        sa.Column("reported_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_job_search_activities_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_search_activities")),
    )
    # A case's activities by date (the evaluation and the list).
    op.create_index(
        "ix_job_search_activities_case_date",
        "job_search_activities",
        ["case_id", "activity_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_job_search_activities_claim_id"),
        "job_search_activities",
        ["claim_id"],
        unique=False,
    )

    op.create_table(
        "obligation_exemptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligation_exemptions")),
        sa.UniqueConstraint(
            "claim_id",
            "application_id",
            "reason",
            name=op.f("uq_obligation_exemptions_claim_id_application_id_reason"),
        ),
    )
    op.create_index(
        op.f("ix_obligation_exemptions_claim_id"),
        "obligation_exemptions",
        ["claim_id"],
        unique=False,
    )

    op.create_table(
        "obligation_periods",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("regime", sa.String(length=20), nullable=False),
        sa.Column("regime_starts_on", sa.Date(), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("exempt_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("evaluated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_obligation_periods_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligation_periods")),
        # A period is evaluated once.
        sa.UniqueConstraint(
            "case_id", "period_start", name=op.f("uq_obligation_periods_case_id_period_start")
        ),
    )
    # The last evaluated period of a case (the run's due filter).
    op.create_index(
        "ix_obligation_periods_case_end",
        "obligation_periods",
        ["case_id", "period_end"],
        unique=False,
    )

    op.create_table(
        "coach_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=True),
        sa.Column("coach_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_coach_tasks_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_tasks")),
        sa.UniqueConstraint(
            "case_id",
            "kind",
            "period_start",
            name=op.f("uq_coach_tasks_case_id_kind_period_start"),
        ),
    )
    op.create_index(op.f("ix_coach_tasks_case_id"), "coach_tasks", ["case_id"], unique=False)
    op.create_index(op.f("ix_coach_tasks_coach_id"), "coach_tasks", ["coach_id"], unique=False)
    op.create_index(
        op.f("ix_coach_tasks_office_code"), "coach_tasks", ["office_code"], unique=False
    )
    op.create_index("ix_coach_tasks_status_due", "coach_tasks", ["status", "due_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_coach_tasks_status_due", table_name="coach_tasks")
    op.drop_index(op.f("ix_coach_tasks_office_code"), table_name="coach_tasks")
    op.drop_index(op.f("ix_coach_tasks_coach_id"), table_name="coach_tasks")
    op.drop_index(op.f("ix_coach_tasks_case_id"), table_name="coach_tasks")
    op.drop_table("coach_tasks")
    op.drop_index("ix_obligation_periods_case_end", table_name="obligation_periods")
    op.drop_table("obligation_periods")
    op.drop_index(op.f("ix_obligation_exemptions_claim_id"), table_name="obligation_exemptions")
    op.drop_table("obligation_exemptions")
    op.drop_index(op.f("ix_job_search_activities_claim_id"), table_name="job_search_activities")
    op.drop_index("ix_job_search_activities_case_date", table_name="job_search_activities")
    op.drop_table("job_search_activities")
    op.drop_index(op.f("ix_obligation_regimes_case_id"), table_name="obligation_regimes")
    op.drop_table("obligation_regimes")
