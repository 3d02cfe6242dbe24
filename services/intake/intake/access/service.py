"""Need to know for claims (ADR 0022): the caller's scope, break-glass and the access log.

- a claimant: their own claims;
- benefits officers, triage analysts and admins: every claim (their work is national);
- a team lead: the claims of their office (a token without an office is refused earlier);
- a coach: the claims of their roster office, of their caseload (coaching's case events)
  and those whose intake they hold;
- a coach or team lead may read outside that scope only with a stated reason (header
  `X-Break-Glass-Reason`): audited as `claim.read.break_glass` with the reason, per claim,
  and shown in the claimant's access log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement

from intake.access import repository
from intake.access.schemas import AccessLogEntry
from intake.claims.models import Claim
from intake.coaches.models import RosterCoach
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal, Role
from shared.web.problems import NotFound

NATIONAL_ROLES = frozenset({Role.BENEFITS_OFFICER, Role.TRIAGE_ANALYST, Role.ADMIN})
BREAK_GLASS_READ = "claim.read.break_glass"
BREAK_GLASS_LIST = "claim.list.break_glass"


@dataclass(frozen=True)
class ClaimScope:
    """Which claims a caller may see; `national` and `break_glass` see every claim."""

    claimant_subject: str | None = None
    national: bool = False
    offices: frozenset[str] = frozenset()
    coach_id: uuid.UUID | None = None
    break_glass: str | None = None

    @property
    def unbounded(self) -> bool:
        """Every claim is visible (national roles, or a break-glass request)."""
        return self.national or self.break_glass is not None

    @property
    def team_lead_only(self) -> bool:
        """Bound to one office and nothing else (the team lead's list keeps its 403)."""
        return not self.unbounded and self.coach_id is None and self.claimant_subject is None


def scope_for(uow: UnitOfWork, principal: Principal) -> ClaimScope:
    """The caller's scope. `requires(...)` already refused unknown or deactivated coaches,
    team leads without an office, and break-glass by roles that may not use it."""
    roles = principal.roles
    break_glass = principal.break_glass
    if roles & NATIONAL_ROLES:
        return ClaimScope(national=True)
    if not roles & {Role.COACH, Role.TEAM_LEAD}:
        return ClaimScope(claimant_subject=principal.subject)
    offices: set[str] = set()
    coach_id: uuid.UUID | None = None
    if Role.TEAM_LEAD in roles and principal.office:
        offices.add(principal.office)
    if Role.COACH in roles:
        coach_id = uuid.UUID(principal.subject)
        coach = uow.session.get(RosterCoach, coach_id)
        if coach is not None:
            offices.add(coach.office_code)
    return ClaimScope(offices=frozenset(offices), coach_id=coach_id, break_glass=break_glass)


def in_scope(uow: UnitOfWork, scope: ClaimScope, claim: Claim) -> bool:
    """Whether the claim lies in the caller's own scope (break-glass not counted)."""
    if scope.national:
        return True
    if scope.claimant_subject is not None:
        return claim.claimant_subject == scope.claimant_subject
    if claim.office_code in scope.offices:
        return True
    return scope.coach_id is not None and repository.claim_in_scope(
        uow.session, claim.id, offices=frozenset(), coach_id=scope.coach_id
    )


def condition(scope: ClaimScope) -> ColumnElement[bool] | None:
    """The scope as a SQL condition for lists; None when every claim is visible."""
    if scope.unbounded:
        return None
    if scope.claimant_subject is not None:
        return Claim.claimant_subject == scope.claimant_subject
    return repository.scope_condition(offices=scope.offices, coach_id=scope.coach_id)


def audit_read(
    uow: UnitOfWork, *, actor: Actor, scope: ClaimScope, claim: Claim, action: str = "claim.read"
) -> None:
    """Audit a read of one claim: break-glass (with the reason) when outside the scope,
    else 404 when not visible at all, else an ordinary read."""
    if in_scope(uow, scope, claim):
        uow.audit(actor=actor, action=action, resource_type="claim", resource_id=claim.id)
        return
    if scope.break_glass is None:
        raise NotFound("no such claim")
    uow.audit(
        actor=actor,
        action=BREAK_GLASS_READ,
        resource_type="claim",
        resource_id=claim.id,
        reason=scope.break_glass,
        new={"via": action},
    )


def audit_break_glass_list(
    uow: UnitOfWork, *, actor: Actor, scope: ClaimScope, claims: Sequence[Claim]
) -> None:
    """A break-glass list shows each claimant on the page: one audit row per claim outside
    the caller's own scope, so each claimant's access log shows it."""
    if scope.break_glass is None:
        return
    for claim in claims:
        if not in_scope(uow, scope, claim):
            uow.audit(
                actor=actor,
                action=BREAK_GLASS_LIST,
                resource_type="claim",
                resource_id=claim.id,
                reason=scope.break_glass,
            )


def access_log(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    scope: ClaimScope,
    limit: int,
    offset: int,
) -> tuple[list[AccessLogEntry], int]:
    """The claim's audit trail for the claimant or staff with the claim in scope (audited)."""
    claim = uow.session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("no such claim")
    # Read before this read is audited, so a page does not shift under the caller.
    rows, total = repository.access_log(uow.session, claim_id, limit=limit, offset=offset)
    audit_read(uow, actor=principal.as_actor(), scope=scope, claim=claim, action="claim.access_log")
    uow.commit()
    staff = scope.claimant_subject is None
    items = [
        AccessLogEntry(
            occurred_at=r.occurred_at,
            action=r.action,
            actor_kind=r.actor_kind,
            actor_roles=list(r.actor_roles or []),
            actor=r.actor if staff else None,
            break_glass=r.action.endswith(".break_glass"),
            reason=r.reason if r.action.endswith(".break_glass") else None,
        )
        for r in rows
    ]
    return items, total
