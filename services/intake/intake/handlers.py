"""Event handlers of the intake service, by event type."""

from __future__ import annotations

from intake.coaches.handlers import handle_coach_deactivated, handle_coach_upserted
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "coach.registered": handle_coach_upserted,
    "coach.updated": handle_coach_upserted,
    "coach.deactivated": handle_coach_deactivated,
}
