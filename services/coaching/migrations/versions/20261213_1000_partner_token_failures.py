"""Token throttling: unproven client authentications per client and caller address

Revision ID: coaching_0015_token_failures
Revises: coaching_0014_no_show_attention
Create Date: 2026-12-13 10:00:00

Issue 13 item 8c (ADR 0023): the token endpoint counts client authentications per client
id (or `~unknown`) and caller address in fixed windows, shared by every replica, and
answers 429 once wrong secrets pass the limit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "coaching_0015_token_failures"
down_revision: str | None = "coaching_0014_no_show_attention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_token_failure_windows",
        sa.Column("client_key", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "client_key",
            "address",
            "window_start",
            name=op.f("pk_partner_token_failure_windows"),
        ),
    )


def downgrade() -> None:
    op.drop_table("partner_token_failure_windows")
