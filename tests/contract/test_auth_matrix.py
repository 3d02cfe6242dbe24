"""Who may call what: an explicit role/scope matrix for every API route of the four services.

The matrix is written out here on purpose (not imported from the routers): a route added
without an entry, or an entry whose route disappeared, fails `test_matrix_covers_every_route`.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from coaching.cases.models import Case
from coaching.partner.clients.models import PartnerClient
from coaching.partner.clients.secrets import hash_secret, new_secret
from shared.clock import local_today
from shared.events.coaching import CaseAssigned
from shared.events.common import Segment
from shared.messaging.relay import drain
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from shared.web.auth import Role, mint_token
from tests.support.fakes import iter_routes
from tests.support.system import embedded_containers
from tests.support.tokens import Tokens, forged_tokens
from triage.scoring import model as core
from ww.registry import SERVICE_NAMES

OPS_PATHS = {
    "/health",
    "/ready",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/docs/oauth2-redirect",
    "/redoc",
}
ALL_ROLES = frozenset(r.value for r in Role)
STAFF_READ = frozenset({"coach", "team_lead", "benefits_officer", "triage_analyst", "admin"})
TRIAGE_CLAIM_READ = frozenset({"claimant", "coach", "team_lead", "triage_analyst", "admin"})
# A coaching case's own data: the claimant their own case, staff the cases they may see.
CASE_READ = frozenset({"claimant", "coach", "team_lead", "admin"})
CASE_WRITE = frozenset({"coach", "team_lead", "admin"})
NO_ROLES: frozenset[str] = frozenset()
VACANCIES = frozenset({"vacancies:write"})
CANDIDATES = frozenset({"candidates:read"})
PLACEMENTS = frozenset({"placements:write"})
# The partner application the allowed-scopes test uses (registered in the fixture).
AGENCY = "agency-y"
# Authenticated by client credentials in the body, not a bearer token (tested below).
OAUTH_TOKEN = "/partner/v1/oauth/token"
STARTERS_READ = frozenset({"claimant", "coach", "team_lead", "benefits_officer", "admin"})
QUESTIONNAIRE_ANSWERS: dict[str, Any] = {
    "education_level": "upper_secondary",
    "years_work_history": 10,
    "last_sector": "other",
    "last_occupation_level": "middle",
    "hours_per_week": 32,
    "self_rated_health": 4,
    "work_limitations": "none",
    "job_search_intention": 4,
    "self_efficacy": 4,
    "expectation": 4,
    "social_network": 3,
    "dutch_language": "native",
    "digital_skills": 3,
    "mobility": "car",
    "driving_licence": False,
    "previous_unemployment_spells": 0,
    "severance_received": False,
    "reservation_wage_ratio": 1.0,
}
# Changing or withdrawing a claim: its claimant, or staff acting for them (not triage).
CLAIM_WRITE = frozenset({"claimant", "coach", "team_lead", "benefits_officer", "admin"})
SEGMENT_OVERRIDE = {
    "segment": "personal",
    "reason_category": "health",
    "reason_text": "Needs a coach from the start",
}


@dataclass(frozen=True)
class Access:
    """Users holding any of `roles`, or partner applications holding any of `scopes`."""

    roles: frozenset[str]
    scopes: frozenset[str] = field(default_factory=frozenset)


MATRIX: dict[tuple[str, str, str], Access] = {
    # intake
    ("intake", "POST", "/v1/claims"): Access(
        frozenset({"claimant", "coach", "team_lead", "benefits_officer", "admin"}),
        frozenset({"claims:register"}),
    ),
    # Row-level: a claimant lists only the claims they registered themselves.
    ("intake", "GET", "/v1/claims"): Access(STAFF_READ | {"claimant"}),
    ("intake", "GET", "/v1/claims/{claim_id}"): Access(STAFF_READ | {"claimant"}),
    # Row-level (ADR 0022): the claimant their own claim, staff the claims in their scope.
    ("intake", "GET", "/v1/claims/{claim_id}/access-log"): Access(STAFF_READ | {"claimant"}),
    ("intake", "POST", "/v1/claims/search"): Access(STAFF_READ),
    ("intake", "PATCH", "/v1/claims/{claim_id}"): Access(CLAIM_WRITE),
    ("intake", "POST", "/v1/claims/{claim_id}/withdraw"): Access(CLAIM_WRITE),
    ("intake", "GET", "/v1/calendar/working-days"): Access(STAFF_READ | {"claimant"}),
    ("intake", "GET", "/v1/calendar/deadline"): Access(STAFF_READ | {"claimant"}),
    ("intake", "GET", "/v1/calendar/closures"): Access(STAFF_READ | {"claimant"}),
    ("intake", "GET", "/v1/calendar/closures/{closure_id}"): Access(STAFF_READ | {"claimant"}),
    ("intake", "POST", "/v1/calendar/closures"): Access(frozenset({"team_lead", "admin"})),
    ("intake", "DELETE", "/v1/calendar/closures/{closure_id}"): Access(
        frozenset({"team_lead", "admin"})
    ),
    ("intake", "GET", "/v1/coaches/{coach_id}/agenda"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("intake", "PUT", "/v1/coaches/{coach_id}/agenda"): Access(frozenset({"team_lead", "admin"})),
    ("intake", "POST", "/v1/coaches/{coach_id}/agenda/exceptions"): Access(
        frozenset({"team_lead", "admin"})
    ),
    ("intake", "DELETE", "/v1/coaches/{coach_id}/agenda/exceptions/{exception_id}"): Access(
        frozenset({"team_lead", "admin"})
    ),
    # Row-level: the coach themself, a team lead of the coach's office (others 403).
    ("intake", "GET", "/v1/coaches/{coach_id}/appointments"): Access(
        frozenset({"coach", "team_lead", "benefits_officer", "admin"})
    ),
    ("intake", "GET", "/v1/offices/{office_code}/capacity"): Access(STAFF_READ),
    ("intake", "GET", "/v1/offices/{office_code}/unplanned"): Access(STAFF_READ),
    ("intake", "GET", "/v1/claims/{claim_id}/appointments"): Access(STAFF_READ | {"claimant"}),
    ("intake", "GET", "/v1/appointments/{appointment_id}"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    ("intake", "GET", "/v1/appointments/{appointment_id}.ics"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    ("intake", "POST", "/v1/admin/reminders/run"): Access(frozenset({"admin"})),
    ("intake", "POST", "/v1/admin/planning/run"): Access(frozenset({"admin"})),
    # Row-level: a team lead runs their own office's planning only.
    ("intake", "POST", "/v1/offices/{office_code}/planning/run"): Access(
        frozenset({"team_lead", "admin"})
    ),
    ("intake", "GET", "/v1/appointments/{appointment_id}/alternatives"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    ("intake", "POST", "/v1/appointments/{appointment_id}/reschedule"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    ("intake", "POST", "/v1/appointments/{appointment_id}/cancel"): Access(frozenset({"claimant"})),
    ("intake", "POST", "/v1/appointments/{appointment_id}/cancel-by-service"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("intake", "POST", "/v1/appointments/{appointment_id}/no-show"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("intake", "POST", "/v1/appointments/{appointment_id}/complete"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    # Messages (ADR 0028). Row-level: the claim's need-to-know readers; the text and the
    # letter only for the claimant, coaches, team leads and benefits officers.
    ("intake", "GET", "/v1/claims/{claim_id}/messages"): Access(STAFF_READ | {"claimant"}),
    ("intake", "GET", "/v1/messages/{message_id}"): Access(STAFF_READ | {"claimant"}),
    ("intake", "GET", "/v1/messages/{message_id}/attempts"): Access(STAFF_READ),
    ("intake", "GET", "/v1/messages/{message_id}/letter.pdf"): Access(
        frozenset({"claimant", "coach", "team_lead", "benefits_officer"})
    ),
    ("intake", "POST", "/v1/messages/{message_id}/resend"): Access(
        frozenset({"coach", "team_lead", "benefits_officer"})
    ),
    ("intake", "GET", "/v1/message-templates/{kind}/preview"): Access(STAFF_READ),
    ("intake", "GET", "/v1/offices/{office_code}/contact"): Access(STAFF_READ | {"claimant"}),
    ("intake", "PUT", "/v1/offices/{office_code}/contact"): Access(frozenset({"admin"})),
    ("intake", "POST", "/v1/admin/messages/run"): Access(frozenset({"admin"})),
    ("intake", "POST", "/v1/admin/print-batches/run"): Access(frozenset({"admin"})),
    ("intake", "GET", "/v1/admin/print-batches"): Access(frozenset({"admin"})),
    # Row-level: team leads and coaches get the national figures and their own office's.
    ("intake", "GET", "/v1/kpis/week-one"): Access(
        frozenset({"coach", "team_lead", "benefits_officer", "admin"})
    ),
    # Row-level: a team lead plans for their own office only.
    ("intake", "POST", "/v1/planning/intake-capacity"): Access(
        frozenset({"team_lead", "benefits_officer", "admin"})
    ),
    # triage. Row-level (claim routes): a claimant their own claim, a coach the claims whose
    # intake they hold, a team lead their office, triage analysts and admins every claim.
    ("triage", "GET", "/v1/claims/{claim_id}/scores"): Access(TRIAGE_CLAIM_READ),
    ("triage", "GET", "/v1/claims/{claim_id}/explanation"): Access(TRIAGE_CLAIM_READ),
    ("triage", "GET", "/v1/claims/{claim_id}/overrides"): Access(TRIAGE_CLAIM_READ),
    ("triage", "GET", "/v1/claims/{claim_id}/questionnaire"): Access(TRIAGE_CLAIM_READ),
    ("triage", "PUT", "/v1/claims/{claim_id}/questionnaire"): Access(
        frozenset({"claimant", "coach", "triage_analyst"})
    ),
    ("triage", "POST", "/v1/claims/{claim_id}/override"): Access(
        frozenset({"coach", "triage_analyst"})
    ),
    ("triage", "GET", "/v1/questionnaire"): Access(ALL_ROLES),
    ("triage", "GET", "/v1/models"): Access(frozenset({"triage_analyst", "admin"})),
    ("triage", "GET", "/v1/models/{version}"): Access(STAFF_READ),
    ("triage", "POST", "/v1/models"): Access(frozenset({"admin"})),
    ("triage", "POST", "/v1/models/{version}/activate"): Access(frozenset({"admin"})),
    ("triage", "POST", "/v1/admin/retriage/run"): Access(frozenset({"admin"})),
    # Row-level: a team lead gets their own office's figures only.
    ("triage", "GET", "/v1/reports/overrides"): Access(
        frozenset({"triage_analyst", "team_lead", "admin"})
    ),
    ("triage", "GET", "/v1/reports/monitoring"): Access(frozenset({"triage_analyst", "admin"})),
    # coaching: roster
    ("coaching", "POST", "/v1/coaches"): Access(frozenset({"team_lead", "admin"})),
    ("coaching", "GET", "/v1/coaches"): Access(frozenset({"coach", "team_lead", "admin"})),
    ("coaching", "GET", "/v1/coaches/{coach_id}"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("coaching", "PATCH", "/v1/coaches/{coach_id}"): Access(frozenset({"team_lead", "admin"})),
    ("coaching", "POST", "/v1/coaches/{coach_id}/deactivate"): Access(
        frozenset({"team_lead", "admin"})
    ),
    # coaching: cases
    ("coaching", "GET", "/v1/cases"): Access(frozenset({"coach", "team_lead", "admin"})),
    ("coaching", "GET", "/v1/cases/{claim_id}"): Access(frozenset({"coach", "team_lead", "admin"})),
    ("coaching", "GET", "/v1/offices/{office_code}/unassigned-cases"): Access(
        frozenset({"team_lead", "admin"})
    ),
    # Row-level: a team lead their own office (another office is 403), an admin any office.
    ("coaching", "GET", "/v1/offices/{office_code}/caseload"): Access(
        frozenset({"team_lead", "admin"})
    ),
    ("coaching", "POST", "/v1/cases/{claim_id}/close"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("coaching", "POST", "/v1/cases/{claim_id}/reopen"): Access(frozenset({"team_lead", "admin"})),
    ("coaching", "POST", "/v1/cases/{claim_id}/work-resumptions"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    ("coaching", "GET", "/v1/cases/{claim_id}/work-resumptions"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    # coaching: work plans and contact moments
    ("coaching", "GET", "/v1/cases/{claim_id}/work-plan"): Access(CASE_READ),
    ("coaching", "POST", "/v1/cases/{claim_id}/work-plan/activities"): Access(CASE_READ),
    ("coaching", "GET", "/v1/cases/{claim_id}/work-plan/activities/{activity_id}"): Access(
        CASE_READ
    ),
    ("coaching", "PATCH", "/v1/cases/{claim_id}/work-plan/activities/{activity_id}"): Access(
        CASE_READ
    ),
    ("coaching", "GET", "/v1/cases/{claim_id}/contact-moments"): Access(CASE_READ),
    ("coaching", "POST", "/v1/cases/{claim_id}/contact-moments"): Access(CASE_WRITE),
    ("coaching", "GET", "/v1/cases/{claim_id}/contact-moments/{moment_id}"): Access(CASE_READ),
    ("coaching", "POST", "/v1/cases/{claim_id}/contact-moments/{moment_id}/held"): Access(
        CASE_WRITE
    ),
    ("coaching", "POST", "/v1/cases/{claim_id}/contact-moments/{moment_id}/no-show"): Access(
        CASE_WRITE
    ),
    ("coaching", "POST", "/v1/cases/{claim_id}/contact-moments/{moment_id}/cancel"): Access(
        CASE_WRITE
    ),
    # coaching: job-search obligation and coach tasks
    ("coaching", "POST", "/v1/cases/{claim_id}/job-search-activities"): Access(
        frozenset({"claimant", "coach", "team_lead"})
    ),
    ("coaching", "GET", "/v1/cases/{claim_id}/job-search-activities"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    ("coaching", "GET", "/v1/cases/{claim_id}/obligation"): Access(
        frozenset({"claimant", "coach", "team_lead", "admin"})
    ),
    ("coaching", "PUT", "/v1/cases/{claim_id}/obligation/regime"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("coaching", "GET", "/v1/tasks"): Access(frozenset({"coach", "team_lead", "admin"})),
    ("coaching", "POST", "/v1/tasks/{task_id}/done"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("coaching", "POST", "/v1/admin/obligations/evaluate"): Access(frozenset({"admin"})),
    # coaching: transfers
    ("coaching", "POST", "/v1/cases/{claim_id}/transfer"): Access(
        frozenset({"team_lead", "admin"})
    ),
    ("coaching", "POST", "/v1/transfers"): Access(frozenset({"team_lead", "admin"})),
    ("coaching", "PUT", "/v1/coaches/{coach_id}/cover"): Access(frozenset({"team_lead", "admin"})),
    ("coaching", "DELETE", "/v1/coaches/{coach_id}/cover"): Access(
        frozenset({"team_lead", "admin"})
    ),
    ("coaching", "POST", "/v1/coaches/{coach_id}/redistribution-proposal"): Access(
        frozenset({"team_lead", "admin"})
    ),
    # coaching: partner API (temp agencies: client credentials and scopes) and its admin
    ("coaching", "POST", "/v1/partner-clients"): Access(frozenset({"admin"})),
    ("coaching", "GET", "/v1/partner-clients"): Access(frozenset({"admin"})),
    ("coaching", "GET", "/v1/partner-clients/{client_id}"): Access(frozenset({"admin"})),
    ("coaching", "PATCH", "/v1/partner-clients/{client_id}"): Access(frozenset({"admin"})),
    ("coaching", "POST", "/v1/partner-clients/{client_id}/rotate-secret"): Access(
        frozenset({"admin"})
    ),
    ("coaching", "POST", "/v1/partner-clients/{client_id}/suspend"): Access(frozenset({"admin"})),
    ("coaching", "POST", "/v1/partner-clients/{client_id}/resume"): Access(frozenset({"admin"})),
    ("coaching", "GET", "/v1/vacancies"): Access(frozenset({"coach", "team_lead", "admin"})),
    ("coaching", "POST", "/partner/v1/vacancies"): Access(NO_ROLES, VACANCIES),
    ("coaching", "GET", "/partner/v1/vacancies"): Access(NO_ROLES, VACANCIES),
    ("coaching", "GET", "/partner/v1/vacancies/{vacancy_id}"): Access(NO_ROLES, VACANCIES),
    ("coaching", "PATCH", "/partner/v1/vacancies/{vacancy_id}"): Access(NO_ROLES, VACANCIES),
    ("coaching", "POST", "/partner/v1/vacancies/{vacancy_id}/close"): Access(NO_ROLES, VACANCIES),
    ("coaching", "GET", "/v1/cases/{claim_id}/partner-profile"): Access(CASE_READ),
    ("coaching", "PUT", "/v1/cases/{claim_id}/partner-profile"): Access(frozenset({"claimant"})),
    ("coaching", "GET", "/partner/v1/candidates"): Access(NO_ROLES, CANDIDATES),
    ("coaching", "GET", "/partner/v1/candidates/{candidate_ref}"): Access(NO_ROLES, CANDIDATES),
    ("coaching", "PUT", "/partner/v1/webhook"): Access(NO_ROLES, CANDIDATES),
    ("coaching", "GET", "/partner/v1/webhook"): Access(NO_ROLES, CANDIDATES),
    ("coaching", "DELETE", "/partner/v1/webhook"): Access(NO_ROLES, CANDIDATES),
    ("coaching", "GET", "/partner/v1/webhook-deliveries"): Access(NO_ROLES, CANDIDATES),
    ("coaching", "GET", "/partner/v1/webhook-deliveries/{delivery_id}/attempts"): Access(
        NO_ROLES, CANDIDATES
    ),
    ("coaching", "POST", "/v1/admin/partner-webhooks/run"): Access(frozenset({"admin"})),
    ("coaching", "POST", "/partner/v1/placements"): Access(NO_ROLES, PLACEMENTS),
    ("coaching", "GET", "/partner/v1/placements"): Access(NO_ROLES, PLACEMENTS),
    ("coaching", "GET", "/partner/v1/placements/{placement_id}"): Access(NO_ROLES, PLACEMENTS),
    ("coaching", "GET", "/partner/v1/rewards"): Access(NO_ROLES, PLACEMENTS),
    # The sector codes (reference data, no personal data): every person, any partner scope.
    ("coaching", "GET", "/v1/sectors"): Access(ALL_ROLES),
    ("coaching", "GET", "/partner/v1/sectors"): Access(
        NO_ROLES, VACANCIES | CANDIDATES | PLACEMENTS
    ),
    ("coaching", "GET", "/v1/cases/{claim_id}/placements"): Access(
        frozenset({"coach", "team_lead", "admin"})
    ),
    ("coaching", "GET", "/v1/partner-rewards"): Access(frozenset({"admin", "benefits_officer"})),
    # starters
    ("starters", "POST", "/v1/starters/applications"): Access(
        frozenset({"claimant", "benefits_officer", "admin"})
    ),
    ("starters", "GET", "/v1/starters/applications"): Access(STARTERS_READ),
    ("starters", "GET", "/v1/starters/applications/{application_id}"): Access(STARTERS_READ),
    ("starters", "POST", "/v1/starters/applications/{application_id}/transitions"): Access(
        frozenset({"claimant", "benefits_officer", "admin"})
    ),
    ("starters", "GET", "/v1/starters/applications/{application_id}/decisions"): Access(
        STARTERS_READ
    ),
    ("starters", "POST", "/v1/starters/applications/{application_id}/income-statements"): Access(
        frozenset({"claimant", "benefits_officer", "admin"})
    ),
    ("starters", "GET", "/v1/starters/applications/{application_id}/income-statements"): Access(
        STARTERS_READ
    ),
    ("starters", "GET", "/v1/starters/applications/{application_id}/suspensions"): Access(
        STARTERS_READ
    ),
    ("starters", "GET", "/v1/starters/applications/{application_id}/schedule"): Access(
        STARTERS_READ
    ),
    ("starters", "GET", "/v1/starters/simulation"): Access(STARTERS_READ),
    ("starters", "GET", "/v1/starters/parameters"): Access(
        frozenset({"benefits_officer", "coach", "team_lead", "admin"})
    ),
    ("starters", "POST", "/v1/starters/parameters"): Access(frozenset({"admin"})),
    ("starters", "POST", "/v1/admin/starters/reminders/run"): Access(frozenset({"admin"})),
}
ROUTES = sorted(MATRIX)
ROUTE_IDS = [f"{s} {m} {p}" for s, m, p in ROUTES]


@dataclass
class System:
    """Four containers, their apps and test clients, and a token minter."""

    containers: dict[str, ServiceContainer]
    clients: dict[str, TestClient]
    tokens: Tokens
    rng: random.Random
    # A coach on the AMS roster, known to every service (coach.registered): the default
    # subject of coach tokens, since an unknown coach is refused everywhere (ADR 0022).
    coach_id: str = ""

    def bsn(self) -> str:
        return synthetic_bsn(self.rng)

    def user(self, *roles: str, sub: str | None = None, office: str | None = "AMS") -> str:
        # Subjects are UUIDs so a coach token names a coach id; team leads carry an office.
        if sub is None and "coach" in roles and self.coach_id:
            sub = self.coach_id
        return self.tokens.user(*roles, sub=sub or str(uuid.uuid4()), office=office)

    def register_coach(self, office: str = "AMS") -> str:
        """A new coach on the roster of `office`, delivered to every service's replica."""
        lead = _bearer(self.user("team_lead", office=office))
        r = self.clients["coaching"].post("/v1/coaches", json=_coach_body(office), headers=lead)
        assert r.status_code == 201, r.text
        self.drain_all()
        return str(r.json()["id"])

    def drain_all(self) -> None:
        for name in ("intake", "triage", "coaching"):
            drain(self.containers[name].relay)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The four services on SQLite (tests/integration/test_auth_matrix_pg.py runs this
    module again on PostgreSQL)."""
    state_dir: Path = tmp_path_factory.mktemp("auth-matrix-state")
    yield from build_system(state_dir, embedded_containers(state_dir, log_level="WARNING"))


def build_system(state_dir: Path, containers: dict[str, ServiceContainer]) -> Iterator[System]:
    """Apps, clients, the registered agency and the AMS coach around migrated containers."""
    clients = {
        name: TestClient(build_app(c, manage_lifecycle=False)) for name, c in containers.items()
    }
    _register_agency(containers["coaching"])
    system = System(containers, clients, Tokens(state_dir / "dev-jwt-key.pem"), random.Random(7))
    system.coach_id = system.register_coach("AMS")
    try:
        yield system
    finally:
        for c in containers.values():
            c.stop()


def _register_agency(coaching: ServiceContainer) -> None:
    """The partner application of the allowed-scopes test, with every scope and limits that
    never bind (partner routes refuse tokens of unregistered clients)."""
    with coaching.session_factory() as s:
        s.add(
            PartnerClient(
                client_id=AGENCY,
                name="Matrix Uitzend BV",
                secret_hash=hash_secret(new_secret()),
                scopes=sorted(VACANCIES | CANDIDATES | PLACEMENTS),
                requests_per_minute=1_000_000,
                daily_profile_cap=1_000_000,
                status="active",
                created_by="auth-matrix",
            )
        )
        s.commit()


def _claim_body(bsn: str, postcode: str = "1011 AB") -> dict[str, Any]:
    return {
        "bsn": bsn,
        "given_name": "Fatima",
        "family_name": "El Amrani",
        "date_of_birth": "1988-03-14",
        "first_ww_day": local_today().isoformat(),
        "postcode": postcode,
    }


def _coach_body(office: str = "AMS") -> dict[str, Any]:
    return {"display_name": "Sanne de Boer", "office_code": office, "contract_hours": 32}


def _request(sys: System, route: tuple[str, str, str]) -> tuple[str, dict[str, Any] | None]:
    """A concrete URL and a valid body for a route (fresh ids and BSNs each time)."""
    _, method, template = route
    url = (
        template.replace("{office_code}", "AMS")
        .replace("{version}", "matrix-none")
        .replace("{client_id}", "pc_matrix_none")
    )
    for name in (
        "claim_id",
        "coach_id",
        "exception_id",
        "appointment_id",
        "task_id",
        "activity_id",
        "moment_id",
        "application_id",
        "vacancy_id",
        "candidate_ref",
        "placement_id",
    ):
        url = url.replace("{" + name + "}", str(uuid.uuid4()))
    body: dict[str, Any] | None = None
    if template.endswith("/capacity"):
        today = local_today()
        url += f"?from={today.isoformat()}&to={(today + dt.timedelta(days=7)).isoformat()}"
    elif template.endswith("/agenda") and method == "PUT":
        body = {
            "blocks": [
                {"weekday": 0, "start_time": "09:00", "end_time": "12:00", "office_code": "AMS"}
            ]
        }
    elif template.endswith("/agenda/exceptions"):
        body = {"start_date": "2026-12-01", "end_date": "2026-12-02", "kind": "leave"}
    if template == "/v1/claims" and method == "POST":
        body = _claim_body(sys.bsn())
    elif template == "/v1/claims/search":
        body = {"bsn": sys.bsn()}
    elif template == "/v1/claims/{claim_id}" and method == "PATCH":
        body = {"phone": "06 12345678"}
    elif template.endswith("/withdraw"):
        body = {"reason_code": "found_work"}
    elif template == "/v1/coaches" and method == "POST":
        body = _coach_body()
    elif template == "/v1/coaches/{coach_id}":
        body = {"contract_hours": 30} if method == "PATCH" else None
    elif template.endswith("/deactivate"):
        body = {"reason": "leaves the office"}
    elif template.endswith("/reschedule"):
        body = {"slot_id": str(uuid.uuid4())}
    elif template.endswith("/cancel") and "{moment_id}" not in template:
        body = {"reason_code": "illness"}
    elif template.endswith("/cancel-by-service"):
        body = {"reason_code": "coach_unavailable"}
    elif template == "/v1/planning/intake-capacity":
        tomorrow = local_today() + dt.timedelta(days=1)
        body = {
            "offices": [
                {"office_code": "AMS", "days": [{"date": tomorrow.isoformat(), "registrations": 3}]}
            ]
        }
    elif template.endswith("/questionnaire") and method == "PUT":
        body = {"questionnaire_version": "1", "answers": QUESTIONNAIRE_ANSWERS}
    elif template.endswith("/override"):
        body = SEGMENT_OVERRIDE
    elif template == "/v1/models" and method == "POST":
        body = core.shipped()[core.DEFAULT_VERSION].model_dump(mode="json")
        body["version"] = "matrix-1"
    elif template.endswith("/activate"):
        body = {"reason": "the auth matrix"}
    elif template.endswith("/work-plan/activities") and method == "POST":
        due = local_today() + dt.timedelta(days=7)
        body = {"kind": "application", "description": "Apply at the library", "due_on": str(due)}
    elif template.endswith("/activities/{activity_id}") and method == "PATCH":
        body = {"version": 1, "status": "in_progress"}
    elif template.endswith("/contact-moments") and method == "POST":
        planned = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        body = {"planned_at": planned.isoformat(), "channel": "phone", "purpose": "the matrix"}
    elif template.endswith("/{moment_id}/held"):
        body = {"notes": "the auth matrix"}
    elif template.endswith("/{moment_id}/no-show"):
        body = {}
    elif template.endswith("/{moment_id}/cancel"):
        body = {"reason": "the auth matrix"}
    elif template == "/v1/starters/applications" and method == "POST":
        body = {
            "claim_id": str(uuid.uuid4()),
            "business_description": "A bicycle repair shop",
            "expected_start_date": local_today().isoformat(),
            "hours_per_week": 30,
            "training": {"certificate": "ZOWW-1", "completed_on": "2026-01-05"},
        }
    elif template.endswith("/transitions"):
        body = {"action": "withdraw"}
    elif template.endswith("/income-statements") and method == "POST":
        body = {"month": "2026-11", "business_income": "100", "business_hours": "10"}
    elif template == "/v1/starters/simulation":
        url += "?dagloon=200&first_ww_day=2026-01-05&entitlement_months=12&start=2026-03-02"
    elif template == "/v1/starters/parameters" and method == "POST":
        valid_from = local_today() + dt.timedelta(days=400)
        body = {
            "name": "start_period_reduction_percent",
            "value": 29,
            "valid_from": valid_from.isoformat(),
            "source": "the auth matrix",
        }
    elif template == "/v1/partner-clients" and method == "POST":
        body = {"name": "Matrix Uitzend BV", "scopes": ["vacancies:write"]}
    elif template == "/v1/partner-clients/{client_id}" and method == "PATCH":
        body = {"name": "Matrix BV"}
    elif template.endswith("/rotate-secret"):
        body = {}
    elif template.endswith("/suspend"):
        body = {"reason": "the auth matrix"}
    elif template == "/partner/v1/vacancies" and method == "POST":
        body = {
            "title": "Orderpicker",
            "sector": "logistics",
            "postcode": "1012 AB",
            "hours_per_week": 32,
            "wage_min": 14.5,
            "wage_max": 16,
            "skills": ["heftruck"],
            "start_date": (local_today() + dt.timedelta(days=30)).isoformat(),
        }
    elif template == "/partner/v1/vacancies/{vacancy_id}" and method == "PATCH":
        body = {"title": "Heftruckchauffeur"}
    elif template.endswith("/{vacancy_id}/close"):
        body = {"reason": "filled"}
    elif template.endswith("/partner-profile") and method == "PUT":
        body = {"visibility": "none"}
    elif template == "/partner/v1/webhook" and method == "PUT":
        body = {"url": "https://agency.example.nl/hooks/ww"}
    elif template == "/partner/v1/placements" and method == "POST":
        body = {
            "candidate_ref": str(uuid.uuid4()),
            "start_date": local_today().isoformat(),
            "hours_per_week": 32,
            "hourly_wage": 16.5,
            "contract_type": "temp",
            "resumption": "partial",
            "new_registration": False,
        }
    elif template.endswith("/work-resumptions") and method == "POST":
        body = {"kind": "partial", "start_date": local_today().isoformat(), "hours_per_week": 8}
    elif template.endswith("/job-search-activities") and method == "POST":
        body = {"kind": "application", "activity_date": local_today().isoformat()}
    elif template.endswith("/obligation/regime"):
        body = {"regime": "individual", "required": 2, "reason": "agreed with the claimant"}
    elif template.endswith("/done"):
        body = {"note": "called the claimant"}
    elif template.endswith("/transfer"):
        body = {"to_coach_id": str(uuid.uuid4()), "reason_category": "other", "reason_text": "m"}
    elif template == "/v1/transfers":
        move = {"claim_id": str(uuid.uuid4()), "to_coach_id": str(uuid.uuid4())}
        body = {"reason_category": "other", "reason_text": "matrix", "moves": [move]}
    elif template.endswith("/cover") and method == "PUT":
        until = local_today() + dt.timedelta(days=7)
        body = {"covering_coach_id": str(uuid.uuid4()), "until": until.isoformat(), "reason": "m"}
    elif template.endswith("/redistribution-proposal"):
        body = {}
    elif template.endswith("/close"):
        body = {"result": "other", "note": "the auth matrix"}
    elif template.endswith("/reopen"):
        body = {"reason": "the auth matrix"}
    elif template.endswith("/complete"):
        body = {
            "explained_topics": ["job_search_obligation"],
            "obligation_regime": "regular",
            "agreed_next_step": "apply for two jobs a week",
        }
    return url, body


def _call(
    sys: System, route: tuple[str, str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    service, method, template = route
    url, body = _request(sys, route)
    sent = dict(headers or {})
    if method == "POST" and template.startswith("/partner/v1/"):
        sent["Idempotency-Key"] = str(uuid.uuid4())
    if (method, template) == ("POST", "/v1/claims") and body is not None:
        # A claimant registers the BSN of their sign-in only (ADR 0025).
        sent = sys.tokens.signed_in(sent, body["bsn"])
    return sys.clients[service].request(method, url, json=body, headers=sent)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_problem(r: httpx.Response, status: int, context: str) -> dict[str, Any]:
    assert r.status_code == status, f"{context}: expected {status}, got {r.status_code}: {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json"), context
    body: dict[str, Any] = r.json()
    assert body["type"].startswith("urn:ww:problem:"), context
    assert body["status"] == status, context
    if status == 401:
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), context
    return body


# --- the matrix is complete -----------------------------------------------------------------


def test_matrix_covers_every_route(system: System) -> None:
    actual: set[tuple[str, str, str]] = set()
    for name in SERVICE_NAMES:
        app = system.clients[name].app
        for path, methods in iter_routes(app):  # type: ignore[arg-type]
            if path in OPS_PATHS or path == OAUTH_TOKEN:
                continue
            for method in methods - {"HEAD", "OPTIONS"}:
                actual.add((name, method, path))
    missing = actual - set(MATRIX)
    stale = set(MATRIX) - actual
    assert not missing, f"routes without an entry in the auth matrix: {sorted(missing)}"
    assert not stale, f"matrix entries without a route: {sorted(stale)}"


def test_ops_endpoints_need_no_token(system: System) -> None:
    for client in system.clients.values():
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 200
        assert client.get("/metrics").status_code == 200


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_invalid_credentials_are_401(system: System, route: tuple[str, str, str]) -> None:
    role = min(MATRIX[route].roles, default="claimant")  # scope-only routes: any person
    key = system.tokens.key
    variants: dict[str, dict[str, str]] = {
        "no token": {},
        "basic auth": {"Authorization": "Basic dXNlcjpwYXNz"},
        "garbage bearer": _bearer("not-a-jwt"),
        "expired": _bearer(system.tokens.expired(role)),
        "bad signature": _bearer(system.tokens.bad_signature(role)),
        "wrong audience": _bearer(
            mint_token(key, subject="x", issuer="ww-local", audience="other-api", roles=[role])
        ),
        "wrong issuer": _bearer(
            mint_token(key, subject="x", issuer="https://evil.example", audience="ww", roles=[role])
        ),
    }
    for label, headers in variants.items():
        _assert_problem(_call(system, route, headers), 401, f"{route} {label}")


@pytest.fixture(scope="module")
def forged(system: System) -> dict[str, str]:
    """The forged and malformed token kinds of issue 13 (tests/support/tokens.py)."""
    return forged_tokens(system.tokens.key)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_forged_tokens_are_401_on_every_route(
    system: System, route: tuple[str, str, str], forged: dict[str, str]
) -> None:
    """Every `alg` that is not the key's (on main RS256 gave a 500 on all routes), foreign
    keys named by kid/jwk/jku, and claims of the wrong type (on main `roles: 5` gave a 500)."""
    for label, token in forged.items():
        _assert_problem(_call(system, route, _bearer(token)), 401, f"{route} {label}")


# --- authorisation --------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_disallowed_roles_are_403(system: System, route: tuple[str, str, str]) -> None:
    disallowed = sorted(ALL_ROLES - MATRIX[route].roles)
    for role in disallowed:
        r = _call(system, route, _bearer(system.user(role)))
        _assert_problem(r, 403, f"{route} as {role}")
    # A person without any (known) role.
    _assert_problem(_call(system, route, _bearer(system.user())), 403, f"{route} no roles")
    _assert_problem(
        _call(system, route, _bearer(system.user("superuser"))), 403, f"{route} unknown role"
    )


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_partner_application_without_the_scope_is_403(
    system: System, route: tuple[str, str, str]
) -> None:
    for scopes in [(), ("vacancies:publish",), ("claims:read", "cases:read")]:
        token = system.tokens.app("agency-x", *scopes)
        _assert_problem(_call(system, route, _bearer(token)), 403, f"{route} app {scopes}")


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_allowed_roles_and_scopes_pass_authorisation(
    system: System, route: tuple[str, str, str]
) -> None:
    access = MATRIX[route]
    for role in sorted(access.roles):
        r = _call(system, route, _bearer(system.user(role)))
        assert r.status_code not in (401, 403), f"{route} as {role}: {r.status_code} {r.text}"
        assert r.status_code < 500, f"{route} as {role}: {r.status_code} {r.text}"
    for scope in sorted(access.scopes):
        r = _call(system, route, _bearer(system.tokens.app(AGENCY, scope)))
        assert r.status_code not in (401, 403), f"{route} app {scope}: {r.status_code} {r.text}"
        assert r.status_code < 500, f"{route} app {scope}: {r.status_code} {r.text}"


def test_partner_registration_is_recorded_as_temp_agency(system: System) -> None:
    token = system.tokens.app("agency-z", "claims:register")
    r = system.clients["intake"].post(
        "/v1/claims", json=_claim_body(system.bsn()), headers=_bearer(token)
    )
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "temp_agency"


# --- row-level rules ------------------------------------------------------------------------


def test_team_lead_of_another_office_cannot_manage_ams_coaches(system: System) -> None:
    coaching = system.clients["coaching"]
    rtd_lead = _bearer(system.user("team_lead", office="RTD"))
    ams_lead = _bearer(system.user("team_lead", office="AMS"))
    no_office_lead = _bearer(system.user("team_lead", office=None))

    _assert_problem(
        coaching.post("/v1/coaches", json=_coach_body("AMS"), headers=rtd_lead),
        403,
        "RTD lead creates AMS coach",
    )
    _assert_problem(
        coaching.post("/v1/coaches", json=_coach_body("AMS"), headers=no_office_lead),
        403,
        "lead without office",
    )

    created = coaching.post("/v1/coaches", json=_coach_body("AMS"), headers=ams_lead)
    assert created.status_code == 201, created.text
    coach_id = created.json()["id"]
    assert (
        coaching.post("/v1/coaches", json=_coach_body("RTD"), headers=rtd_lead).status_code == 201
    )

    _assert_problem(
        coaching.patch(f"/v1/coaches/{coach_id}", json={"contract_hours": 20}, headers=rtd_lead),
        403,
        "RTD lead patches AMS coach",
    )
    _assert_problem(
        coaching.post(
            f"/v1/coaches/{coach_id}/deactivate", json={"reason": "moving"}, headers=rtd_lead
        ),
        403,
        "RTD lead deactivates AMS coach",
    )
    # An AMS lead may not move their coach to another office either.
    _assert_problem(
        coaching.patch(f"/v1/coaches/{coach_id}", json={"office_code": "RTD"}, headers=ams_lead),
        403,
        "AMS lead moves coach to RTD",
    )
    after = coaching.get(f"/v1/coaches/{coach_id}", headers=ams_lead).json()
    assert (after["office_code"], after["contract_hours"], after["active"]) == ("AMS", 32.0, True)


def test_claimant_cannot_read_another_claimants_claim(system: System) -> None:
    intake = system.clients["intake"]
    alice = _bearer(system.user("claimant", sub="claimant-alice", office=None))
    bob = _bearer(system.user("claimant", sub="claimant-bob", office=None))
    body = _claim_body(system.bsn())
    r = intake.post("/v1/claims", json=body, headers=system.tokens.signed_in(bob, body["bsn"]))
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "claimant"
    claim_id = r.json()["id"]

    assert intake.get(f"/v1/claims/{claim_id}", headers=bob).status_code == 200
    body = _assert_problem(
        intake.get(f"/v1/claims/{claim_id}", headers=alice), 404, "alice reads bob"
    )
    assert body["type"] == "urn:ww:problem:not-found"
    # Indistinguishable from a claim that does not exist.
    missing = intake.get(f"/v1/claims/{uuid.uuid4()}", headers=alice)
    assert missing.json()["detail"] == body["detail"]
    # A claimant lists only their own claims (the web's "my claim"); filters cannot widen
    # it; they cannot search by BSN.
    mine = intake.get("/v1/claims", headers=bob)
    assert mine.status_code == 200, mine.text
    assert [c["id"] for c in mine.json()["items"]] == [claim_id]
    assert intake.get("/v1/claims", headers=alice).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    widened = intake.get("/v1/claims", params={"office_code": "AMS"}, headers=alice).json()
    assert widened["total"] == 0
    _assert_problem(
        intake.post("/v1/claims/search", json={"bsn": system.bsn()}, headers=alice),
        403,
        "claimant searches",
    )
    staff = _bearer(system.user("benefits_officer"))
    assert intake.get(f"/v1/claims/{claim_id}", headers=staff).status_code == 200


def _register(system: System, postcode: str) -> str:
    r = system.clients["intake"].post(
        "/v1/claims",
        json=_claim_body(system.bsn(), postcode),
        headers=_bearer(system.user("benefits_officer")),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_coach_sees_only_cases_assigned_to_them(system: System) -> None:
    mine, theirs, unassigned = (_register(system, "1011 AB") for _ in range(3))
    system.drain_all()
    coach_x, coach_y = (uuid.UUID(system.register_coach("AMS")) for _ in range(2))
    coaching = system.containers["coaching"]
    with coaching.session_factory() as s:
        s.execute(update(Case).where(Case.claim_id == uuid.UUID(mine)).values(coach_id=coach_x))
        s.execute(update(Case).where(Case.claim_id == uuid.UUID(theirs)).values(coach_id=coach_y))
        s.commit()

    client = system.clients["coaching"]
    as_x = _bearer(system.user("coach", sub=str(coach_x)))
    listed = client.get("/v1/cases", headers=as_x)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 1
    assert [c["claim_id"] for c in page["items"]] == [mine]
    assert page["items"][0]["coach_id"] == str(coach_x)
    # Filters cannot widen a coach's view.
    widened = client.get("/v1/cases", params={"office_code": "AMS"}, headers=as_x).json()
    assert [c["claim_id"] for c in widened["items"]] == [mine]

    assert client.get(f"/v1/cases/{mine}", headers=as_x).status_code == 200
    _assert_problem(
        client.get(f"/v1/cases/{theirs}", headers=as_x), 404, "coach reads another's case"
    )
    _assert_problem(
        client.get(f"/v1/cases/{unassigned}", headers=as_x), 404, "coach reads unassigned case"
    )
    # A coach token whose subject is not a coach id cannot list at all.
    _assert_problem(
        client.get("/v1/cases", headers=_bearer(system.user("coach", sub="not-a-uuid"))),
        403,
        "coach without id",
    )


def test_team_lead_lists_only_own_office(system: System) -> None:
    ams_claim = _register(system, "1011 AB")
    rtd_claim = _register(system, "3011 CD")
    system.drain_all()
    client = system.clients["coaching"]
    ams_lead = _bearer(system.user("team_lead", office="AMS"))
    rtd_lead = _bearer(system.user("team_lead", office="RTD"))

    ams_items = client.get("/v1/cases", params={"limit": 200}, headers=ams_lead).json()["items"]
    assert ams_items, "the AMS lead should see AMS cases"
    assert {c["office_code"] for c in ams_items} == {"AMS"}
    assert ams_claim in {c["claim_id"] for c in ams_items}
    assert rtd_claim not in {c["claim_id"] for c in ams_items}

    rtd_items = client.get("/v1/cases", params={"limit": 200}, headers=rtd_lead).json()["items"]
    assert {c["office_code"] for c in rtd_items} == {"RTD"}
    assert rtd_claim in {c["claim_id"] for c in rtd_items}

    _assert_problem(
        client.get("/v1/cases", params={"office_code": "RTD"}, headers=ams_lead),
        403,
        "AMS lead asks for RTD",
    )
    _assert_problem(
        client.get("/v1/cases", headers=_bearer(system.user("team_lead", office=None))),
        403,
        "lead without office",
    )
    assert client.get(f"/v1/cases/{ams_claim}", headers=ams_lead).status_code == 200
    _assert_problem(
        client.get(f"/v1/cases/{rtd_claim}", headers=ams_lead), 404, "AMS lead reads RTD case"
    )

    admin = _bearer(system.user("admin", office=None))
    everything = client.get("/v1/cases", params={"limit": 200}, headers=admin).json()["items"]
    assert {ams_claim, rtd_claim} <= {c["claim_id"] for c in everything}


def test_triage_claim_rows_claimant_coach_and_team_lead(system: System) -> None:
    """A claimant sees and answers for their own claim only (intake passes their subject in
    claim.registered); a coach only claims whose intake they hold; a team lead their office."""
    intake, triage = system.clients["intake"], system.clients["triage"]
    noor = _bearer(system.user("claimant", sub="claimant-noor", office=None))
    piet = _bearer(system.user("claimant", sub="claimant-piet", office=None))
    body = _claim_body(system.bsn())
    r = intake.post("/v1/claims", json=body, headers=system.tokens.signed_in(noor, body["bsn"]))
    assert r.status_code == 201, r.text
    claim_id = r.json()["id"]
    system.drain_all()

    for path in ("scores", "explanation", "overrides"):
        url = f"/v1/claims/{claim_id}/{path}"
        assert triage.get(url, headers=noor).status_code == 200, path
        _assert_problem(triage.get(url, headers=piet), 404, f"piet reads noor's {path}")
        _assert_problem(
            triage.get(url, headers=_bearer(system.user("coach"))), 404, f"another coach {path}"
        )
        _assert_problem(
            triage.get(url, headers=_bearer(system.user("team_lead", office="RTD"))),
            404,
            f"RTD lead {path}",
        )
        assert triage.get(url, headers=_bearer(system.user("team_lead"))).status_code == 200
        assert triage.get(url, headers=_bearer(system.user("triage_analyst"))).status_code == 200

    put = {"questionnaire_version": "1", "answers": QUESTIONNAIRE_ANSWERS}
    url = f"/v1/claims/{claim_id}/questionnaire"
    _assert_problem(triage.put(url, json=put, headers=piet), 404, "piet answers for noor")
    _assert_problem(
        triage.put(url, json=put, headers=_bearer(system.user("coach"))), 404, "another coach"
    )
    _assert_problem(triage.get(url, headers=noor), 409, "noor reads answers not given yet")
    assert triage.put(url, json=put, headers=noor).status_code == 200
    # The answers in force (to pre-fill a form): the same rows as the scores.
    mine = triage.get(url, headers=noor)
    assert mine.status_code == 200, mine.text
    assert mine.json()["answers"] == QUESTIONNAIRE_ANSWERS
    assert mine.json()["source"] == "claimant"
    _assert_problem(triage.get(url, headers=piet), 404, "piet reads noor's answers")
    _assert_problem(
        triage.get(url, headers=_bearer(system.user("team_lead", office="RTD"))),
        404,
        "RTD lead reads the answers",
    )
    assert triage.get(url, headers=_bearer(system.user("triage_analyst"))).status_code == 200
    _assert_problem(
        triage.post(
            f"/v1/claims/{claim_id}/override",
            json=SEGMENT_OVERRIDE,
            headers=_bearer(system.user("coach")),
        ),
        404,
        "a coach without the claim overrides",
    )
    _assert_problem(
        triage.get("/v1/reports/overrides", headers=_bearer(system.user("team_lead", office=None))),
        403,
        "team lead without office",
    )


def test_team_lead_sees_only_own_offices_unassigned_queue(system: System) -> None:
    client = system.clients["coaching"]
    url = "/v1/offices/{}/unassigned-cases"
    ams_lead = _bearer(system.user("team_lead", office="AMS"))
    assert client.get(url.format("AMS"), headers=ams_lead).status_code == 200
    _assert_problem(client.get(url.format("RTD"), headers=ams_lead), 403, "AMS lead, RTD queue")
    _assert_problem(
        client.get(url.format("AMS"), headers=_bearer(system.user("team_lead", office=None))),
        403,
        "lead without office",
    )
    admin = _bearer(system.user("admin"))
    assert client.get(url.format("RTD"), headers=admin).status_code == 200


def test_the_token_endpoint_takes_client_credentials_not_a_bearer_token(system: System) -> None:
    client = system.clients["coaching"]
    r = client.post(
        OAUTH_TOKEN,
        data={"grant_type": "client_credentials", "client_id": AGENCY, "client_secret": "wrong"},
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    bearer = client.post(
        OAUTH_TOKEN,
        data={"grant_type": "client_credentials"},
        headers=_bearer(system.user("admin")),
    )
    assert bearer.status_code in (400, 401)
    assert bearer.json()["error"] in ("invalid_client", "invalid_request")


# --- need to know (ADR 0022) ------------------------------------------------------------------

# Every staff endpoint that returns claimants' personal data. Each follows need to know: an
# unknown or deactivated coach and a team lead without an office are refused before any row
# is read; row-level scope (office, caseload) is tested per service below.
PERSONAL_DATA: list[tuple[str, str, str]] = [
    ("intake", "GET", "/v1/claims"),
    ("intake", "GET", "/v1/claims/{claim_id}"),
    ("intake", "POST", "/v1/claims/search"),
    ("intake", "GET", "/v1/claims/{claim_id}/access-log"),
    ("intake", "GET", "/v1/claims/{claim_id}/appointments"),
    ("intake", "GET", "/v1/appointments/{appointment_id}"),
    ("intake", "GET", "/v1/appointments/{appointment_id}.ics"),
    ("intake", "GET", "/v1/appointments/{appointment_id}/alternatives"),
    ("intake", "GET", "/v1/offices/{office_code}/unplanned"),
    ("intake", "GET", "/v1/coaches/{coach_id}/agenda"),
    ("intake", "GET", "/v1/coaches/{coach_id}/appointments"),
    ("triage", "GET", "/v1/claims/{claim_id}/scores"),
    ("triage", "GET", "/v1/claims/{claim_id}/explanation"),
    ("triage", "GET", "/v1/claims/{claim_id}/overrides"),
    ("triage", "GET", "/v1/claims/{claim_id}/questionnaire"),
    ("coaching", "GET", "/v1/cases"),
    ("coaching", "GET", "/v1/cases/{claim_id}"),
    ("coaching", "GET", "/v1/offices/{office_code}/unassigned-cases"),
    ("coaching", "GET", "/v1/offices/{office_code}/caseload"),
    ("coaching", "GET", "/v1/cases/{claim_id}/work-plan"),
    ("coaching", "GET", "/v1/cases/{claim_id}/work-plan/activities/{activity_id}"),
    ("coaching", "GET", "/v1/cases/{claim_id}/contact-moments"),
    ("coaching", "GET", "/v1/cases/{claim_id}/contact-moments/{moment_id}"),
    ("coaching", "GET", "/v1/cases/{claim_id}/job-search-activities"),
    ("coaching", "GET", "/v1/cases/{claim_id}/obligation"),
    ("coaching", "GET", "/v1/cases/{claim_id}/work-resumptions"),
    ("coaching", "GET", "/v1/cases/{claim_id}/partner-profile"),
    ("coaching", "GET", "/v1/cases/{claim_id}/placements"),
    ("coaching", "GET", "/v1/tasks"),
    ("starters", "GET", "/v1/starters/applications"),
    ("starters", "GET", "/v1/starters/applications/{application_id}"),
    ("starters", "GET", "/v1/starters/applications/{application_id}/decisions"),
    ("starters", "GET", "/v1/starters/applications/{application_id}/income-statements"),
    ("starters", "GET", "/v1/starters/applications/{application_id}/suspensions"),
    ("starters", "GET", "/v1/starters/applications/{application_id}/schedule"),
]
PD_IDS = [f"{s} {m} {p}" for s, m, p in PERSONAL_DATA]


@pytest.fixture(scope="module")
def deactivated_coach(system: System) -> str:
    """A coach who was on the AMS roster and was deactivated (every service heard of it)."""
    coach_id = system.register_coach("AMS")
    r = system.clients["coaching"].post(
        f"/v1/coaches/{coach_id}/deactivate",
        json={"reason": "left the office"},
        headers=_bearer(system.user("team_lead", office="AMS")),
    )
    assert r.status_code == 200, r.text
    system.drain_all()
    return coach_id


def test_personal_data_routes_are_in_the_matrix() -> None:
    assert set(PERSONAL_DATA) <= set(MATRIX)


@pytest.mark.parametrize("route", PERSONAL_DATA, ids=PD_IDS)
def test_unknown_or_deactivated_coach_and_officeless_team_lead_are_refused(
    system: System, route: tuple[str, str, str], deactivated_coach: str
) -> None:
    roles = MATRIX[route].roles
    if "coach" in roles:
        for sub, slug, word in [
            (str(uuid.uuid4()), "unknown-coach", "unknown"),
            ("not-a-uuid", "unknown-coach", "unknown"),
            (deactivated_coach, "deactivated-coach", "deactivated"),
        ]:
            r = _call(system, route, _bearer(system.user("coach", sub=sub)))
            body = _assert_problem(r, 403, f"{route} coach {word}")
            assert body["type"] == f"urn:ww:problem:{slug}", body
            assert word in body["detail"], body
        # The known, active coach passes the identity check (row-level rules follow).
        r = _call(system, route, _bearer(system.user("coach")))
        assert r.status_code not in (401, 403), f"{route} known coach: {r.text}"
    if "team_lead" in roles:
        r = _call(system, route, _bearer(system.user("team_lead", office=None)))
        body = _assert_problem(r, 403, f"{route} team lead without office")
        assert body["type"] == "urn:ww:problem:team-lead-without-office", body
        assert "office" in body["detail"]


def _claimant_claim(system: System, postcode: str) -> tuple[str, dict[str, str]]:
    claimant = _bearer(system.user("claimant", sub=f"claimant-{uuid.uuid4()}", office=None))
    body = _claim_body(system.bsn(), postcode)
    r = system.clients["intake"].post(
        "/v1/claims", json=body, headers=system.tokens.signed_in(claimant, body["bsn"])
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"]), claimant


def _audit_actions(system: System, service: str, resource_id: str) -> list[tuple[str, Any]]:
    audit = system.containers[service].spec.tables.audit
    with system.containers[service].session_factory() as s:
        rows = s.query(audit).filter(audit.resource_id == resource_id).all()
        return [(r.action, r.reason) for r in rows]


def test_intake_claims_follow_office_and_caseload(system: System) -> None:
    intake = system.clients["intake"]
    ams_claim = _register(system, "1011 AB")
    rtd_claim = _register(system, "3011 CD")
    caseload_claim = _register(system, "3011 CD")
    system.drain_all()
    # Coaching gives the AMS coach an RTD case: intake learns it from case.assigned.
    with system.containers["coaching"].uow() as uow:
        uow.publish(
            CaseAssigned(
                claim_id=uuid.UUID(caseload_claim),
                case_id=uuid.uuid4(),
                coach_id=uuid.UUID(system.coach_id),
                segment=Segment.PERSONAL,
                assigned_at=dt.datetime.now(dt.UTC),
                rule="office_load",
            )
        )
        uow.commit()
    system.drain_all()

    coach = _bearer(system.user("coach"))
    assert intake.get(f"/v1/claims/{ams_claim}", headers=coach).status_code == 200
    assert intake.get(f"/v1/claims/{caseload_claim}", headers=coach).status_code == 200
    body = _assert_problem(intake.get(f"/v1/claims/{rtd_claim}", headers=coach), 404, "RTD")
    assert body["type"] == "urn:ww:problem:not-found"
    listed = intake.get("/v1/claims", params={"limit": 200}, headers=coach).json()["items"]
    ids = {c["id"] for c in listed}
    assert {ams_claim, caseload_claim} <= ids
    assert rtd_claim not in ids
    assert {c["office_code"] for c in listed if c["id"] != caseload_claim} == {"AMS"}
    r = intake.get(f"/v1/claims/{rtd_claim}/appointments", headers=coach)
    _assert_problem(r, 404, "RTD appointments")
    _assert_problem(intake.get("/v1/offices/RTD/unplanned", headers=coach), 403, "RTD unplanned")

    rtd_lead = _bearer(system.user("team_lead", office="RTD"))
    assert intake.get(f"/v1/claims/{rtd_claim}", headers=rtd_lead).status_code == 200
    _assert_problem(intake.get(f"/v1/claims/{ams_claim}", headers=rtd_lead), 404, "lead AMS")
    lead_items = intake.get("/v1/claims", params={"limit": 200}, headers=rtd_lead).json()["items"]
    assert {c["office_code"] for c in lead_items} == {"RTD"}
    _assert_problem(
        intake.get("/v1/claims", headers=_bearer(system.user("team_lead", office=None))),
        403,
        "lead without office lists",
    )
    # National roles keep national reads (ADR 0022).
    officer = _bearer(system.user("benefits_officer", office=None))
    assert intake.get(f"/v1/claims/{rtd_claim}", headers=officer).status_code == 200


def test_break_glass_is_reasoned_audited_and_shown_to_the_claimant(system: System) -> None:
    intake = system.clients["intake"]
    claim_id, claimant = _claimant_claim(system, "3011 CD")  # RTD: outside the AMS coach
    system.drain_all()
    coach = _bearer(system.user("coach"))
    reason = "De klant belt met een vraag over de afspraak in Rotterdam"
    glass = coach | {"X-Break-Glass-Reason": reason}

    _assert_problem(intake.get(f"/v1/claims/{claim_id}", headers=coach), 404, "no glass")
    r = intake.get(f"/v1/claims/{claim_id}", headers=glass)
    assert r.status_code == 200, r.text
    assert ("claim.read.break_glass", reason) in _audit_actions(system, "intake", claim_id)
    searched = intake.post("/v1/claims/search", json={"bsn": "111222333"}, headers=glass)
    assert searched.status_code == 200, searched.text

    log = intake.get(f"/v1/claims/{claim_id}/access-log", headers=claimant)
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    glass_entries = [e for e in entries if e["break_glass"]]
    assert [e["reason"] for e in glass_entries] == [reason]
    assert glass_entries[0]["action"] == "claim.read.break_glass"
    assert glass_entries[0]["actor_roles"] == ["coach"]
    assert all(e["actor"] is None for e in entries)  # staff identities are not shown to claimants
    # Another claimant, and a coach without the claim in scope, cannot read the log.
    other = _bearer(system.user("claimant", sub="claimant-someone-else", office=None))
    url = f"/v1/claims/{claim_id}/access-log"
    _assert_problem(intake.get(url, headers=other), 404, "other claimant")
    _assert_problem(intake.get(url, headers=coach), 404, "coach out of scope")
    rtd_lead = _bearer(system.user("team_lead", office="RTD"))
    staff_view = intake.get(url, headers=rtd_lead).json()["items"]
    assert any(e["actor"] == system.coach_id for e in staff_view if e["break_glass"])

    # The same step in coaching and triage: granted, and audited there with the reason.
    coaching, triage = system.clients["coaching"], system.clients["triage"]
    _assert_problem(coaching.get(f"/v1/cases/{claim_id}", headers=coach), 404, "case")
    assert coaching.get(f"/v1/cases/{claim_id}", headers=glass).status_code == 200
    case_id = coaching.get(f"/v1/cases/{claim_id}", headers=glass).json()["id"]
    assert ("case.read.break_glass", reason) in _audit_actions(system, "coaching", case_id)
    _assert_problem(triage.get(f"/v1/claims/{claim_id}/scores", headers=coach), 404, "scores")
    assert triage.get(f"/v1/claims/{claim_id}/scores", headers=glass).status_code == 200
    assert ("claim.read.break_glass", reason) in _audit_actions(system, "triage", claim_id)


def test_break_glass_is_for_coaches_and_team_leads_reading_with_a_real_reason(
    system: System,
) -> None:
    intake = system.clients["intake"]
    claim_id = _register(system, "3011 CD")
    url = f"/v1/claims/{claim_id}"
    for bad in ("", "short", "bsn 111222333 belt"):
        headers = _bearer(system.user("coach")) | {"X-Break-Glass-Reason": bad}
        body = _assert_problem(intake.get(url, headers=headers), 422, f"reason {bad!r}")
        assert body["errors"][0]["field"] == "header.X-Break-Glass-Reason"
    reason = {"X-Break-Glass-Reason": "Telefonische vraag van de klant over de uitkering"}
    officer = _bearer(system.user("benefits_officer")) | reason
    _assert_problem(intake.get(url, headers=officer), 403, "benefits officer break-glass")
    claimant = _bearer(system.user("claimant", office=None)) | reason
    _assert_problem(intake.get(url, headers=claimant), 403, "claimant break-glass")
    # Never for a change: break-glass shows data, it does not open the file for writing.
    write = system.clients["coaching"].post(
        f"/v1/cases/{claim_id}/close",
        json={"result": "other", "note": "the auth matrix"},
        headers=_bearer(system.user("coach")) | reason,
    )
    _assert_problem(write, 403, "break-glass write")
    lead = _bearer(system.user("team_lead", office="AMS")) | reason
    assert intake.get(url, headers=lead).status_code == 200


# --- cross-access: another claimant, another agency (issue 13) -------------------------------

# Path parameters that name a claimant's own resources.
_OWN_IDS = ("claim_id", "appointment_id", "activity_id", "application_id")


def _claimant_resources(system: System) -> tuple[dict[str, str], dict[str, str]]:
    """A claimant with a claim, its intake appointment (if one was booked), a work-plan
    activity and a starters application: the ids, and the claimant's headers."""
    claim_id, owner = _claimant_claim(system, "1011 AB")
    system.drain_all()
    ids = {"claim_id": claim_id}
    appointments = system.clients["intake"].get(
        f"/v1/claims/{claim_id}/appointments", headers=owner
    )
    assert appointments.status_code == 200, appointments.text
    items = appointments.json()
    items = items["items"] if isinstance(items, dict) else items
    if items:
        ids["appointment_id"] = str(items[0]["id"])
    due = (local_today() + dt.timedelta(days=7)).isoformat()
    activity = system.clients["coaching"].post(
        f"/v1/cases/{claim_id}/work-plan/activities",
        json={"kind": "application", "description": "Apply at the library", "due_on": due},
        headers=owner,
    )
    if activity.status_code == 201:
        ids["activity_id"] = str(activity.json()["id"])
    application = system.clients["starters"].post(
        "/v1/starters/applications",
        json={
            "claim_id": claim_id,
            "business_description": "A bicycle repair shop",
            "expected_start_date": local_today().isoformat(),
            "hours_per_week": 30,
            "training": {"certificate": "ZOWW-1", "completed_on": "2026-01-05"},
        },
        headers=owner,
    )
    if application.status_code == 201:
        ids["application_id"] = str(application.json()["id"])
    return ids, owner


def test_another_claimant_reaches_none_of_a_claimants_sub_resources(system: System) -> None:
    """Every route a claimant may call that names a claimant's resource: the owner gets it
    (reads), another claimant gets 404 (or 403), never the data and never a change."""
    ids, owner = _claimant_resources(system)
    stranger = _bearer(system.user("claimant", sub=f"claimant-{uuid.uuid4()}", office=None))
    checked: list[tuple[str, str, str]] = []
    for route in ROUTES:
        service, method, template = route
        if "claimant" not in MATRIX[route].roles:
            continue
        names = [n for n in _OWN_IDS if "{" + n + "}" in template]
        if not names or any(n not in ids for n in names):
            continue
        url = template
        for name in names:
            url = url.replace("{" + name + "}", ids[name])
        if "{" in url:  # another id (a moment, ...) the claimant does not own here
            continue
        _, body = _request(system, route)
        if template == "/v1/starters/applications/{application_id}/transitions":
            body = {"action": "withdraw"}
        client = system.clients[service]
        r = client.request(method, url, json=body, headers=stranger)
        assert r.status_code in (403, 404), f"{route} by another claimant: {r.status_code} {r.text}"
        if method == "GET":
            mine = client.request(method, url, headers=owner)
            # The owner passes (a 409 such as "no schedule yet" is about state, not access).
            assert mine.status_code in (200, 409), f"{route} owner: {mine.status_code} {mine.text}"
        checked.append(route)
    # The owner's resources exist, so the loop really covered the claimant's sub-resources.
    # (No intake appointment: the matrix's offices have no agendas, so none is booked.)
    assert {"claim_id", "activity_id", "application_id"} <= set(ids), ids
    assert len(checked) >= 25, checked


def test_another_agency_reaches_none_of_an_agencys_vacancies(system: System) -> None:
    other = "agency-w"
    with system.containers["coaching"].session_factory() as s:
        if s.get(PartnerClient, other) is None:
            s.add(
                PartnerClient(
                    client_id=other,
                    name="Andere Uitzend BV",
                    secret_hash=hash_secret(new_secret()),
                    scopes=sorted(VACANCIES | CANDIDATES | PLACEMENTS),
                    requests_per_minute=1_000_000,
                    daily_profile_cap=1_000_000,
                    status="active",
                    created_by="auth-matrix",
                )
            )
            s.commit()
    route = ("coaching", "POST", "/partner/v1/vacancies")
    owner = _bearer(system.tokens.app(AGENCY, *sorted(VACANCIES | CANDIDATES | PLACEMENTS)))
    created = _call(system, route, owner)
    assert created.status_code == 201, created.text
    vacancy_id = created.json()["id"]
    stranger = _bearer(system.tokens.app(other, *sorted(VACANCIES | CANDIDATES | PLACEMENTS)))
    client = system.clients["coaching"]
    checked = 0
    for r_route in ROUTES:
        _, method, template = r_route
        if "{vacancy_id}" not in template or not template.startswith("/partner/"):
            continue
        url = template.replace("{vacancy_id}", vacancy_id)
        _, body = _request(system, r_route)
        headers = stranger | ({"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {})
        r = client.request(method, url, json=body, headers=headers)
        _assert_problem(r, 404, f"{r_route} by another agency")
        checked += 1
    assert checked >= 3
    listed = client.get("/partner/v1/vacancies", headers=stranger).json()
    assert vacancy_id not in {v["id"] for v in listed["items"]}
    assert client.get(f"/partner/v1/vacancies/{vacancy_id}", headers=owner).status_code == 200
