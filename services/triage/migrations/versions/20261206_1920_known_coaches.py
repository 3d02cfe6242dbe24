"""known_coaches: who is a coach, from coaching's coach.* events

Need to know (ADR 0022): triage refuses coach tokens whose subject is not a coach, or a
deactivated one. (The revision id carries the ADR number so parallel branches do not
collide.)

Revision ID: triage_0022
Revises: triage_0003
Create Date: 2026-12-06 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "triage_0022"
down_revision: str | None = "triage_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_coaches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_coaches")),
    )


def downgrade() -> None:
    op.drop_table("known_coaches")
