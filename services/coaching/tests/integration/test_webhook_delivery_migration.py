"""Migration coaching_0017 (webhooks on shared.delivery) with rows in the old shape, on
SQLite and PostgreSQL: up fills the new columns and maps `delivered` to `sent`, makes
`dedupe_key` unique; down maps back; up again works."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from shared.db.migrate import alembic_config
from tests.support.pg import PgDatabases
from ww.registry import load_spec

pytestmark = pytest.mark.integration

BEFORE = "coaching_0016_hashed_idem_keys"
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path, pg: PgDatabases) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'coaching.db'}"
    return pg.create("coaching")  # at head: the test goes down first


def _config(url: str) -> Config:
    return alembic_config(url, load_spec("coaching").migrations_dir, "coaching")


def test_old_deliveries_survive_the_move_to_shared_delivery(url: str) -> None:
    cfg = _config(url)
    if url.startswith("sqlite"):
        command.upgrade(cfg, BEFORE)
    else:
        command.downgrade(cfg, BEFORE)
    engine = sa.create_engine(url)
    ids = {status: uuid.uuid4() for status in ("pending", "delivered", "failed")}
    is_pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for status, row_id in ids.items():
            conn.execute(
                sa.text(
                    "INSERT INTO webhook_deliveries (id, client_id, event_type, payload, status, "
                    "attempts, next_attempt_at, last_attempt_at, delivered_at, created_at) "
                    "VALUES (:id, 'agency', 'consent.withdrawn', :payload, :status, 1, :next, "
                    ":at, :delivered, :created)"
                ),
                {
                    "id": row_id if is_pg else row_id.hex,
                    "payload": json.dumps({"id": str(uuid.uuid4())}),
                    "status": status,
                    "next": T0 if status == "pending" else None,
                    "at": T0,
                    "delivered": T0 if status == "delivered" else None,
                    "created": T0,
                },
            )

    command.upgrade(cfg, "heads")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status, channel, dedupe_key, finished_at IS NOT NULL, lease_until, "
                "provider_message_id FROM webhook_deliveries ORDER BY status"
            )
        ).all()
        assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
            ("failed", "webhook", True, None, None),
            ("pending", "webhook", False, None, None),
            ("sent", "webhook", True, None, None),
        ]
        assert len({r[2] for r in rows}) == 3  # each its own key (from its id)
        assert conn.execute(sa.text("SELECT count(*) FROM webhook_attempts")).scalar() == 0
        inspector = sa.inspect(conn)
        uniques = {u["name"] for u in inspector.get_unique_constraints("webhook_deliveries")}
        assert "uq_webhook_deliveries_dedupe_key" in uniques
        indexes = {i["name"] for i in inspector.get_indexes("webhook_attempts")}
        assert indexes == {"ix_webhook_attempts_delivery_id"}
        columns = {c["name"]: c for c in inspector.get_columns("webhook_deliveries")}
        assert columns["dedupe_key"]["nullable"] is False
        assert columns["channel"]["nullable"] is False
    key = rows[0][2]
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(
            sa.text(
                "INSERT INTO webhook_deliveries (id, dedupe_key, channel, client_id, event_type, "
                "payload, status, attempts, created_at) VALUES (:id, :key, 'webhook', 'agency', "
                "'consent.withdrawn', '{}', 'pending', 0, :created)"
            ),
            {"id": uuid.uuid4() if is_pg else uuid.uuid4().hex, "key": key, "created": T0},
        )

    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        statuses = conn.execute(
            sa.text("SELECT status FROM webhook_deliveries ORDER BY status")
        ).scalars()
        assert list(statuses) == ["delivered", "failed", "pending"]
        assert "webhook_attempts" not in sa.inspect(conn).get_table_names()
    command.upgrade(cfg, "heads")
    engine.dispose()
