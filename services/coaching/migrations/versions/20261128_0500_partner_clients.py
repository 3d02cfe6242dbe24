"""partner clients, rate-limit windows, idempotency keys and vacancies

Revision ID: coaching_0008
Revises: coaching_0007
Create Date: 2026-11-28 05:00:00

The partner API (docs/partner-api.md): clients with hashed secrets, the per-minute request
counters shared by every replica, stored responses of idempotent requests, and vacancies
with one row per skill for filtering on PostgreSQL and SQLite alike.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db.types

revision: str = "coaching_0008"
down_revision: str | None = "coaching_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "partner_clients",
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("previous_secret_hash", sa.String(length=200), nullable=True),
        sa.Column(
            "previous_secret_expires_at",
            shared.db.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("scopes", _JSON, nullable=False),
        sa.Column("requests_per_minute", sa.Integer(), nullable=False),
        sa.Column("daily_profile_cap", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("suspension_reason", sa.String(length=500), nullable=True),
        sa.Column("suspended_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("secret_rotated_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_partner_clients")),
    )
    op.create_index(op.f("ix_partner_clients_status"), "partner_clients", ["status"], unique=False)

    op.create_table(
        "partner_rate_windows",
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["partner_clients.client_id"],
            name=op.f("fk_partner_rate_windows_client_id_partner_clients"),
        ),
        sa.PrimaryKeyConstraint("client_id", "window_start", name=op.f("pk_partner_rate_windows")),
    )

    op.create_table(
        "partner_idempotency_keys",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", _JSON, nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_idempotency_keys")),
        sa.UniqueConstraint(
            "client_id", "key", name=op.f("uq_partner_idempotency_keys_client_id_key")
        ),
    )
    op.create_index(
        op.f("ix_partner_idempotency_keys_created_at"),
        "partner_idempotency_keys",
        ["created_at"],
        unique=False,
    )

    op.create_table(
        "partner_vacancies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=40), nullable=False),
        sa.Column("postcode", sa.String(length=7), nullable=True),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=True),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("wage_min", sa.Numeric(precision=8, scale=2, asdecimal=False), nullable=True),
        sa.Column("wage_max", sa.Numeric(precision=8, scale=2, asdecimal=False), nullable=True),
        sa.Column("skills", _JSON, nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.Column("closed_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["partner_clients.client_id"],
            name=op.f("fk_partner_vacancies_client_id_partner_clients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_vacancies")),
    )
    for column in ("client_id", "region", "sector", "status"):
        op.create_index(
            op.f(f"ix_partner_vacancies_{column}"), "partner_vacancies", [column], unique=False
        )

    op.create_table(
        "partner_vacancy_skills",
        sa.Column("vacancy_id", sa.Uuid(), nullable=False),
        sa.Column("skill", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["vacancy_id"],
            ["partner_vacancies.id"],
            name=op.f("fk_partner_vacancy_skills_vacancy_id_partner_vacancies"),
        ),
        sa.PrimaryKeyConstraint("vacancy_id", "skill", name=op.f("pk_partner_vacancy_skills")),
    )
    op.create_index(
        op.f("ix_partner_vacancy_skills_skill"), "partner_vacancy_skills", ["skill"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_vacancy_skills_skill"), table_name="partner_vacancy_skills")
    op.drop_table("partner_vacancy_skills")
    for column in ("status", "sector", "region", "client_id"):
        op.drop_index(op.f(f"ix_partner_vacancies_{column}"), table_name="partner_vacancies")
    op.drop_table("partner_vacancies")
    op.drop_index(
        op.f("ix_partner_idempotency_keys_created_at"), table_name="partner_idempotency_keys"
    )
    op.drop_table("partner_idempotency_keys")
    op.drop_table("partner_rate_windows")
    op.drop_index(op.f("ix_partner_clients_status"), table_name="partner_clients")
    op.drop_table("partner_clients")
