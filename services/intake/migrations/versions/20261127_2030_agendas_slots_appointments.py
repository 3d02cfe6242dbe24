"""agendas, slots, appointments and the unplanned list (issue 3, ADR 0010)

Double booking is refused by the database: partial unique indexes on active appointments
per slot and per claim (PostgreSQL and SQLite alike) and, on PostgreSQL, an exclusion
constraint per coach over the appointment's time range (needs btree_gist, part of
postgresql-contrib; the migration fails when the extension is not available).

Revision ID: intake_0004
Revises: intake_0003
Create Date: 2026-11-27 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "intake_0004"
down_revision: str | None = "intake_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('booked', 'rescheduled')"


def upgrade() -> None:
    op.create_table(
        "agendas",
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("slots_until", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("coach_id", name=op.f("pk_agendas")),
    )
    op.create_table(
        "agenda_blocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_blocks")),
    )
    op.create_index(op.f("ix_agenda_blocks_coach_id"), "agenda_blocks", ["coach_id"])
    op.create_table(
        "agenda_exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_exceptions")),
    )
    op.create_index(op.f("ix_agenda_exceptions_coach_id"), "agenda_exceptions", ["coach_id"])
    op.create_table(
        "slots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.Column("starts_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
        sa.UniqueConstraint("coach_id", "starts_at", name=op.f("uq_slots_coach_id_starts_at")),
    )
    op.create_index(
        "ix_slots_office_code_state_starts_at", "slots", ["office_code", "state", "starts_at"]
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("slot_id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.Column("starts_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("booked_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_appointments_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["slots.id"], name=op.f("fk_appointments_slot_id_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(op.f("ix_appointments_claim_id"), "appointments", ["claim_id"])
    op.create_index(op.f("ix_appointments_slot_id"), "appointments", ["slot_id"])
    op.create_index(op.f("ix_appointments_coach_id"), "appointments", ["coach_id"])
    for name, column in (
        ("uq_appointments_active_slot", "slot_id"),
        ("uq_appointments_active_claim", "claim_id"),
    ):
        op.create_index(
            name,
            "appointments",
            [column],
            unique=True,
            postgresql_where=sa.text(ACTIVE),
            sqlite_where=sa.text(ACTIVE),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_coach_overlap "
            "EXCLUDE USING gist (coach_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            f"WHERE ({ACTIVE})"
        )
    op.create_table(
        "unplanned_claims",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.String(length=10), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("since", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_unplanned_claims_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_unplanned_claims")),
    )
    op.create_index(
        "ix_unplanned_claims_office_code_deadline",
        "unplanned_claims",
        ["office_code", "deadline"],
    )


def downgrade() -> None:
    op.drop_table("unplanned_claims")
    op.drop_table("appointments")
    op.drop_table("slots")
    op.drop_table("agenda_exceptions")
    op.drop_table("agenda_blocks")
    op.drop_table("agendas")
