"""Event handlers of the triage service."""

from __future__ import annotations

from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.events.intake import (
    ClaimRegistered,
    IntakeCancelled,
    IntakeCompleted,
    IntakeNoShow,
    IntakeRescheduled,
    IntakeScheduled,
)
from shared.messaging.consumer import Handler
from shared.messaging.handlers import HandlerRegistry
from triage.claims import service as claims
from triage.coaches.models import HANDLERS as COACH_HANDLERS
from triage.questionnaires import service as questionnaires
from triage.scores import service as scores


def make_handlers(*, threshold: float) -> dict[str, Handler]:
    """Handlers bound to this service's settings."""

    def handle_claim_registered(event: Event[ClaimRegistered], uow: UnitOfWork) -> None:
        """Keep the claim's facts and score it: the active model when the registration
        carried a complete questionnaire, otherwise the provisional rule."""
        data = event.data
        claim = claims.record_registration(uow=uow, claim=data)
        if claim is None:
            return
        now = utcnow()
        questionnaires.record_event_answers(
            uow=uow,
            claim=claim,
            answers=data.questionnaire_answers,
            source=questionnaires.REGISTRATION,
            now=now,
        )
        scores.score_claim(
            uow=uow, claim=claim, trigger=scores.CLAIM_REGISTERED, threshold=threshold, now=now
        )

    def handle_intake_completed(event: Event[IntakeCompleted], uow: UnitOfWork) -> None:
        """Re-triage after the intake: its answers merged onto the latest ones."""
        data = event.data
        claim = claims.record_intake_event(uow=uow, event=data)
        now = utcnow()
        questionnaires.record_event_answers(
            uow=uow,
            claim=claim,
            answers=data.questionnaire_answers,
            source=questionnaires.INTAKE,
            now=now,
        )
        if claim.registered:  # otherwise claim.registered scores it, answers included
            scores.score_claim(
                uow=uow, claim=claim, trigger=scores.INTAKE_COMPLETED, threshold=threshold, now=now
            )

    def handle_intake_coach(
        event: Event[IntakeScheduled]
        | Event[IntakeRescheduled]
        | Event[IntakeNoShow]
        | Event[IntakeCancelled],
        uow: UnitOfWork,
    ) -> None:
        """Remember the coach holding the claim's intake (their caseload for triage)."""
        claims.record_intake_event(uow=uow, event=event.data)

    registry = HandlerRegistry()
    registry.on(ClaimRegistered, handle_claim_registered)
    registry.on(IntakeCompleted, handle_intake_completed)
    registry.on(IntakeScheduled, handle_intake_coach)
    registry.on(IntakeRescheduled, handle_intake_coach)
    registry.on(IntakeNoShow, handle_intake_coach)
    registry.on(IntakeCancelled, handle_intake_coach)
    # Need to know (ADR 0022): who is a coach, to refuse unknown and deactivated coaches.
    registry.include(COACH_HANDLERS)
    return registry.build()
