"""Event handlers of the intake service, by event type."""

from __future__ import annotations

from intake.claims.handlers import handle_case_closed, reopen_handler
from intake.coaches.caseload import handle_case_coach
from intake.coaches.handlers import handle_coach_deactivated, handle_coach_upserted
from intake.messages.handlers import message_handlers
from intake.settings import IntakeSettings
from shared.messaging.consumer import Handler
from shared.settings import ServiceSettings


def make_handlers(settings: IntakeSettings) -> dict[str, Handler]:
    return {
        # Messages to the claimant (ADR 0028): intake's own appointment events, coaching's
        # obligation.missed and starters' income_statement_missing.
        **message_handlers(settings),
        "coach.registered": handle_coach_upserted,
        "coach.updated": handle_coach_upserted,
        "coach.deactivated": handle_coach_deactivated,
        # Need to know (ADR 0022): a coach sees the claims of their caseload.
        "case.assigned": handle_case_coach,
        "case.transferred": handle_case_coach,
        "case.unassigned": handle_case_coach,
        "case.closed": handle_case_closed,
        # A reopened claim without a held intake is booked again: it needs the settings.
        "case.reopened": reopen_handler(settings),
    }


def handlers_for(settings: ServiceSettings) -> dict[str, Handler]:
    """The handlers for these settings (the ServiceSpec's factory)."""
    assert isinstance(settings, IntakeSettings)
    return make_handlers(settings)


# With the default settings (tests and tools that need the handlers without an app).
HANDLERS: dict[str, Handler] = make_handlers(IntakeSettings())
