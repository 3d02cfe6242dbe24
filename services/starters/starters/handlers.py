"""Event handlers of the starters service."""

from __future__ import annotations

from shared.events.coaching import CaseAssigned, CaseClosed, CaseReopened, CaseTransferred
from shared.events.intake import ClaimRegistered
from shared.messaging.consumer import Handler
from shared.messaging.handlers import HandlerRegistry
from starters.claims.handlers import (
    handle_case_closed,
    handle_case_coach,
    handle_case_reopened,
    handle_claim_registered,
)
from starters.coaches.models import HANDLERS as COACH_HANDLERS


def _registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.on(ClaimRegistered, handle_claim_registered)
    registry.on(CaseClosed, handle_case_closed)
    registry.on(CaseReopened, handle_case_reopened)
    registry.on(CaseAssigned, handle_case_coach)
    registry.on(CaseTransferred, handle_case_coach)
    # Need to know (ADR 0022): who is a coach, to refuse unknown and deactivated coaches.
    registry.include(COACH_HANDLERS)
    return registry


HANDLERS: dict[str, Handler] = _registry().build()
