"""Event handlers of the intake service, by payload class."""

from __future__ import annotations

from intake.claims.handlers import handle_case_closed, reopen_handler
from intake.coaches.caseload import handle_case_coach
from intake.coaches.handlers import handle_coach_deactivated, handle_coach_upserted
from intake.messages.handlers import message_handlers
from intake.settings import IntakeSettings
from shared.events.coaching import (
    CaseAssigned,
    CaseClosed,
    CaseReopened,
    CaseTransferred,
    CaseUnassigned,
    CoachDeactivated,
    CoachRegistered,
    CoachUpdated,
)
from shared.messaging.consumer import Handler
from shared.messaging.handlers import HandlerRegistry


def make_handlers(settings: IntakeSettings) -> dict[str, Handler]:
    registry = HandlerRegistry()
    # Messages to the claimant (ADR 0028): intake's own appointment events, coaching's
    # obligation.missed and starters' income_statement_missing.
    for event_type, handler in message_handlers(settings).items():
        registry.on_types([event_type], handler)
    registry.on(CoachRegistered, handle_coach_upserted)
    registry.on(CoachUpdated, handle_coach_upserted)
    registry.on(CoachDeactivated, handle_coach_deactivated)
    # Need to know (ADR 0022): a coach sees the claims of their caseload.
    registry.on(CaseAssigned, handle_case_coach)
    registry.on(CaseTransferred, handle_case_coach)
    registry.on(CaseUnassigned, handle_case_coach)
    registry.on(CaseClosed, handle_case_closed)
    # A reopened claim without a held intake is booked again: it needs the settings.
    registry.on(CaseReopened, reopen_handler(settings))
    return registry.build()


def handlers_for(settings: IntakeSettings) -> dict[str, Handler]:
    """The handlers for these settings (the ServiceSpec's factory)."""
    return make_handlers(settings)


# With the default settings (tests and tools that need the handlers without an app).
HANDLERS: dict[str, Handler] = make_handlers(IntakeSettings())
