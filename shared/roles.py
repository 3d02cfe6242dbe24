"""The roles a person can hold (kept light: `ww token` checks them without FastAPI)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Roles a person can hold."""

    CLAIMANT = "claimant"
    COACH = "coach"
    TEAM_LEAD = "team_lead"
    TRIAGE_ANALYST = "triage_analyst"
    BENEFITS_OFFICER = "benefits_officer"
    ADMIN = "admin"


STAFF_ROLES = frozenset(
    {Role.COACH, Role.TEAM_LEAD, Role.TRIAGE_ANALYST, Role.BENEFITS_OFFICER, Role.ADMIN}
)
