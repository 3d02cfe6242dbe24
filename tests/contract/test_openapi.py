"""Each service publishes a complete OpenAPI 3 document; the checked-in copies are current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shared.web.app import build_app
from tests.support.system import embedded_containers
from ww.cli.dev import render_openapi
from ww.registry import SERVICE_NAMES

REPO = Path(__file__).resolve().parents[2]
OPS = {"/health", "/ready", "/metrics"}


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_checked_in_openapi_is_current(service: str) -> None:
    path = REPO / "docs" / "api" / f"{service}.openapi.json"
    assert path.exists(), "run `ww openapi`"
    assert path.read_text() == render_openapi(service), f"{path} is stale: run `ww openapi`"


OAUTH_TOKEN = "/partner/v1/oauth/token"


def test_every_service_serves_openapi_and_docs(state_dir: Path) -> None:
    containers = embedded_containers(state_dir)
    try:
        for name, container in containers.items():
            client = TestClient(build_app(container, manage_lifecycle=False))
            doc = client.get("/openapi.json").json()
            assert doc["openapi"].startswith("3.")
            assert name in doc["info"]["title"]
            assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
            assert "Problem" in doc["components"]["schemas"]
            docs = client.get("/docs")
            assert docs.status_code == 200
            assert "swagger" in docs.text.lower()
            for path, operations in doc["paths"].items():
                if path in OPS:
                    continue
                assert path.startswith(("/v1/", "/partner/v1/")), "URI major version"
                assert "bsn" not in path.lower(), "no personal data in URLs"
                if path == OAUTH_TOKEN:
                    # OAuth2 clients expect RFC 6749 error bodies from the token endpoint.
                    for status in ("400", "401"):
                        assert (
                            "application/json" in operations["post"]["responses"][status]["content"]
                        ), (path, status)
                    continue
                for method, op in operations.items():
                    for status in ("401", "403", "422"):
                        content = op["responses"][status]["content"]
                        assert "application/problem+json" in content, (method, path, status)
    finally:
        for c in containers.values():
            c.stop()


def test_documents_are_valid_json_with_operation_ids() -> None:
    for service in SERVICE_NAMES:
        doc = json.loads(render_openapi(service))
        ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
        assert len(ids) == len(set(ids)), f"{service}: duplicate operationId"
