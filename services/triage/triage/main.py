"""Composition root of the triage service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.messaging.consumer import Handler
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer, ServiceSpec
from shared.settings import ServiceSettings
from shared.web.app import build_app
from triage.db import TABLES
from triage.handlers import make_handlers
from triage.scores import models as _score_models  # noqa: F401  (register tables)
from triage.scores.router import router as scores_router
from triage.settings import TriageSettings

_HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = (
    _HERE / "migrations" if (_HERE / "migrations").exists() else _HERE.parent / "migrations"
)


def _handlers(settings: ServiceSettings) -> dict[str, Handler]:
    assert isinstance(settings, TriageSettings)
    return make_handlers(threshold=settings.segment_threshold)


SPEC = ServiceSpec(
    name="triage",
    settings_cls=TriageSettings,
    tables=TABLES,
    routers=[scores_router],
    handlers=_handlers,
    consumes_from=["intake"],
    migrations_dir=MIGRATIONS_DIR,
    title="WW triage service",
    description="Explainable self-reliance scoring and segments; the coach's decision prevails.",
    openapi_tags=[{"name": "scores", "description": "Self-reliance scores and their explanation"}],
)


def create_app(
    settings: TriageSettings | None = None,
    *,
    broker: EmbeddedBroker | None = None,
    container: ServiceContainer | None = None,
) -> FastAPI:
    """Build the triage app."""
    if container is None:
        container = ServiceContainer(
            SPEC, settings or TriageSettings(), broker=broker or EmbeddedBroker()
        )
    return build_app(container)
