"""Event handlers of the triage service."""

from __future__ import annotations

from typing import Any

from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.messaging.consumer import Handler
from triage.scores import service


def make_handlers(*, threshold: float) -> dict[str, Handler]:
    """Handlers bound to this service's settings."""

    def handle_claim_registered(event: Event[Any], uow: UnitOfWork) -> None:
        """Give every new claim a provisional score and segment."""
        service.score_registered_claim(uow=uow, claim=event.data, threshold=threshold)

    return {"claim.registered": handle_claim_registered}
