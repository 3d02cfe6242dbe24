"""Event handlers of the coaching service."""

from __future__ import annotations

from typing import Any

from coaching.cases import service as cases
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.messaging.consumer import Handler


def handle_claim_registered(event: Event[Any], uow: UnitOfWork) -> None:
    """Open a case for every new claim."""
    cases.open_case(uow=uow, claim=event.data)


def handle_triage_scored(event: Event[Any], uow: UnitOfWork) -> None:
    """Keep the case's score and segment current."""
    cases.apply_score(uow=uow, scored=event.data)


def handle_triage_overridden(event: Event[Any], uow: UnitOfWork) -> None:
    """A person overrode the segment: the case follows the human decision."""
    cases.apply_override(uow=uow, overridden=event.data)


HANDLERS: dict[str, Handler] = {
    "claim.registered": handle_claim_registered,
    "triage.scored": handle_triage_scored,
    "triage.overridden": handle_triage_overridden,
}
