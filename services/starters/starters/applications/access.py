"""Who sees which application (row-level authorisation), and loading one for a caller:
audited, with break-glass (ADR 0022)."""

from __future__ import annotations

import uuid

from shared.db.uow import UnitOfWork
from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden, NotFound
from starters.applications import repository
from starters.applications.models import Application
from starters.applications.repository import Reach
from starters.claims.models import KnownClaim

DECIDERS = (Role.BENEFITS_OFFICER, Role.ADMIN)


def owns(principal: Principal, app: Application) -> bool:
    """The caller is the claimant the application is of."""
    return (
        principal.has_role(Role.CLAIMANT)
        and app.claimant_subject is not None
        and app.claimant_subject == principal.subject
    )


def _coach_of(principal: Principal, claim: KnownClaim | None) -> bool:
    return (
        principal.has_role(Role.COACH)
        and claim is not None
        and claim.coach_id is not None
        and str(claim.coach_id) == principal.subject
    )


def visible(principal: Principal, app: Application, claim: KnownClaim | None) -> bool:
    """Benefits officers and admins all; the claimant their own; a coach their caseload's;
    a team lead their office's."""
    if principal.has_role(*DECIDERS) or owns(principal, app) or _coach_of(principal, claim):
        return True
    return (
        principal.has_role(Role.TEAM_LEAD)
        and claim is not None
        and principal.office is not None
        and claim.office_code == principal.office
    )


def reach(principal: Principal) -> Reach | None:
    """The rules of `visible` as a query filter: None for deciders (all), else the
    caller's own, caseload's and office's applications (403 when that is nothing)."""
    if principal.has_role(*DECIDERS):
        return None
    coach_id = None
    if principal.has_role(Role.COACH):
        try:
            coach_id = uuid.UUID(principal.subject)
        except ValueError:
            pass
    scope = Reach(
        claimant_subject=principal.subject if principal.has_role(Role.CLAIMANT) else None,
        coach_id=coach_id,
        office=principal.office if principal.has_role(Role.TEAM_LEAD) else None,
    )
    if not scope:
        raise Forbidden("no applications are visible to this caller")
    return scope


def load(
    uow: UnitOfWork,
    application_id: uuid.UUID,
    principal: Principal,
    *,
    action: str = "application.read",
    for_update: bool = False,
) -> Application:
    """The application if the caller may see it (else 404); the access is audited."""
    app = repository.get(uow.session, application_id, for_update=for_update)
    if app is None:
        raise NotFound("no such application")
    claim = repository.known_claim(uow.session, app.claim_id)
    if not visible(principal, app, claim):
        # Break-glass (ADR 0022): a coach or team lead with a stated reason reads it, audited.
        if principal.break_glass is None:
            raise NotFound("no such application")
        action, reason = f"{action}.break_glass", principal.break_glass
    else:
        reason = None
    uow.audit(
        actor=principal.as_actor(),
        action=action,
        resource_type="application",
        resource_id=app.id,
        reason=reason,
    )
    return app
