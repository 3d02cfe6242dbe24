"""merge the partner API branches (clients, candidates, placements)

Revision ID: coaching_0011
Revises: coaching_0008, coaching_0009, coaching_0010
Create Date: 2026-11-28 06:00:00
"""

from collections.abc import Sequence

revision: str = "coaching_0011"
down_revision: str | Sequence[str] | None = ("coaching_0008", "coaching_0009", "coaching_0010")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the three branches touch separate tables."""


def downgrade() -> None:
    """Nothing to change."""
