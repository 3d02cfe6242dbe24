"""Composition root of the triage service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.messaging.consumer import Handler
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer, ServiceSpec
from shared.web.app import build_app
from triage.batch import models as _batch_models  # noqa: F401  (register tables)
from triage.claims import models as _claim_models  # noqa: F401
from triage.coaches.models import DIRECTORY as COACH_DIRECTORY
from triage.db import TABLES
from triage.handlers import make_handlers
from triage.overrides import models as _override_models  # noqa: F401
from triage.overrides.router import router as overrides_router
from triage.questionnaires import models as _questionnaire_models  # noqa: F401
from triage.questionnaires.router import router as questionnaire_router
from triage.registry import models as _registry_models  # noqa: F401
from triage.registry.router import router as models_router
from triage.registry.startup import sync_on_start
from triage.reports.router import router as reports_router
from triage.retriage.router import router as retriage_router
from triage.scores import models as _score_models  # noqa: F401
from triage.scores.router import router as scores_router
from triage.settings import TriageSettings

_HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = (
    _HERE / "migrations" if (_HERE / "migrations").exists() else _HERE.parent / "migrations"
)


def _handlers(settings: TriageSettings) -> dict[str, Handler]:
    return make_handlers(threshold=settings.segment_threshold)


SPEC = ServiceSpec(
    name="triage",
    settings_cls=TriageSettings,
    tables=TABLES,
    routers=[
        scores_router,
        questionnaire_router,
        overrides_router,
        models_router,
        retriage_router,
        reports_router,
    ],
    handlers=_handlers,
    # coaching: only its coach.* roster events (ADR 0022); the other types are ignored.
    consumes_from=["intake", "coaching"],
    migrations_dir=MIGRATIONS_DIR,
    coach_directory=COACH_DIRECTORY,
    no_personal_data=frozenset(
        {
            "/v1/questionnaire",
            "/v1/models",
            "/v1/models/{version}",
            "/v1/models/{version}/activate",
            "/v1/reports/monitoring",
            "/v1/admin/retriage/run",
        }
    ),
    title="WW triage service",
    description="Explainable self-reliance scoring and segments; the coach's decision prevails.",
    extra_init=sync_on_start,
    openapi_tags=[
        {"name": "scores", "description": "Self-reliance scores and their explanation"},
        {"name": "questionnaire", "description": "The questionnaire and claims' answers"},
        {"name": "overrides", "description": "The human decision on the segment"},
        {"name": "models", "description": "Model versions and the active model"},
        {"name": "retriage", "description": "Scheduled re-triage after time in WW"},
        {"name": "reports", "description": "Override rates and monitoring"},
    ],
)


def create_app(
    settings: TriageSettings | None = None,
    *,
    broker: EmbeddedBroker | None = None,
    container: ServiceContainer[TriageSettings] | None = None,
) -> FastAPI:
    """Build the triage app."""
    if container is None:
        container = ServiceContainer(
            SPEC, settings or TriageSettings(), broker=broker or EmbeddedBroker()
        )
    return build_app(container)
