"""Composition root of the intake service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from intake.access.router import router as access_router
from intake.agendas import models as _agenda_models  # noqa: F401  (register tables)
from intake.agendas.router import router as agendas_router
from intake.appointments import models as _appointment_models  # noqa: F401  (register tables)
from intake.appointments.router import router as appointments_router
from intake.calendar import models as _calendar_models  # noqa: F401  (register tables)
from intake.calendar.router import router as calendar_router
from intake.claims import models as _claim_models  # noqa: F401  (register tables)
from intake.claims.router import router as claims_router
from intake.closures.router import router as closures_router
from intake.coaches import models as _coach_models  # noqa: F401
from intake.coaches.directory import coach_status
from intake.db import TABLES
from intake.handlers import handlers_for
from intake.kpis.metrics import install as install_kpi_metrics
from intake.kpis.router import router as kpis_router
from intake.messages import models as _message_models  # noqa: F401  (register tables)
from intake.messages.router import router as messages_router
from intake.messages.runtime import install_metrics, reminder_loop, sender_worker
from intake.planning import models as _planning_models  # noqa: F401  (register tables)
from intake.planning.router import router as planning_router
from intake.settings import IntakeSettings
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer, ServiceSpec
from shared.web.app import build_app

_HERE = Path(__file__).resolve().parent
# Source checkout: services/intake/migrations; installed wheel: intake/migrations.
MIGRATIONS_DIR = (
    _HERE / "migrations" if (_HERE / "migrations").exists() else _HERE.parent / "migrations"
)


def _init(container: ServiceContainer) -> None:
    install_kpi_metrics(container)
    install_metrics(container)


SPEC = ServiceSpec(
    name="intake",
    settings_cls=IntakeSettings,
    tables=TABLES,
    routers=[
        claims_router,
        access_router,
        calendar_router,
        closures_router,
        agendas_router,
        appointments_router,
        kpis_router,
        planning_router,
        messages_router,
    ],
    handlers=handlers_for,
    consumes_from=["intake", "coaching", "starters"],
    migrations_dir=MIGRATIONS_DIR,
    coach_directory=coach_status,
    no_personal_data=frozenset(
        {
            "/v1/calendar/working-days",
            "/v1/calendar/deadline",
            "/v1/calendar/closures",
            "/v1/calendar/closures/{closure_id}",
            "/v1/offices/{office_code}/capacity",
            "/v1/kpis/week-one",
            "/v1/planning/intake-capacity",
            "/v1/message-templates/{kind}/preview",
            "/v1/offices/{office_code}/contact",
            "/v1/admin/messages/run",
            "/v1/admin/print-batches/run",
            "/v1/admin/print-batches",
        }
    ),
    extra_init=_init,
    workers=(sender_worker, reminder_loop),
    title="WW intake service",
    description="Claim registration and the face-to-face intake in the first week.",
    openapi_tags=[
        {"name": "claims", "description": "WW claims"},
        {"name": "calendar", "description": "Working days, closures and the intake deadline"},
        {"name": "agendas", "description": "Coach agendas, intake slots and office capacity"},
        {"name": "appointments", "description": "Intake appointments and unplanned claims"},
        {"name": "kpis", "description": "Week-one intake KPIs per office and nationally"},
        {"name": "planning", "description": "Intake capacity planning against the agendas"},
        {"name": "messages", "description": "Invitations, reminders and letters to claimants"},
    ],
)


def create_app(
    settings: IntakeSettings | None = None,
    *,
    broker: EmbeddedBroker | None = None,
    container: ServiceContainer | None = None,
) -> FastAPI:
    """Build the intake app (engines and workers are created here, never at import)."""
    if container is None:
        container = ServiceContainer(
            SPEC, settings or IntakeSettings(), broker=broker or EmbeddedBroker()
        )
    return build_app(container, manage_lifecycle=True)
