"""The effect of each decision step on an application, one function per step, chosen by
the step's type in `_STEPS` (`step_effect`). A step function checks the step's own dates
and facts (a 422 naming the field), changes the application, and adds to the run the
parameter versions it used and the events to publish; it returns the decision's details.
The state machine, the guards and the decision row are the service's (`service.transition`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.db.uow import UnitOfWork
from shared.decimals import two_places
from shared.events.envelope import EventPayload
from shared.events.starters import (
    StartersContinued,
    StartersResearchPeriodEnded,
    StartersResearchPeriodStarted,
    StartersRevived,
    StartersSchemeEnded,
    StartersStartPeriodGranted,
    StartersStartPeriodRefused,
    StartersStopped,
)
from shared.web.auth import Principal
from shared.web.problems import Conflict, InvalidField
from starters.applications.models import Application
from starters.applications.schemas import (
    ContinueBusiness,
    GrantStartPeriod,
    Refuse,
    Revive,
    StartResearch,
    StopBusiness,
    Withdraw,
    WwFactsIn,
)
from starters.claims.models import KnownClaim
from starters.rules import schedule as rules
from starters.rules.parameters import ParameterSet

Step = (
    StartResearch | GrantStartPeriod | Refuse | ContinueBusiness | StopBusiness | Revive | Withdraw
)
Details = dict[str, Any]


class ResearchPeriodRunning(Conflict):
    """A start period would begin inside the research period, and the grant does not say
    why the research period ends early (`research_period_end_reason`, ADR 0019)."""

    slug = "starters-research-period-running"
    title = "The start period would begin inside the running research period"


@dataclass
class StepRun:
    """One decision under way: what a step function reads, and what it adds."""

    uow: UnitOfWork
    app: Application
    claim: KnownClaim | None
    params: ParameterSet
    principal: Principal
    today: dt.date
    now: dt.datetime
    versions: list[str] = field(default_factory=list)
    events: list[EventPayload] = field(default_factory=list)

    def version(self, name: str, day: dt.date) -> Any:
        """The value of parameter `name` on `day`; its version is recorded."""
        value = self.params.at(name, day)
        self.versions.append(value.version)
        return value.value

    def first_ww_day(self) -> dt.date | None:
        """The claim's first WW day (None only for a claim starters does not know)."""
        return self.claim.first_ww_day if self.claim is not None else None


StepFunction = Callable[[Any, StepRun], Details]


def step_effect(step: Step, run: StepRun) -> Details:
    """Apply the step's effect to `run.app` (see the module docstring)."""
    return _STEPS[type(step)](step, run)


# --- the WW facts, recorded with the first decision ----------------------------------------


def _set_facts(run: StepRun, ww: WwFactsIn | None) -> Details:
    """Record the WW facts after checking them against the claim's first WW day (422
    naming `ww.entitlement_end` / `ww.entitlement_months`); the end is computed one way,
    `rules.entitlement_end` (ADR 0019). Returns the facts for the decision's details."""
    app, params = run.app, run.params
    if ww is None and app.dagloon is None:
        raise InvalidField("ww", "the WW facts are needed with the first decision")
    # `create` refuses claims without a first WW day, so an application always has one.
    first = run.first_ww_day()
    assert first is not None
    run.versions.append(params.at("entitlement_max_months", first).version)
    if ww is None:
        # Facts recorded before ADR 0019 were not checked: a decision does not build on
        # facts that disagree with the claim.
        assert app.entitlement_months is not None
        stored = rules.check_ww_facts(
            first_ww_day=first,
            entitlement_months=app.entitlement_months,
            entitlement_end=app.entitlement_end,
            params=params,
        )
        if stored:
            raise InvalidField(
                f"ww.{stored[0].field}",
                f"the recorded WW facts disagree with the claim ({stored[0].message}); "
                "give them again in `ww`",
            )
        return {}
    violations = rules.check_ww_facts(
        first_ww_day=first,
        entitlement_months=ww.entitlement_months,
        entitlement_end=ww.entitlement_end,
        params=params,
    )
    if violations:
        raise InvalidField(f"ww.{violations[0].field}", violations[0].message)
    app.dagloon = ww.dagloon
    app.entitlement_end = rules.entitlement_end(first, ww.entitlement_months)
    app.entitlement_months = ww.entitlement_months
    app.usual_hours_per_day = ww.usual_hours_per_day
    return {
        "first_ww_day": str(first),
        "entitlement_months": ww.entitlement_months,
        "entitlement_end": str(app.entitlement_end),
    }


def _not_before_first_ww_day(run: StepRun, starts_on: dt.date) -> None:
    first = run.first_ww_day()
    if first is not None and starts_on < first:
        raise InvalidField("starts_on", f"before the first WW day {first.isoformat()}")


# --- the steps ------------------------------------------------------------------------------


def _start_research(step: StartResearch, run: StepRun) -> Details:
    app = run.app
    facts = _set_facts(run, step.ww)
    _not_before_first_ww_day(run, step.starts_on)
    if step.ends_on < step.starts_on:
        raise InvalidField("ends_on", "before starts_on")
    weeks = run.version("research_period_max_weeks", step.starts_on)
    if (step.ends_on - step.starts_on).days + 1 > int(weeks) * 7:
        raise InvalidField("ends_on", f"the research period lasts at most {weeks} weeks")
    app.research_start, app.research_end = step.starts_on, step.ends_on
    run.events.append(
        StartersResearchPeriodStarted(
            claim_id=app.claim_id,
            application_id=app.id,
            starts_on=step.starts_on,
            ends_on=step.ends_on,
        )
    )
    return {"starts_on": str(step.starts_on), "ends_on": str(step.ends_on), **facts}


def _grant_start_period(step: GrantStartPeriod, run: StepRun) -> Details:
    app, params = run.app, run.params
    facts = _set_facts(run, step.ww)
    _not_before_first_ww_day(run, step.starts_on)
    if app.research_start is not None and step.starts_on < app.research_start:
        raise InvalidField("starts_on", "before the research period")
    assert app.entitlement_end is not None
    if step.starts_on > app.entitlement_end:
        raise InvalidField("starts_on", "after the end of the WW entitlement")
    end = rules.start_period_end(step.starts_on, app.entitlement_end, params)
    reduction = run.version("start_period_reduction_percent", step.starts_on)
    run.versions += start_period_versions(params, step.starts_on)
    app.start_period_start, app.start_period_end = step.starts_on, end
    details: Details = {"starts_on": str(step.starts_on), "ends_on": str(end), **facts}
    if app.research_end is not None and app.research_end >= step.starts_on:
        details["research_period_ended_early"] = _end_research_early(run, step)
    run.events.append(
        StartersStartPeriodGranted(
            claim_id=app.claim_id,
            application_id=app.id,
            starts_on=step.starts_on,
            ends_on=end,
            reduction_percent=Decimal(reduction),
        )
    )
    return details


def _end_research_early(run: StepRun, step: GrantStartPeriod) -> Details:
    """A start period beginning inside the research period ends it explicitly: only with
    a stated reason (else 409 `starters-research-period-running` naming the guard), then
    the day before the start (or, starting on its first day, it had no day of its own and
    both dates are cleared), audited with the old and new dates and the reason."""
    app = run.app
    assert app.research_start is not None
    assert app.research_end is not None
    planned_start, planned_end = app.research_start, app.research_end
    if step.research_period_end_reason is None:
        raise ResearchPeriodRunning(
            f"the research period runs {planned_start.isoformat()} .. "
            f"{planned_end.isoformat()}; a start period from {step.starts_on.isoformat()} "
            "ends it early only with `research_period_end_reason`",
            guard="overlaps_research_period",
            field="research_period_end_reason",
            research_start=planned_start.isoformat(),
            research_end=planned_end.isoformat(),
        )
    if step.starts_on <= planned_start:
        app.research_start = app.research_end = None
    else:
        app.research_end = step.starts_on - dt.timedelta(days=1)
    new_end = app.research_end
    run.uow.audit(
        actor=run.principal.as_actor(),
        action="application.research_period.end_early",
        resource_type="application",
        resource_id=app.id,
        reason=step.research_period_end_reason,
        old={"research_start": str(planned_start), "research_end": str(planned_end)},
        new={
            "research_start": None if app.research_start is None else str(app.research_start),
            "research_end": None if new_end is None else str(new_end),
        },
    )
    run.events.append(
        StartersResearchPeriodEnded(
            claim_id=app.claim_id,
            application_id=app.id,
            starts_on=planned_start,
            ends_on=new_end,
            planned_ends_on=planned_end,
        )
    )
    return {
        "planned_end": str(planned_end),
        "ends_on": None if new_end is None else str(new_end),
        "reason": step.research_period_end_reason,
    }


def _refuse(step: Refuse, run: StepRun) -> Details:
    app, today = run.app, run.today
    app.refusal_reasons = list(step.reason_codes)
    ended = min(today, app.research_end) if app.research_end else today
    if app.research_end is not None and app.research_end > today:
        app.research_end = today
    run.events += [
        StartersStartPeriodRefused(
            claim_id=app.claim_id,
            application_id=app.id,
            reason_codes=list(step.reason_codes),
            decided_at=run.now,
        ),
        StartersSchemeEnded(
            claim_id=app.claim_id, application_id=app.id, outcome="refused", ended_on=ended
        ),
    ]
    return {"reason_codes": list(step.reason_codes)}


def _continue_business(step: ContinueBusiness, run: StepRun) -> Details:
    app = run.app
    assert app.start_period_start is not None
    if step.continued_on <= app.start_period_start:
        raise InvalidField("continued_on", "after the start of the start period")
    app.outcome_on = step.continued_on
    app.business_hours_per_month = step.business_hours_per_month
    run.version("after_start_deduction_percent", step.continued_on)
    run.events += [
        StartersContinued(
            claim_id=app.claim_id,
            application_id=app.id,
            business_hours_per_month=step.business_hours_per_month,
            continued_on=step.continued_on,
        ),
        StartersSchemeEnded(
            claim_id=app.claim_id,
            application_id=app.id,
            outcome="continued",
            ended_on=step.continued_on,
        ),
    ]
    return {
        "continued_on": str(step.continued_on),
        "business_hours_per_month": two_places(step.business_hours_per_month),
    }


def _stop_business(step: StopBusiness, run: StepRun) -> Details:
    app, params = run.app, run.params
    assert app.start_period_start is not None
    assert app.entitlement_months is not None
    if step.stopped_on < app.start_period_start:
        raise InvalidField("stopped_on", "before the start of self-employment")
    if step.stopped_on > run.today:
        raise InvalidField("stopped_on", "in the future")
    deadline = rules.revival_deadline(app.start_period_start, app.entitlement_months, params)
    run.versions += revival_versions(params, app.start_period_start)
    app.outcome_on = step.stopped_on
    app.revival_deadline = deadline
    if app.start_period_end is not None and app.start_period_end > step.stopped_on:
        app.start_period_end = step.stopped_on
    run.events += [
        StartersStopped(
            claim_id=app.claim_id,
            application_id=app.id,
            stopped_on=step.stopped_on,
            revival_possible_until=deadline,
        ),
        StartersSchemeEnded(
            claim_id=app.claim_id,
            application_id=app.id,
            outcome="stopped",
            ended_on=step.stopped_on,
            revival_possible_until=deadline,
        ),
    ]
    return {"stopped_on": str(step.stopped_on), "revival_possible_until": str(deadline)}


def _revive(step: Revive, run: StepRun) -> Details:
    app, params = run.app, run.params
    assert app.start_period_start is not None
    assert app.entitlement_months is not None
    if app.outcome_on is not None and step.revived_on < app.outcome_on:
        raise InvalidField("revived_on", "before the business stopped")
    if step.revived_on > run.today:
        raise InvalidField("revived_on", "in the future")
    run.versions += revival_versions(params, app.start_period_start)
    if not rules.revival_allowed(
        step.revived_on, app.start_period_start, app.entitlement_months, params
    ):
        deadline = rules.revival_deadline(app.start_period_start, app.entitlement_months, params)
        raise InvalidField(
            "revived_on",
            f"the revival window ended on {deadline.isoformat()} (counted from the start "
            "of self-employment)",
        )
    app.revived_on = step.revived_on
    run.events.append(
        StartersRevived(claim_id=app.claim_id, application_id=app.id, revived_on=step.revived_on)
    )
    return {"revived_on": str(step.revived_on)}


def _withdraw(step: Withdraw, run: StepRun) -> Details:
    app, today = run.app, run.today
    if app.research_end is not None and app.research_end > today:
        app.research_end = today
    if app.start_period_end is not None and app.start_period_end > today:
        app.start_period_end = today
    run.events.append(
        StartersSchemeEnded(
            claim_id=app.claim_id, application_id=app.id, outcome="withdrawn", ended_on=today
        )
    )
    return {}


# One function per step type (`TransitionBody`'s members): the dispatch of `step_effect`.
_STEPS: dict[type[Step], StepFunction] = {
    StartResearch: _start_research,
    GrantStartPeriod: _grant_start_period,
    Refuse: _refuse,
    ContinueBusiness: _continue_business,
    StopBusiness: _stop_business,
    Revive: _revive,
    Withdraw: _withdraw,
}


def start_period_versions(params: ParameterSet, day: dt.date) -> list[str]:
    """The versions of the parameters a start period's end is computed with."""
    return [params.at(n, day).version for n in rules.START_PERIOD_PARAMETERS]


def revival_versions(params: ParameterSet, day: dt.date) -> list[str]:
    """The versions of the parameters the revival window is computed with."""
    return [params.at(n, day).version for n in rules.REVIVAL_PARAMETERS]
