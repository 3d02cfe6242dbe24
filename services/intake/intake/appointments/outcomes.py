"""What became of a held-or-missed intake: a no-show (item 8) or a completed intake."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from intake.agendas.rules import local_day
from intake.appointments import repository, rules
from intake.appointments.booking import rebook_or_shortfall
from intake.appointments.guards import audit_action, load_for_action, require_allowed
from intake.appointments.models import (
    COMPLETED,
    NO_SHOW,
    Appointment,
    AppointmentCompletion,
)
from intake.calendar.service import WorkingDayCalendar
from intake.claims.rules import refuse_unfit_answers
from intake.settings import IntakeSettings
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    IntakeCompleted,
    IntakeNoShow,
)
from shared.reference import OfficeDirectory
from shared.web.auth import Principal


@dataclass(frozen=True)
class NoShowOutcome:
    """A recorded no-show and what followed."""

    appointment: Appointment
    summons: Appointment | None
    no_show_count: int
    flagged_for_coach: bool


def no_show(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> NoShowOutcome:
    """Staff record that the claimant did not attend (only after the start), item 8.

    The first no-show books a summons within `no_show_rebook_working_days` working days
    (the invitation says missing it can affect the benefit; nothing free -> a shortfall
    with that deadline and the unplanned list). At `no_shows_before_attention` no-shows
    the claim is flagged for the coach instead: what follows is the coach's decision.
    """
    appointment, claim, _ = load_for_action(uow, appointment_id, principal, claimant_ok=False)
    require_allowed(rules.NO_SHOW, appointment, staff=True, now=now, settings=settings)
    old_status = appointment.status
    appointment.status = NO_SHOW
    claim.no_show_count = (claim.no_show_count or 0) + 1
    flagged = claim.no_show_count >= settings.no_shows_before_attention
    if flagged and claim.attention_reason is None:
        claim.attention_reason = "repeated_no_show"
        claim.attention_since = now
    uow.session.flush()
    uow.publish(
        IntakeNoShow(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            coach_id=appointment.coach_id,
            scheduled_at=appointment.starts_at,
            no_show_count=claim.no_show_count,
            flagged_for_coach=flagged,
        )
    )
    audit_action(
        uow,
        principal,
        appointment,
        "no_show",
        old_status,
        extra={"no_show_count": claim.no_show_count, "flagged_for_coach": flagged},
    )
    summons: Appointment | None = None
    if not flagged and claim.status == "open":
        deadline = WorkingDayCalendar(uow.session).add_working_days(
            local_day(now), settings.no_show_rebook_working_days, claim.office_code
        )
        summons = rebook_or_shortfall(
            uow,
            claim,
            deadline=deadline,
            actor=principal.as_actor(),
            offices=offices,
            settings=settings,
            now=now,
            exclude_slots={appointment.slot_id},
            summoned=True,
        )
    uow.commit()
    return NoShowOutcome(appointment, summons, claim.no_show_count, flagged)


def complete(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    explained_topics: Collection[str],
    obligation_regime: str,
    claimant_view: str | None,
    questionnaire_answers: dict[str, str | int | float | bool] | None,
    agreed_next_step: str,
    principal: Principal,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Appointment:
    """Staff record the held intake (only after the start, once); `claimant_view` stays here."""
    refuse_unfit_answers(questionnaire_answers)
    appointment, _, _ = load_for_action(uow, appointment_id, principal, claimant_ok=False)
    require_allowed(rules.COMPLETE, appointment, staff=True, now=now, settings=settings)
    old_status = appointment.status
    appointment.status = COMPLETED
    topics = sorted(explained_topics)
    within = local_day(appointment.starts_at) <= appointment.deadline
    repository.add_completion(
        uow.session,
        AppointmentCompletion(
            appointment_id=appointment.id,
            held_at=appointment.starts_at,
            within_deadline=within,
            explained_topics=topics,
            obligation_regime=obligation_regime,
            claimant_view=claimant_view,
            questionnaire_answers=questionnaire_answers,
            agreed_next_step=agreed_next_step,
            completed_by=principal.subject,
            completed_at=now,
        ),
    )
    uow.publish(
        IntakeCompleted(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            coach_id=appointment.coach_id,
            held_at=appointment.starts_at,
            explained_topics=topics,
            agreed_next_step=agreed_next_step,
            questionnaire_answers=questionnaire_answers,
            within_deadline=within,
            obligation_regime=obligation_regime,  # type: ignore[arg-type]
        )
    )
    audit_action(
        uow,
        principal,
        appointment,
        "complete",
        old_status,
        extra={"within_deadline": within, "explained_topics": topics},
    )
    uow.commit()
    return appointment
