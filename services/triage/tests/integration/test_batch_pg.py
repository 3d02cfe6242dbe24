"""`ww triage score-all` on PostgreSQL (issue 4, item 7).

Decisions tested here:
- Every open claim with a complete questionnaire is re-scored with the active model
  (trigger `batch`, one triage.scored each); claims without one are skipped.
- One transaction per chunk with the run's cursor: a run stopped after some chunks
  resumes after the last committed claim and scores nobody twice.
- A new run while one is unfinished is refused (resume or restart); a resumed run whose
  model is no longer active is refused.
- The vectorised (NumPy) path gives the core's results.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from triage.scoring import model as core
from ww.cli import app as ww

pytestmark = pytest.mark.integration


def _env(triage: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", str(triage.container.settings.database_url))
    monkeypatch.setenv("WW_STATE_DIR", str(triage.container.settings.state_dir))


def _stock(triage: Any, base_answers: dict[str, Any], n: int, without: int) -> list[Any]:
    rng = random.Random(3)
    claims = []
    for i in range(n):
        answers = {
            **base_answers,
            "self_efficacy": rng.randint(1, 5),
            "years_work_history": rng.randint(0, 45),
        }
        claims.append(
            triage.register(
                age=rng.randint(18, 66), questionnaire_answers=answers if i >= without else None
            )
        )
    return claims


def test_score_all_in_chunks_resumable(
    triage: Any, base_answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _env(triage, monkeypatch)
    _stock(triage, base_answers, n=23, without=3)
    # A new model version becomes active: the stock is re-scored with it.
    body = core.shipped()[core.DEFAULT_VERSION].model_dump(mode="json")
    body.update(version="fitted-batch", intercept=0.1)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(ww, ["triage", "import", str(path)]).exit_code == 0
    assert (
        runner.invoke(ww, ["triage", "activate", "fitted-batch", "--reason", "new fit"]).exit_code
        == 0
    )

    r = runner.invoke(
        ww, ["triage", "score-all", "--chunk-size", "5", "--max-chunks", "2", "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    assert "paused" in r.output
    assert triage.sql("SELECT count(*) FROM scores WHERE trigger = 'batch'")[0][0] <= 10
    (run,) = triage.sql("SELECT status, scored, skipped, total FROM batch_runs")
    assert run[0] == "running"
    assert run[1] + run[2] == 10
    assert run[3] == 23

    refused = runner.invoke(ww, ["triage", "score-all", "--no-progress"])
    assert refused.exit_code == 1
    assert "--resume" in refused.output

    r = runner.invoke(ww, ["triage", "score-all", "--resume", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "finished" in r.output
    assert triage.sql("SELECT status, scored, skipped FROM batch_runs") == [("finished", 20, 3)]
    rows = triage.sql(
        "SELECT claim_id, count(*), min(model_version), min(logit) FROM scores "
        "WHERE trigger = 'batch' GROUP BY claim_id"
    )
    assert len(rows) == 20
    assert all(r[1] == 1 and r[2] == "fitted-batch" for r in rows)
    batch_events = [e for e in triage.events("triage.scored") if e["data"]["trigger"] == "batch"]
    assert len(batch_events) == 20
    assert {e["data"]["model_version"] for e in batch_events} == {"fitted-batch"}
    assert triage.sql("SELECT count(*) FROM audit_log WHERE action = 'batch.start'") == [(1,)]
    assert runner.invoke(ww, ["triage", "score-all", "--resume", "--no-progress"]).exit_code == 1


def test_batch_scores_equal_single_scores(
    triage: Any, base_answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(triage, monkeypatch)
    _stock(triage, base_answers, n=12, without=0)
    r = CliRunner().invoke(ww, ["triage", "score-all", "--no-progress"])
    assert r.exit_code == 0, r.output
    pairs = triage.sql(
        "SELECT a.probability, b.probability, a.factors = b.factors, a.hindering = b.hindering "
        "FROM scores a JOIN scores b ON a.claim_id = b.claim_id "
        "WHERE a.trigger = 'claim_registered' AND b.trigger = 'batch'"
    )
    assert len(pairs) == 12
    for single, batch, same_factors, same_hindering in pairs:
        assert batch == pytest.approx(single, abs=1e-15)
        assert same_factors
        assert same_hindering


def test_restart_and_a_changed_model(
    triage: Any, base_answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _env(triage, monkeypatch)
    _stock(triage, base_answers, n=6, without=0)
    runner = CliRunner()
    args = ["triage", "score-all", "--chunk-size", "2", "--max-chunks", "1", "--no-progress"]
    assert runner.invoke(ww, args).exit_code == 0
    body = core.shipped()[core.DEFAULT_VERSION].model_dump(mode="json")
    body.update(version="other")
    path = tmp_path / "m.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert runner.invoke(ww, ["triage", "import", str(path)]).exit_code == 0
    assert runner.invoke(ww, ["triage", "activate", "other", "--reason", "switch"]).exit_code == 0
    resumed = runner.invoke(ww, ["triage", "score-all", "--resume", "--no-progress"])
    assert resumed.exit_code == 1
    assert "no longer active" in resumed.output
    r = runner.invoke(ww, ["triage", "score-all", "--restart", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert sorted(triage.sql("SELECT status FROM batch_runs")) == [("abandoned",), ("finished",)]
