"""Event handlers of the intake service, by event type."""

from __future__ import annotations

from intake.claims.handlers import handle_case_closed, handle_case_reopened
from intake.coaches.handlers import handle_coach_deactivated, handle_coach_upserted
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "coach.registered": handle_coach_upserted,
    "coach.updated": handle_coach_upserted,
    "coach.deactivated": handle_coach_deactivated,
    "case.closed": handle_case_closed,
    "case.reopened": handle_case_reopened,
}
