"""Triage migrations on PostgreSQL: claims scored before triage_0003 get a read-model row;
every revision downgrades and upgrades again."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from alembic import command

from shared.db.migrate import alembic_config, upgrade
from ww.registry import load_spec

pytestmark = pytest.mark.integration


def test_scores_before_the_read_model_are_backfilled(triage: Any) -> None:
    url = str(triage.container.settings.database_url)
    spec = load_spec("triage")
    triage.container.engine.dispose()
    command.downgrade(alembic_config(url, spec.migrations_dir, "triage"), "triage_0002")
    claim_id = uuid.uuid4()
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for i, segment in enumerate(("personal", "digital")):
        triage.sql(
            "INSERT INTO scores (id, claim_id, office_code, probability, band, segment, "
            "model_version, provisional, intercept, factors, over_55, under_27, trigger, "
            "scored_at) VALUES (:id, :c, 'UTR', 0.5, '50-75', :s, 'provisional-2026.1', true, "
            "0.55, '[]', false, false, 'claim_registered', :t)",
            id=uuid.uuid4(),
            c=claim_id,
            s=segment,
            t=at + dt.timedelta(hours=i),
        )
    upgrade(url, spec.migrations_dir, "triage")
    rows = triage.sql(
        "SELECT registered, status, office_code, current_segment, first_ww_day FROM claims"
    )
    assert rows == [(True, "open", "UTR", "digital", None)]
    scores = triage.client.get(
        f"/v1/claims/{claim_id}/explanation", headers=triage.as_("triage_analyst")
    )
    assert scores.status_code == 200, scores.text
    assert scores.json()["logit"] == pytest.approx(0.55)


def test_downgrade_to_the_initial_schema_and_back(triage: Any) -> None:
    url = str(triage.container.settings.database_url)
    spec = load_spec("triage")
    triage.container.engine.dispose()
    command.downgrade(alembic_config(url, spec.migrations_dir, "triage"), "triage_0001")
    assert triage.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN "
        "('model_versions', 'claims', 'overrides', 'questionnaire_responses', 'batch_runs')"
    ) == [(0,)]
    upgrade(url, spec.migrations_dir, "triage")
    assert triage.sql("SELECT version FROM model_versions WHERE active") == [
        ("werkverkenner-2026.1",)
    ]
