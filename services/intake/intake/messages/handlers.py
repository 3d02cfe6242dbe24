"""Intake's consumer handlers that turn events into messages to the claimant."""

from __future__ import annotations

from typing import Any

from intake.messages import planning
from intake.messages.kinds import EVENT_KINDS, Kind
from intake.messages.models import MessageTrigger
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.messaging.consumer import Handler


def trigger_of(event: Event[Any]) -> planning.Trigger:
    """The message trigger of an event: its kind, claim, appointment and facts."""
    data = event.data.model_dump(mode="json")
    kind = EVENT_KINDS[event.type]
    if event.type == "intake.scheduled" and data.get("summoned"):
        kind = Kind.SUMMONS
    appointment = data.get("appointment_id")
    return planning.Trigger(
        kind=kind,
        claim_id=event.data.claim_id,
        event_id=event.id,
        event_type=event.type,
        occurred_at=event.time,
        appointment_id=event.data.appointment_id if appointment else None,
        data=data,
    )


def message_handler(settings: IntakeSettings) -> Handler:
    """A handler planning the messages of one event (in the consumer's transaction)."""

    def handle(event: Event[Any], uow: UnitOfWork) -> None:
        if not settings.messages_enabled:
            return
        trigger = trigger_of(event)
        if uow.session.get(MessageTrigger, trigger.event_id) is None:
            uow.session.add(
                MessageTrigger(
                    event_id=trigger.event_id,
                    event_type=trigger.event_type,
                    kind=str(trigger.kind),
                    claim_id=trigger.claim_id,
                    appointment_id=trigger.appointment_id,
                    data=trigger.data,
                    occurred_at=trigger.occurred_at,
                )
            )
            uow.session.flush()
        planning.plan_messages(uow, trigger, settings, now=utcnow())

    return handle


def message_handlers(settings: IntakeSettings) -> dict[str, Handler]:
    """One handler per event type that makes a message."""
    handler = message_handler(settings)
    return dict.fromkeys(EVENT_KINDS, handler)
