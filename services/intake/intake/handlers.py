"""Event handlers of the intake service, by event type."""

from __future__ import annotations

from intake.claims.handlers import handle_case_closed, handle_case_reopened
from intake.coaches.caseload import handle_case_coach
from intake.coaches.handlers import handle_coach_deactivated, handle_coach_upserted
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "coach.registered": handle_coach_upserted,
    "coach.updated": handle_coach_upserted,
    "coach.deactivated": handle_coach_deactivated,
    # Need to know (ADR 0022): a coach sees the claims of their caseload.
    "case.assigned": handle_case_coach,
    "case.transferred": handle_case_coach,
    "case.unassigned": handle_case_coach,
    "case.closed": handle_case_closed,
    "case.reopened": handle_case_reopened,
}
