"""idempotency keys are stored as a keyed hash; drop the keys stored as sent

Revision ID: coaching_0016_hashed_idem_keys
Revises: coaching_0015_token_failures
Create Date: 2026-12-07 07:25:00
"""

from __future__ import annotations

from alembic import op

revision: str = "coaching_0016_hashed_idem_keys"
down_revision: str | None = "coaching_0015_token_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Keys are now HMAC-SHA256(idempotency_key_secret, key) as hex. The secret is not
    available here, so keys stored as sent are removed: the partner replay cache is
    emptied and the keys on contact moments and work-plan activities are cleared (those
    rows stay; only a retry of their creation across the upgrade is no longer recognised).
    See ADR 0025."""
    op.execute("DELETE FROM partner_idempotency_keys")
    op.execute("UPDATE contact_moments SET idempotency_key = NULL")
    op.execute("UPDATE work_plan_activities SET idempotency_key = NULL")


def downgrade() -> None:
    """Hashed keys cannot be turned back into keys as sent; they stay (harmless)."""
