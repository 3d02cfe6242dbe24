"""The bench's messages row runs (a smoke run on PostgreSQL, a few messages).

Nothing here asserts on timing: that the row measures something, that every message
arrived exactly once, that the headline and detail rows render, and that the run leaves
nothing behind (its database, its sink process).
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import create_engine, text

from bench.__main__ import detail_rows, summary_rows
from bench.infra import BenchRun
from bench.messages import MessagesConfig, run_messages
from tests.support.pg import PgDatabases

pytestmark = pytest.mark.integration


def test_messages_row_sends_every_message_once_and_reports_a_ratio(
    pg: PgDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    # BenchRun wants a broker address for its cleanup; this phase creates no Kafka state.
    monkeypatch.setenv("WW_TEST_KAFKA", "127.0.0.1:9")
    run = BenchRun()
    try:
        result = run_messages(run, MessagesConfig(messages=25, plan_batch=10), random.Random(1))
        sink = run.procs.procs[0]
        assert not sink.alive()  # stopped by the phase itself
    finally:
        problems = run.close()
    assert problems == []
    assert "error" not in result, result.get("error")
    check = result["check"]
    assert check["exactly_once"] is True
    assert check["system_distinct_arrived"] == check["system_arrivals"] == 25
    assert check["statuses"] == {"sent/1": 25}
    assert check["delivery_log_rows"] == 25
    assert check["baseline_arrivals"] == check["baseline_expected"] == 50
    system = result["system"]
    assert system["sent"] == 25
    assert system["runs"] >= 2
    # Three commits per message by design (claim, hand-over, record) and two read-only
    # units of work (the appointment check, the bodies), plus a few per send_due run.
    counts, runs = system["engine_counts"], system["runs"]
    assert 3 * 25 <= counts["commit"] <= 3 * 25 + 2 * runs, counts
    assert 2 * 25 <= counts["rollback"] <= 2 * 25 + 2 * runs, counts
    assert result["ratio"] > 0
    assert result["size_bytes"]["min"] > 1000

    phases = {"messages": result}
    row, composing = summary_rows(phases)
    assert row["unit"] == "msg/s"
    assert row["ratio"] == result["ratio"]
    assert composing["ratio"] == result["ratio_to_composing"] > 0
    assert check["composing_arrivals"] == 25
    assert [what for what, _ in detail_rows(phases)] == [
        "messages cost per message",
        "messages exactly once",
        "messages setup",
    ]
    admin = create_engine(run.pg + "postgres")
    try:
        with admin.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM pg_database WHERE datname LIKE :p"),
                {"p": f"%{run.run_id}%"},
            ).scalar()
    finally:
        admin.dispose()
    assert left == 0
