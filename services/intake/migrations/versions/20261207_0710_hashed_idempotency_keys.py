"""idempotency keys are stored as a keyed hash; drop the rows that hold keys as sent

Revision ID: intake_0024
Revises: intake_0023
Create Date: 2026-12-07 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "intake_0024"
down_revision: str | Sequence[str] | None = "intake_0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """From now on `key` holds HMAC-SHA256(idempotency_key_secret, key) as hex (64 of the
    column's 100 characters). The secret lives in settings, not in the migration, so old
    rows cannot be re-hashed here; they are deleted instead. They are a replay cache of at
    most `idempotency_key_ttl_hours`: a retry across the upgrade registers nothing twice,
    because the one-open-claim-per-BSN index answers it with 409 (ADR 0025)."""
    op.execute("DELETE FROM idempotency_keys")


def downgrade() -> None:
    """Hashed keys cannot be turned back into keys as sent: drop them too."""
    op.execute("DELETE FROM idempotency_keys")
