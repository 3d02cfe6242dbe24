"""claim details and idempotency keys

Registration gains the claimant's name, contact details, last employer, the triage
profile fields and optional questionnaire answers, and `Idempotency-Key` responses are
stored. The new claim columns are nullable: claims registered before this revision lack
them (the API requires name and date of birth for new claims).

Revision ID: intake_0003
Revises: intake_0002
Create Date: 2026-11-27 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import shared.db.types

revision: str = "intake_0003"
down_revision: str | None = "intake_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("given_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("family_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("preferred_language", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("last_employer", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("sector", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("hours_lost_per_week", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("years_work_history", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("education_level", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("questionnaire_answers", _JSON, nullable=True))
    # Case-insensitive prefix search (LIKE 'van%') on the family name; PostgreSQL needs the
    # pattern operator class for LIKE under a non-C collation.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_claims_family_name_lower ON claims "
            "(lower(family_name) text_pattern_ops)"
        )
    else:
        op.execute("CREATE INDEX ix_claims_family_name_lower ON claims (lower(family_name))")

    op.create_table(
        "idempotency_keys",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("endpoint", sa.String(length=80), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("response_location", sa.String(length=200), nullable=True),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))
    op.drop_table("idempotency_keys")
    op.execute("DROP INDEX IF EXISTS ix_claims_family_name_lower")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("questionnaire_answers")
        batch_op.drop_column("education_level")
        batch_op.drop_column("years_work_history")
        batch_op.drop_column("hours_lost_per_week")
        batch_op.drop_column("sector")
        batch_op.drop_column("last_employer")
        batch_op.drop_column("preferred_language")
        batch_op.drop_column("phone")
        batch_op.drop_column("email")
        batch_op.drop_column("family_name")
        batch_op.drop_column("given_name")
