"""Composition root of the starters service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer, ServiceSpec
from shared.web.app import build_app
from starters.claims import models as _claim_models  # noqa: F401  (register tables)
from starters.db import TABLES
from starters.handlers import HANDLERS
from starters.settings import StartersSettings

_HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = (
    _HERE / "migrations" if (_HERE / "migrations").exists() else _HERE.parent / "migrations"
)

SPEC = ServiceSpec(
    name="starters",
    settings_cls=StartersSettings,
    tables=TABLES,
    routers=[],
    handlers=HANDLERS,
    consumes_from=["intake", "coaching"],
    migrations_dir=MIGRATIONS_DIR,
    title="WW starters service",
    description="The starters scheme: research period, start period, benefit schedule, revival.",
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
