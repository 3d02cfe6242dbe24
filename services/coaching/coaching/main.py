"""Composition root of the coaching service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from coaching.cases import models as _case_models  # noqa: F401  (register tables)
from coaching.cases.router import offices_router
from coaching.cases.router import router as cases_router
from coaching.coaches import models as _coach_models  # noqa: F401
from coaching.coaches.directory import coach_status
from coaching.coaches.router import router as coaches_router
from coaching.contacts.router import router as contacts_router
from coaching.db import TABLES
from coaching.handlers import handlers_for
from coaching.obligations.router import router as obligations_router
from coaching.partner import idempotency as _partner_idempotency  # noqa: F401
from coaching.partner.access import check_partner_configuration
from coaching.partner.candidates.router import router as partner_candidates_router
from coaching.partner.clients.router import admin_router as partner_clients_router
from coaching.partner.clients.router import token_router as partner_token_router
from coaching.partner.placements.router import router as partner_placements_router
from coaching.partner.placements.router import staff_router as placements_router
from coaching.partner.sectors.router import partner_router as partner_sectors_router
from coaching.partner.sectors.router import router as sectors_router
from coaching.partner.vacancies.router import partner_router as partner_vacancies_router
from coaching.partner.vacancies.router import staff_router as vacancies_router
from coaching.resumptions.router import router as resumptions_router
from coaching.settings import CoachingSettings
from coaching.transfers.router import router as transfers_router
from coaching.workplans.router import router as workplans_router
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer, ServiceSpec
from shared.web.app import build_app

_HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = (
    _HERE / "migrations" if (_HERE / "migrations").exists() else _HERE.parent / "migrations"
)

SPEC = ServiceSpec(
    name="coaching",
    settings_cls=CoachingSettings,
    tables=TABLES,
    routers=[
        coaches_router,
        cases_router,
        offices_router,
        transfers_router,
        resumptions_router,
        workplans_router,
        contacts_router,
        obligations_router,
        partner_clients_router,
        vacancies_router,
        partner_token_router,
        partner_vacancies_router,
        partner_candidates_router,
        partner_placements_router,
        placements_router,
        sectors_router,
        partner_sectors_router,
    ],
    handlers=handlers_for,
    consumes_from=["intake", "triage", "starters"],
    migrations_dir=MIGRATIONS_DIR,
    coach_directory=coach_status,
    # /v1/sectors: the sector vocabulary (issue 12 item 8), reference data.
    no_personal_data=frozenset({"/v1/vacancies", "/v1/sectors"}),
    title="WW coaching service",
    description="Coach roster, cases, caseloads, obligations, and the temp-agency partner API.",
    openapi_tags=[
        {"name": "coaches", "description": "The coach roster"},
        {"name": "cases", "description": "Cases and caseloads"},
        {"name": "transfers", "description": "Moving cases between coaches"},
        {"name": "work plans", "description": "Agreed activities of a case"},
        {"name": "contact moments", "description": "Planned and held contacts of a case"},
        {"name": "obligations", "description": "Job-search obligation, activities, tasks"},
        {"name": "vacancies", "description": "Open partner vacancies for matching a caseload"},
        {"name": "placements", "description": "Temp-agency placements and the reward ledger"},
        {"name": "partner admin", "description": "Registering and managing partner clients"},
        {"name": "reference", "description": "Controlled lists: the sector codes and labels"},
        {
            "name": "partner",
            "description": "The partner API for temp agencies (`/partner/v1`, OAuth2 client "
            "credentials; docs/partner-api.md)",
        },
    ],
)


def create_app(
    settings: CoachingSettings | None = None,
    *,
    broker: EmbeddedBroker | None = None,
    container: ServiceContainer | None = None,
) -> FastAPI:
    """Build the coaching app; refuses production without a partner signing key file
    (`PartnerConfigurationError`, see docs/partner-api.md)."""
    if container is not None:
        check_partner_configuration(container.settings)
        return build_app(container)
    settings = settings or CoachingSettings()
    check_partner_configuration(settings)
    container = ServiceContainer(SPEC, settings, broker=broker or EmbeddedBroker())
    return build_app(container)
