"""Composition root of the starters service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer, ServiceSpec
from shared.web.app import build_app
from starters.applications import models as _application_models  # noqa: F401  (register tables)
from starters.applications.router import router as applications_router
from starters.claims import models as _claim_models  # noqa: F401
from starters.coaches.models import DIRECTORY as COACH_DIRECTORY
from starters.db import TABLES
from starters.handlers import HANDLERS
from starters.jobs_router import router as jobs_router
from starters.parameters import models as _parameter_models  # noqa: F401
from starters.parameters.router import router as parameters_router
from starters.settings import StartersSettings

_HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = (
    _HERE / "migrations" if (_HERE / "migrations").exists() else _HERE.parent / "migrations"
)

SPEC = ServiceSpec(
    name="starters",
    settings_cls=StartersSettings,
    tables=TABLES,
    routers=[applications_router, parameters_router, jobs_router],
    handlers=HANDLERS,
    consumes_from=["intake", "coaching"],
    migrations_dir=MIGRATIONS_DIR,
    coach_directory=COACH_DIRECTORY,
    no_personal_data=frozenset(
        {
            "/v1/starters/simulation",
            "/v1/starters/parameters",
            "/v1/admin/starters/reminders/run",
        }
    ),
    title="WW starters service",
    description="The starters scheme: research period, start period, benefit schedule, revival.",
    openapi_tags=[
        {"name": "starters", "description": "Applications, decisions, schedules, what-if"},
        {"name": "parameters", "description": "Dated parameters of the scheme"},
        {"name": "jobs", "description": "Scheduled work"},
    ],
)


def create_app(
    settings: StartersSettings | None = None,
    *,
    broker: EmbeddedBroker | None = None,
    container: ServiceContainer | None = None,
) -> FastAPI:
    """Build the starters app."""
    if container is None:
        container = ServiceContainer(
            SPEC, settings or StartersSettings(), broker=broker or EmbeddedBroker()
        )
    return build_app(container)
