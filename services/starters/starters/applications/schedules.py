"""The schedule of an application and the what-if simulation: the rules' inputs
(`facts_and_plan`) and `starters.rules.schedule.monthly_schedule` under the parameters in
force (docs/starters-rules.md, "In the service")."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from shared.db.uow import UnitOfWork
from shared.web.auth import Principal
from shared.web.problems import Conflict, InvalidField
from starters.applications import repository
from starters.applications.access import load
from starters.applications.models import Application
from starters.applications.statements import suspensions
from starters.parameters import service as parameters
from starters.rules import schedule as rules
from starters.rules.states import State


def facts_and_plan(
    uow: UnitOfWork, app: Application
) -> tuple[rules.WwFacts, rules.StartersPlan] | None:
    """The rules' inputs for an application (None before the WW facts are recorded)."""
    if app.dagloon is None or app.entitlement_end is None or app.usual_hours_per_day is None:
        return None
    claim = repository.known_claim(uow.session, app.claim_id)
    first = (
        claim.first_ww_day if claim is not None and claim.first_ww_day else app.created_at.date()
    )
    facts = rules.WwFacts(
        dagloon=app.dagloon,
        first_ww_day=first,
        entitlement_end=app.entitlement_end,
        usual_hours_per_day=app.usual_hours_per_day,
    )
    state = State(app.state)
    outcome: Any = None
    if state is State.CONTINUED:
        outcome = "continued"
    elif state in (State.STOPPED, State.REVIVED):
        outcome = "stopped"
    plan = rules.StartersPlan(
        research_start=app.research_start,
        research_end=app.research_end,
        start_period_start=app.start_period_start,
        start_period_end=app.start_period_end,
        outcome=outcome,
        outcome_on=app.outcome_on,
        business_hours_per_month=app.business_hours_per_month,
        suspended=tuple((s.starts_on, s.ends_on) for s in suspensions(uow, app)),
        **rules.variant_fields(app.variant, app.gradual_business_share),
    )
    return facts, plan


def schedule_of(
    uow: UnitOfWork, application_id: uuid.UUID, principal: Principal, *, variants_enabled: bool
) -> tuple[Application, list[rules.MonthLine]]:
    """The application's monthly schedule (409 before the WW facts are recorded, or when
    the rules cannot compute one); the read is audited."""
    app = load(uow, application_id, principal, action="application.schedule")
    inputs = facts_and_plan(uow, app)
    if inputs is None:
        raise Conflict("the schedule needs the WW facts of the first decision")
    facts, plan = inputs
    params = parameters.current(uow, variants_enabled=variants_enabled)
    try:
        lines = rules.monthly_schedule(facts, plan, params)
    except rules.PlanError as exc:
        raise Conflict(f"no schedule: {exc}") from None
    uow.commit()
    return app, lines


def simulate(
    uow: UnitOfWork,
    *,
    dagloon: Decimal,
    first_ww_day: dt.date,
    entitlement_months: int,
    start: dt.date,
    usual_hours_per_day: Decimal,
    research_weeks: int,
    outcome: Literal["continued", "stopped"] | None,
    business_hours_per_month: Decimal | None,
) -> list[rules.MonthLine]:
    """What-if: the monthly schedule of a proposed start, under the parameters in force
    (nothing is stored; a 422 names the query parameter that makes it impossible)."""
    params = parameters.current(uow)
    # Before every parameter has a value the rules cannot compute a schedule (this was a
    # 500): the limit follows the parameter set, e.g. max_dagloon is known from 2025.
    earliest = params.complete_from()
    for name, day in (("first_ww_day", first_ww_day), ("start", start)):
        if earliest is not None and day < earliest:
            raise InvalidField(name, f"must be on or after {earliest}", location="query")
    if start < first_ww_day:
        raise InvalidField("start", "before the first WW day", location="query")
    if outcome == "continued" and business_hours_per_month is None:
        raise InvalidField(
            "business_hours_per_month", "a continued business reports hours", location="query"
        )
    entitlement_end = rules.entitlement_end(first_ww_day, entitlement_months)
    if start > entitlement_end:
        raise InvalidField("start", "after the end of the entitlement", location="query")
    research_start = start - dt.timedelta(weeks=research_weeks) if research_weeks else None
    if research_start is not None and research_start < first_ww_day:
        raise InvalidField(
            "research_weeks", "the research period would start before WW", location="query"
        )
    sp_end = rules.start_period_end(start, entitlement_end, params)
    facts = rules.WwFacts(
        dagloon=dagloon,
        first_ww_day=first_ww_day,
        entitlement_end=entitlement_end,
        usual_hours_per_day=usual_hours_per_day,
    )
    plan = rules.StartersPlan(
        research_start=research_start,
        research_end=start - dt.timedelta(days=1) if research_start else None,
        start_period_start=start,
        start_period_end=sp_end,
        outcome=outcome,
        outcome_on=sp_end + dt.timedelta(days=1) if outcome else None,
        business_hours_per_month=business_hours_per_month,
    )
    try:
        return rules.monthly_schedule(facts, plan, params)
    except rules.PlanError as exc:
        raise InvalidField("start", str(exc), location="query") from None
