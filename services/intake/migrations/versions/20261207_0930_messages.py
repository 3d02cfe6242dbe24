"""messages to the claimant (issue 14, ADR 0028): postal address and contact preferences on
the claim, messages with their delivery log, message triggers, print batches, and the
offices' contact details seeded from the shipped reference file

Revision ID: intake_0025
Revises: intake_0024
Create Date: 2026-12-07 09:30:00
"""

import datetime as dt
import json
from collections.abc import Sequence
from importlib import resources

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.delivery.models import attempt_log_columns, delivery_columns

revision: str = "intake_0025"
down_revision: str | Sequence[str] | None = "intake_0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = shared.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("claims", sa.Column("street", sa.String(100), nullable=True))
    op.add_column("claims", sa.Column("house_number", sa.String(12), nullable=True))
    op.add_column("claims", sa.Column("city", sa.String(80), nullable=True))
    op.add_column("claims", sa.Column("contact_preference", sa.String(10), nullable=True))
    op.add_column(
        "claims",
        sa.Column(
            "sms_notifications", sa.Boolean(), nullable=False, server_default=sa.text("true")
        ),
    )
    op.create_table(
        "messages",
        *delivery_columns(),
        sa.Column("claim_id", sa.Uuid(), sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=True),
        sa.Column("source_event_id", sa.Uuid(), nullable=True),
        sa.Column("source_event_type", sa.String(80), nullable=True),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("appointment_starts_at", UTC, nullable=True),
        sa.Column("announced_appointment_id", sa.Uuid(), nullable=True),
        sa.Column("office_code", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("ics", sa.Text(), nullable=True),
        sa.Column("letter_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("letter_pages", sa.Integer(), nullable=True),
        sa.Column("fallback_for_id", sa.Uuid(), nullable=True),
        sa.Column("resend_of_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_messages_status_next", "messages", ["status", "next_attempt_at"])
    op.create_index("ix_messages_claim_created", "messages", ["claim_id", "created_at"])
    op.create_index("ix_messages_announced", "messages", ["announced_appointment_id"])
    op.create_table("message_attempts", *attempt_log_columns())
    op.create_table(
        "message_triggers",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("data", shared.db.types.JSONType, nullable=True),
        sa.Column("occurred_at", UTC, nullable=False),
    )
    op.create_table(
        "print_batches",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False, index=True),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    contacts = op.create_table(
        "office_contacts",
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("street", sa.String(100), nullable=False),
        sa.Column("house_number", sa.String(12), nullable=False),
        sa.Column("postcode", sa.String(7), nullable=False),
        sa.Column("city", sa.String(80), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("route_nl", sa.String(500), nullable=False),
        sa.Column("route_en", sa.String(500), nullable=False),
        sa.Column("opening_hours_nl", sa.String(200), nullable=False),
        sa.Column("opening_hours_en", sa.String(200), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    assert contacts is not None
    op.bulk_insert(contacts, _seed_rows())


def _seed_rows() -> list[dict[str, object]]:
    """The offices' contact details as shipped (intake/messages/data/office_contacts.json),
    frozen into this migration's run; later changes go through the API."""
    names = {
        o["code"]: o["name"]
        for o in json.loads(
            resources.files("shared.reference").joinpath("offices.json").read_text("utf-8")
        )["offices"]
    }
    data = json.loads(
        resources.files("intake.messages").joinpath("data/office_contacts.json").read_text("utf-8")
    )
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, object]] = []
    for o in data["offices"]:
        rows.append(
            {
                "code": o["code"],
                "name": names.get(o["code"], o["code"]),
                "street": o["street"],
                "house_number": str(o["house_number"]),
                "postcode": o["postcode"],
                "city": o["city"],
                "phone": o["phone"],
                "email": o["email"],
                "route_nl": o["route"]["nl"],
                "route_en": o["route"]["en"],
                "opening_hours_nl": o["opening_hours"]["nl"],
                "opening_hours_en": o["opening_hours"]["en"],
                "updated_at": now,
            }
        )
    return rows


def downgrade() -> None:
    op.drop_table("office_contacts")
    op.drop_table("print_batches")
    op.drop_table("message_triggers")
    op.drop_table("message_attempts")
    op.drop_index("ix_messages_announced", table_name="messages")
    op.drop_index("ix_messages_claim_created", table_name="messages")
    op.drop_index("ix_messages_status_next", table_name="messages")
    op.drop_table("messages")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("sms_notifications")
        batch.drop_column("contact_preference")
        batch.drop_column("city")
        batch.drop_column("house_number")
        batch.drop_column("street")
