"""merge the issue 12 branches (caseload, cancellation reason, deferred intakes, lifecycle)

Revision ID: intake_0023
Revises: intake_0011, intake_0015, intake_0016, intake_0022
Create Date: 2026-12-06 20:05:00
"""

from collections.abc import Sequence

revision: str = "intake_0023"
down_revision: str | Sequence[str] | None = (
    "intake_0011",
    "intake_0015",
    "intake_0016",
    "intake_0022",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the four branches touch separate columns and tables."""


def downgrade() -> None:
    """Nothing to change."""
