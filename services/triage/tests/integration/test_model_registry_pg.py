"""The model registry on PostgreSQL (issue 4, items 2 and 6: activation).

Decisions tested here:
- The migration registers the shipped model files and activates the default, audited as
  the system; the start-up sync does the same idempotently.
- At most one version is active, enforced by a partial unique index.
- Uploading a fitted model file: admin only; 422 names the failing field; 409 for a known
  version. Activating: admin only, a reason is mandatory, audited with old and new version.
- The CLI (`ww triage import`, `ww triage activate`) works on the service's database and
  audits as `cli:<user>`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from shared.db.audit import Actor
from shared.db.types import utcnow
from triage.registry import service
from triage.scoring import model as core
from ww.cli import app as ww

pytestmark = pytest.mark.integration

DEFAULT = core.DEFAULT_VERSION


def _model_file(version: str = "fitted-2027.1", **changes: Any) -> dict[str, Any]:
    body = core.shipped()[DEFAULT].model_dump(mode="json")
    body.update(version=version, intercept=0.4, **changes)
    return body


def test_migration_registers_and_activates_the_default(triage: Any) -> None:
    rows = triage.sql("SELECT version, active, source, created_by FROM model_versions")
    assert rows == [(DEFAULT, True, "shipped", "triage")]
    audit = triage.sql(
        "SELECT action, actor, actor_kind FROM audit_log WHERE resource_type = 'model_version' "
        "ORDER BY action DESC"
    )
    assert audit == [("model.register", "triage", "system"), ("model.activate", "triage", "system")]


def test_start_up_sync_is_idempotent(triage: Any) -> None:
    with triage.container.uow() as uow:
        added = service.sync_shipped(
            uow=uow, default_version=DEFAULT, actor=Actor.system("triage"), now=utcnow()
        )
    assert added == []
    assert triage.sql("SELECT count(*) FROM model_versions") == [(1,)]
    assert triage.sql("SELECT count(*) FROM audit_log") == [(2,)]


def test_start_up_activates_the_default_when_none_is_active(triage: Any) -> None:
    triage.sql("UPDATE model_versions SET active = false")
    with triage.container.uow() as uow:
        service.sync_shipped(
            uow=uow, default_version=DEFAULT, actor=Actor.system("triage"), now=utcnow()
        )
    assert triage.sql("SELECT version FROM model_versions WHERE active") == [(DEFAULT,)]


def test_the_database_refuses_a_second_active_version(triage: Any) -> None:
    body = _model_file()
    r = triage.client.post("/v1/models", json=body, headers=triage.as_("admin"))
    assert r.status_code == 201, r.text
    with pytest.raises(IntegrityError):
        triage.sql("UPDATE model_versions SET active = true WHERE version = 'fitted-2027.1'")


def test_list_and_read_models(triage: Any) -> None:
    listed = triage.client.get("/v1/models", headers=triage.as_("triage_analyst"))
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 1
    assert page["items"][0]["version"] == DEFAULT
    assert page["items"][0]["active"] is True
    assert "model" not in page["items"][0]

    detail = triage.client.get(f"/v1/models/{DEFAULT}", headers=triage.as_("coach"))
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert "gender" in body["card"]["excluded_attributes"]
    assert body["model"]["intercept"] == pytest.approx(0.55)
    assert triage.client.get("/v1/models/nope", headers=triage.as_("coach")).status_code == 404
    assert triage.client.get("/v1/models", headers=triage.as_("coach")).status_code == 403
    assert (
        triage.client.get(f"/v1/models/{DEFAULT}", headers=triage.as_("claimant")).status_code
        == 403
    )


def test_upload_a_fitted_model(triage: Any) -> None:
    r = triage.client.post("/v1/models", json=_model_file(), headers=triage.as_("admin", sub="ada"))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/v1/models/fitted-2027.1"
    body = r.json()
    assert (body["source"], body["active"], body["created_by"]) == ("fitted", False, "ada")
    again = triage.client.post("/v1/models", json=_model_file(), headers=triage.as_("admin"))
    assert again.status_code == 409
    assert again.json()["type"] == "urn:ww:problem:conflict"
    assert (
        triage.client.post(
            "/v1/models", json=_model_file("x-1"), headers=triage.as_("triage_analyst")
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"features": [{"name": "gender", "kind": "boolean", "labels": {"nl": "g", "en": "g"}}]},
            "features",
        ),
        ({"questionnaire_version": "9"}, "questionnaire_version"),
        ({"intercept": "high"}, "intercept"),
        ({"card": None}, "card"),
        ({"version": "no spaces allowed"}, "version"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_model_files_are_422_naming_the_field(
    triage: Any, change: dict[str, Any], field: str
) -> None:
    body = _model_file()
    body.update(change)
    r = triage.client.post("/v1/models", json=body, headers=triage.as_("admin"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"] == "urn:ww:problem:validation-error"
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert triage.sql("SELECT count(*) FROM model_versions") == [(1,)]


def test_a_feature_error_names_the_feature_path(triage: Any) -> None:
    body = _model_file()
    body["features"][1]["kind"] = "magic"
    r = triage.client.post("/v1/models", json=body, headers=triage.as_("admin"))
    assert r.status_code == 422
    assert "features.1.kind" in {e["field"] for e in r.json()["errors"]}


def test_activate_is_admin_only_audited_and_leaves_one_active(triage: Any) -> None:
    assert (
        triage.client.post(
            "/v1/models", json=_model_file(), headers=triage.as_("admin")
        ).status_code
        == 201
    )
    url = "/v1/models/fitted-2027.1/activate"
    assert (
        triage.client.post(
            url, json={"reason": "fitted"}, headers=triage.as_("triage_analyst")
        ).status_code
        == 403
    )
    missing = triage.client.post(url, json={}, headers=triage.as_("admin"))
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["reason"]
    bsn = triage.client.post(url, json={"reason": "for 111222333"}, headers=triage.as_("admin"))
    assert bsn.status_code == 422

    r = triage.client.post(
        url, json={"reason": "fitted on 2026 outcomes"}, headers=triage.as_("admin", sub="ada")
    )
    assert r.status_code == 200, r.text
    assert (r.json()["active"], r.json()["activated_by"]) == (True, "ada")
    assert triage.sql("SELECT version FROM model_versions WHERE active") == [("fitted-2027.1",)]
    audit = triage.sql(
        "SELECT actor, reason, old_values, new_values FROM audit_log WHERE action = 'model.activate' "
        "AND actor = 'ada'"
    )
    assert audit == [
        (
            "ada",
            "fitted on 2026 outcomes",
            {"active_version": DEFAULT},
            {"active_version": "fitted-2027.1"},
        )
    ]
    assert (
        triage.client.post(url, json={"reason": "again"}, headers=triage.as_("admin")).status_code
        == 409
    )
    unknown = triage.client.post(
        "/v1/models/nope/activate", json={"reason": "x y z"}, headers=triage.as_("admin")
    )
    assert unknown.status_code == 404


def test_new_scores_use_the_active_model(triage: Any, base_answers: dict[str, Any]) -> None:
    body = _model_file()
    assert (
        triage.client.post("/v1/models", json=body, headers=triage.as_("admin")).status_code == 201
    )
    r = triage.client.post(
        "/v1/models/fitted-2027.1/activate", json={"reason": "test"}, headers=triage.as_("admin")
    )
    assert r.status_code == 200
    claim_id = triage.register(claimant="me", age=35)
    scored = triage.submit(claim_id, base_answers, triage.as_("claimant", sub="me"))
    assert scored.status_code == 200, scored.text
    assert scored.json()["score"]["model_version"] == "fitted-2027.1"
    assert scored.json()["score"]["logit"] == pytest.approx(0.4)


def test_cli_import_and_activate(
    triage: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", str(triage.container.settings.database_url))
    monkeypatch.setenv("WW_STATE_DIR", str(triage.container.settings.state_dir))
    path = tmp_path / "fitted.json"
    path.write_text(json.dumps(_model_file("cli-2027.1")), encoding="utf-8")
    runner = CliRunner()

    r = runner.invoke(ww, ["triage", "import", str(path)])
    assert r.exit_code == 0, r.output
    assert runner.invoke(ww, ["triage", "import", str(path)]).exit_code == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**_model_file("bad-1"), "intercept": "x"}), encoding="utf-8")
    bad_run = runner.invoke(ww, ["triage", "import", str(bad)])
    assert bad_run.exit_code == 1
    assert "intercept" in bad_run.output

    assert runner.invoke(ww, ["triage", "activate", "cli-2027.1"]).exit_code != 0  # no reason
    r = runner.invoke(ww, ["triage", "activate", "cli-2027.1", "--reason", "fitted on 2026"])
    assert r.exit_code == 0, r.output
    assert triage.sql("SELECT version, source FROM model_versions WHERE active") == [
        ("cli-2027.1", "fitted")
    ]
    audit = triage.sql(
        "SELECT action, actor_kind, reason FROM audit_log WHERE actor LIKE 'cli:%' ORDER BY action DESC"
    )
    assert audit == [("model.register", "cli", None), ("model.activate", "cli", "fitted on 2026")]
    assert runner.invoke(ww, ["triage", "activate", "nope", "--reason", "x y z"]).exit_code == 1
