"""partner candidates: consented profiles, search log, daily views, webhooks (issue 7)

Revision ID: coaching_0009
Revises: coaching_0007
Create Date: 2026-11-28 05:10:00

A parallel branch next to the other partner-API revisions; `upgrade heads` applies all of
them and a merge revision joins them later.

The candidate search runs over `partner_profiles` alone (500k consenting claimants in the
bench): partial indexes on the searchable rows, each ending in `candidate_ref` (the stable
sort and keyset cursor), and on PostgreSQL a GIN index over the JSONB skills.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "coaching_0009"
down_revision: str | None = "coaching_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEARCHABLE = {
    "postgresql_where": sa.text("searchable"),
    "sqlite_where": sa.text("searchable = 1"),
}


def upgrade() -> None:
    json_type = shared.db.types.JSONType
    op.create_table(
        "partner_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_ref", sa.Uuid(), nullable=False),
        sa.Column("visibility", sa.String(length=12), nullable=False),
        sa.Column("case_open", sa.Boolean(), nullable=False),
        sa.Column("searchable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("skills", json_type, nullable=False),
        sa.Column("hours_per_week", sa.Integer(), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column("region", sa.String(length=2), nullable=True),
        sa.Column("sector", sa.String(length=80), nullable=True),
        sa.Column("consent_changed_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_partner_profiles_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_profiles")),
        sa.UniqueConstraint("candidate_ref", name=op.f("uq_partner_profiles_candidate_ref")),
        sa.UniqueConstraint("case_id", name=op.f("uq_partner_profiles_case_id")),
    )
    op.create_index(
        "ix_partner_profiles_search_ref", "partner_profiles", ["candidate_ref"], **_SEARCHABLE
    )
    op.create_index(
        "ix_partner_profiles_search_sector",
        "partner_profiles",
        ["sector", "candidate_ref"],
        **_SEARCHABLE,
    )
    op.create_index(
        "ix_partner_profiles_search_region",
        "partner_profiles",
        ["region", "candidate_ref"],
        **_SEARCHABLE,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_partner_profiles_search_skills",
            "partner_profiles",
            ["skills"],
            postgresql_using="gin",
            postgresql_where=sa.text("searchable"),
        )

    op.create_table(
        "partner_search_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filters", json_type, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("candidate_refs", json_type, nullable=False),
        sa.Column("at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_search_log")),
    )
    op.create_index("ix_partner_search_log_client_at", "partner_search_log", ["client_id", "at"])

    op.create_table(
        "partner_profile_views",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("candidate_ref", sa.Uuid(), nullable=False),
        sa.Column("first_seen_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "client_id", "day", "candidate_ref", name=op.f("pk_partner_profile_views")
        ),
    )
    op.create_index(
        op.f("ix_partner_profile_views_candidate_ref"),
        "partner_profile_views",
        ["candidate_ref"],
        unique=False,
    )

    op.create_table(
        "webhook_endpoints",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_webhook_endpoints")),
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", json_type, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_attempt_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_status_next", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_client_created", "webhook_deliveries", ["client_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_client_created", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_next", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_index(
        op.f("ix_partner_profile_views_candidate_ref"), table_name="partner_profile_views"
    )
    op.drop_table("partner_profile_views")
    op.drop_index("ix_partner_search_log_client_at", table_name="partner_search_log")
    op.drop_table("partner_search_log")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_partner_profiles_search_skills", table_name="partner_profiles")
    op.drop_index("ix_partner_profiles_search_region", table_name="partner_profiles")
    op.drop_index("ix_partner_profiles_search_sector", table_name="partner_profiles")
    op.drop_index("ix_partner_profiles_search_ref", table_name="partner_profiles")
    op.drop_table("partner_profiles")
