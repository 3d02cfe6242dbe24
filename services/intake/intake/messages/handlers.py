"""Intake's consumer handlers that turn events into messages to the claimant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.claims.models import Claim
from intake.messages import planning
from intake.messages.kinds import EVENT_KINDS, Channel, Kind
from intake.messages.models import Message, MessageTrigger
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.delivery.models import DeliveryStatus
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


def handle_claim_updated(event: Event[Any], uow: UnitOfWork) -> None:
    """claim.updated: messages still waiting go to the claimant's new address or number;
    with the address or number removed they are suppressed (never to the old one)."""
    changed = set(event.data.changed_fields)
    claim = uow.session.get(Claim, event.data.claim_id)
    if claim is None:
        return
    for field, channel in (("email", Channel.EMAIL), ("phone", Channel.SMS)):
        if field not in changed:
            continue
        waiting = select(Message).where(
            Message.claim_id == claim.id,
            Message.channel == str(channel),
            Message.status == DeliveryStatus.PENDING,
        )
        current = getattr(claim, field)
        for message in uow.session.scalars(waiting.with_for_update()):
            if current:
                message.recipient = current
            else:
                message.status = DeliveryStatus.SUPPRESSED
                message.next_attempt_at = None
                message.finished_at = utcnow()
                message.last_error = f"the claimant's {field} was removed"


def message_handlers(settings: IntakeSettings) -> dict[str, Handler]:
    """One handler per event type that makes a message, and claim.updated."""
    handler = message_handler(settings)
    return {**dict.fromkeys(EVENT_KINDS, handler), "claim.updated": handle_claim_updated}
