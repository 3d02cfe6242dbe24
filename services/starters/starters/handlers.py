"""Event handlers of the starters service."""

from __future__ import annotations

from shared.messaging.consumer import Handler
from starters.claims.handlers import (
    handle_case_closed,
    handle_case_coach,
    handle_case_reopened,
    handle_claim_registered,
)
from starters.coaches.models import HANDLERS as COACH_HANDLERS

HANDLERS: dict[str, Handler] = {
    "claim.registered": handle_claim_registered,
    "case.closed": handle_case_closed,
    "case.reopened": handle_case_reopened,
    "case.assigned": handle_case_coach,
    "case.transferred": handle_case_coach,
    # Need to know (ADR 0022): who is a coach, to refuse unknown and deactivated coaches.
    **COACH_HANDLERS,
}
