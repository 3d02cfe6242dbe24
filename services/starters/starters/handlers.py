"""Event handlers of the starters service."""

from __future__ import annotations

from shared.messaging.consumer import Handler
from starters.claims.handlers import (
    handle_case_closed,
    handle_case_coach,
    handle_case_reopened,
    handle_claim_registered,
)

HANDLERS: dict[str, Handler] = {
    "claim.registered": handle_claim_registered,
    "case.closed": handle_case_closed,
    "case.reopened": handle_case_reopened,
    "case.assigned": handle_case_coach,
    "case.transferred": handle_case_coach,
}
