"""Need to know for staff: who a staff token really is, and the audited break-glass step.

`requires(...)` (shared/web/auth.py) calls `check_staff_identity` for every person it lets
through, so in every service:

- a token with the coach role is honoured only for a coach the service knows (its roster or
  roster replica, filled from coach.* events) who is still active;
- a team lead token must name an office (the `office` claim), since a team lead's view is
  their office.

Which rows a known caller then sees is each service's row-level rule, next to its query.
Wider access than that rule gives is break-glass: the caller states why in the
`X-Break-Glass-Reason` header, the service grants the read and audits it with the reason
(`<resource>.read.break_glass`), and the claimant's access log shows it (ADR 0022).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from shared.web.problems import Forbidden, InvalidField

BREAK_GLASS_HEADER = "X-Break-Glass-Reason"
BREAK_GLASS_MIN_LENGTH = 10
BREAK_GLASS_MAX_LENGTH = 500
# Roles that may step outside their scope with a stated reason. Benefits officers, triage
# analysts and admins already see every claim (ADR 0022), so break-glass adds nothing for them.
BREAK_GLASS_ROLES = frozenset({"coach", "team_lead"})
# A reason is stored in the audit log and shown to the claimant: no BSN-like numbers in it.
_NINE_DIGITS = re.compile(r"\d[\d .-]{7,}\d")


@dataclass(frozen=True)
class CoachStatus:
    """What a service knows of a coach: their office and whether they are still active."""

    office_code: str | None
    active: bool


# Looks a coach up in the service's own roster (or replica); None when unknown.
CoachDirectory = Callable[[Session, uuid.UUID], CoachStatus | None]


class UnknownCoachError(Forbidden):
    """The token's coach subject is not a coach this service knows."""

    slug = "unknown-coach"
    title = "Unknown coach"


class DeactivatedCoachError(Forbidden):
    """The token's coach subject names a deactivated coach."""

    slug = "deactivated-coach"
    title = "Deactivated coach"


class TeamLeadWithoutOfficeError(Forbidden):
    """A team lead token that names no office."""

    slug = "team-lead-without-office"
    title = "Team lead without an office"


def coach_status(
    session: Session, directory: CoachDirectory, subject: str
) -> tuple[uuid.UUID, CoachStatus]:
    """The coach a token's subject names, or 403 saying why it is refused."""
    try:
        coach_id = uuid.UUID(subject)
    except ValueError:
        raise UnknownCoachError(
            "the coach is unknown: a coach token's subject must be the id of a coach on the roster"
        ) from None
    status = directory(session, coach_id)
    if status is None:
        raise UnknownCoachError("the coach is unknown: the token's subject is not on the roster")
    if not status.active:
        raise DeactivatedCoachError("the coach is deactivated: a deactivated coach has no access")
    return coach_id, status


def check_staff_identity(
    *,
    roles: frozenset[str],
    subject: str,
    office: str | None,
    directory: CoachDirectory | None,
    session_factory: Callable[[], Session] | None,
) -> None:
    """Refuse a team lead without an office and a coach the service does not know (403)."""
    if "team_lead" in roles and office is None and "admin" not in roles:
        raise TeamLeadWithoutOfficeError(
            "a team lead token must name an office (the `office` claim): a team lead sees "
            "only their office"
        )
    if "coach" in roles and directory is not None and session_factory is not None:
        with session_factory() as session:
            coach_status(session, directory, subject)


def break_glass_reason(request: Request) -> str | None:
    """The stated reason of a break-glass request, validated; None without the header.

    It is read from a header, never the URL: the reason may mention the claimant's situation
    and URLs end up in access logs.
    """
    raw = request.headers.get(BREAK_GLASS_HEADER)
    if raw is None:
        return None
    reason = " ".join(raw.split())
    field = f"header.{BREAK_GLASS_HEADER}"
    if not BREAK_GLASS_MIN_LENGTH <= len(reason) <= BREAK_GLASS_MAX_LENGTH:
        raise InvalidField(
            field,
            f"a break-glass reason must be {BREAK_GLASS_MIN_LENGTH}-{BREAK_GLASS_MAX_LENGTH} "
            "characters: say why you need this claimant's data",
        )
    if _NINE_DIGITS.search(reason):
        raise InvalidField(field, "a break-glass reason must not contain a BSN or other number")
    return reason


def may_break_glass(roles: frozenset[str]) -> bool:
    """Whether a caller with these roles may use break-glass at all."""
    return bool(roles & BREAK_GLASS_ROLES)


def require_break_glass_role(roles: frozenset[str], *, read: bool = True) -> None:
    """403 for a break-glass request by a role that may not use it, or one that is not a read
    (break-glass shows data; it never lets anyone change a claimant's file)."""
    if not may_break_glass(roles):
        raise Forbidden(f"{BREAK_GLASS_HEADER} is for coaches and team leads only")
    if not read:
        raise Forbidden(f"{BREAK_GLASS_HEADER} is for reads only (GET, or a POST .../search)")
