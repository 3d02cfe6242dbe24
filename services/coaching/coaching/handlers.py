"""Event handlers of the coaching service, by payload class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coaching.assignment import service as assignment
from coaching.assignment.rules import DEFAULT_POLICY, AssignmentPolicy
from coaching.cases import repository as cases_repository
from coaching.cases import service as cases
from coaching.cases.claim_handlers import handle_claim_updated, handle_claim_withdrawn
from coaching.cases.models import Case
from coaching.noshows import service as noshows
from coaching.noshows.rules import DEFAULT_NO_SHOW_POLICY, NoShowPolicy
from coaching.obligations import service as obligations
from coaching.settings import CoachingSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.events.intake import (
    ClaimRegistered,
    ClaimUpdated,
    ClaimWithdrawn,
    IntakeCompleted,
    IntakeNoShow,
    IntakeScheduled,
)
from shared.events.starters import (
    StartersResearchPeriodStarted,
    StartersRevived,
    StartersSchemeEnded,
    StartersStartPeriodGranted,
    StartersStopped,
)
from shared.events.triage import TriageOverridden, TriageScored
from shared.messaging.consumer import Handler
from shared.messaging.handlers import HandlerRegistry

STARTERS = Actor(subject="starters", kind="application", roles=())


@dataclass(frozen=True)
class CoachingHandlers:
    """The handlers, bound to the assignment and no-show policies of the service's settings.

    After each event that can make a case due for assignment (registration, segment,
    intake coach, a repeated no-show), the no-show rule is applied (a digital case with a
    repeated no-show is personal service, `coaching.noshows`) and the case is decided when
    due (`coaching.assignment.service`). The envelope's time is the decision's `today` (a
    redelivery decides alike).
    """

    policy: AssignmentPolicy
    no_show_policy: NoShowPolicy = DEFAULT_NO_SHOW_POLICY

    def _then_assign(self, event: Event[Any], uow: UnitOfWork, case: Case) -> None:
        noshows.enforce_segment_rule(uow=uow, case=case)
        assignment.maybe_assign(uow=uow, case=case, policy=self.policy, today=event.time.date())

    def intake_no_show(self, event: Event[IntakeNoShow], uow: UnitOfWork) -> None:
        """intake.no_show: the count and flag on the case; a repeated no-show gets the
        coach a task and moves a digital case to personal service (which then gets a
        coach, or goes to the team lead's queue)."""
        no_show, policy = event.data, self.no_show_policy
        case = noshows.record_no_show(
            uow=uow, no_show=no_show, recorded_at=event.time, policy=policy
        )
        self._then_assign(event, uow, case)
        noshows.give_task(
            uow=uow, case=case, no_show=no_show, recorded_at=event.time, policy=policy
        )

    def claim_registered(self, event: Event[ClaimRegistered], uow: UnitOfWork) -> None:
        """Open a case for every new claim."""
        self._then_assign(event, uow, cases.open_case(uow=uow, claim=event.data))

    def triage_scored(self, event: Event[TriageScored], uow: UnitOfWork) -> None:
        """Keep the case's score and segment current."""
        self._then_assign(event, uow, cases.apply_score(uow=uow, scored=event.data))

    def triage_overridden(self, event: Event[TriageOverridden], uow: UnitOfWork) -> None:
        """A person overrode the segment: the case follows the human decision."""
        self._then_assign(event, uow, cases.apply_override(uow=uow, overridden=event.data))

    def intake_coach(
        self, event: Event[IntakeCompleted] | Event[IntakeScheduled], uow: UnitOfWork
    ) -> None:
        """intake.completed / intake.scheduled: the intake's coach, for continuity."""
        self._then_assign(event, uow, cases.record_intake_coach(uow=uow, intake=event.data))

    def starters_revived(self, event: Event[StartersRevived], uow: UnitOfWork) -> None:
        """starters.revived: WW runs again, so a closed case is reopened (audited as the
        starters service), gets a coach again if its own is inactive or at their maximum
        (`cases.reopen_case`), and the job-search obligation applies again from the
        revival day."""
        revived = event.data
        case = cases_repository.by_claim(uow.session, revived.claim_id)
        if case is None:
            return
        cases.lock_case(uow, case, roster=True)  # a concurrent reopen or close is seen
        if case.status != "closed":
            return
        closed_on, closed_at = case.closed_on, case.closed_at
        cases.reopen_case(
            uow=uow,
            case=case,
            reason="WW revived (starters scheme)",
            actor=STARTERS,
            policy=self.policy,
            today=event.time.date(),
        )
        obligations.resume_after_reopen(
            uow=uow,
            case=case,
            closed_on=closed_on,
            closed_at=closed_at,
            resume_on=revived.revived_on,
            by="starters",
        )


def handle_starters_period(
    event: Event[StartersResearchPeriodStarted] | Event[StartersStartPeriodGranted],
    uow: UnitOfWork,
) -> None:
    """starters.research_period_started / start_period_granted: no job-search
    obligation from starts_on to ends_on (an exemption of the claim)."""
    obligations.record_exemption(uow=uow, started=event.data)


def handle_starters_stopped(event: Event[StartersStopped], uow: UnitOfWork) -> None:
    """starters.stopped: the application's exemptions end on stopped_on at the latest."""
    obligations.stop_exemptions(uow=uow, stopped=event.data)


def handle_starters_scheme_ended(event: Event[StartersSchemeEnded], uow: UnitOfWork) -> None:
    """starters.scheme_ended: refused or withdrawn ends the exemptions on `ended_on`
    (stopped is `starters.stopped`; continued: the start period ran its course)."""
    ended = event.data
    if ended.outcome in ("refused", "withdrawn"):
        obligations.end_exemptions(
            uow=uow,
            claim_id=ended.claim_id,
            application_id=ended.application_id,
            last_day=ended.ended_on,
        )


def make_handlers(
    policy: AssignmentPolicy, no_show_policy: NoShowPolicy = DEFAULT_NO_SHOW_POLICY
) -> dict[str, Handler]:
    """Handlers bound to the assignment and no-show policies of the service's settings."""
    bound = CoachingHandlers(policy, no_show_policy)
    registry = HandlerRegistry()
    registry.on(StartersSchemeEnded, handle_starters_scheme_ended)
    registry.on(StartersRevived, bound.starters_revived)
    registry.on(ClaimRegistered, bound.claim_registered)
    registry.on(ClaimWithdrawn, handle_claim_withdrawn)
    registry.on(ClaimUpdated, handle_claim_updated)
    registry.on(TriageScored, bound.triage_scored)
    registry.on(TriageOverridden, bound.triage_overridden)
    registry.on(IntakeCompleted, bound.intake_coach)
    registry.on(IntakeScheduled, bound.intake_coach)
    registry.on(IntakeNoShow, bound.intake_no_show)
    registry.on(StartersResearchPeriodStarted, handle_starters_period)
    registry.on(StartersStartPeriodGranted, handle_starters_period)
    registry.on(StartersStopped, handle_starters_stopped)
    return registry.build()


def handlers_for(settings: CoachingSettings) -> dict[str, Handler]:
    """The handlers for these settings (the ServiceSpec's factory)."""
    return make_handlers(settings.assignment_policy(), settings.no_show_policy())


# With the default policy (tests and tools that need the handlers without settings).
HANDLERS: dict[str, Handler] = make_handlers(DEFAULT_POLICY)
handle_claim_registered: Handler = HANDLERS["claim.registered"]
handle_triage_scored: Handler = HANDLERS["triage.scored"]
handle_triage_overridden: Handler = HANDLERS["triage.overridden"]
