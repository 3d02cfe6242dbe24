"""partner search: an index on region and sector together

Revision ID: coaching_0012
Revises: coaching_0011
Create Date: 2026-11-28 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coaching_0012"
down_revision: str | None = "coaching_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_partner_profiles_search_region_sector",
        "partner_profiles",
        ["region", "sector", "candidate_ref"],
        postgresql_where=sa.text("searchable"),
        sqlite_where=sa.text("searchable = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_partner_profiles_search_region_sector", table_name="partner_profiles")
