"""Starters-scheme applications in the service: apply, decide (the state machine of
`starters.rules.states`), monthly income statements, the former employer rule, the
schedule (`starters.rules.schedule`), reminders. Every decision is audited and stored with
the parameter versions it used (docs/starters-rules.md, "In the service")."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.decimals import two_places
from shared.events.starters import (
    StartersApplied,
    StartersBenefitSuspended,
    StartersContinued,
    StartersIncomeStatementMissing,
    StartersResearchPeriodEnded,
    StartersResearchPeriodStarted,
    StartersRevived,
    StartersSchemeEnded,
    StartersStartPeriodGranted,
    StartersStartPeriodRefused,
    StartersStopped,
)
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, Forbidden, InvalidField, NotFound
from starters.applications.models import (
    Application,
    Decision,
    IncomeStatement,
    ReminderSent,
    Suspension,
)
from starters.applications.schemas import (
    ApplicationCreate,
    ContinueBusiness,
    GrantStartPeriod,
    IncomeStatementCreate,
    Refuse,
    Revive,
    StartResearch,
    StopBusiness,
    Withdraw,
    WwFactsIn,
)
from starters.claims.models import KnownClaim
from starters.parameters import service as parameters
from starters.rules import schedule as rules
from starters.rules.parameters import ParameterSet
from starters.rules.states import (
    Action,
    GuardContext,
    InvalidTransition,
    State,
    allowed_actions,
    apply,
    check_guard,
)


class ResearchPeriodRunning(Conflict):
    """A start period would begin inside the research period, and the grant does not say
    why the research period ends early (`research_period_end_reason`, ADR 0019)."""

    slug = "starters-research-period-running"
    title = "The start period would begin inside the running research period"


TERMINAL_FOR_NEW = frozenset({State.REFUSED, State.WITHDRAWN, State.CONTINUED, State.REVIVED})
DECIDERS = (Role.BENEFITS_OFFICER, Role.ADMIN)


# --- access -------------------------------------------------------------------------------


def _owns(principal: Principal, app: Application) -> bool:
    return (
        principal.has_role(Role.CLAIMANT)
        and app.claimant_subject is not None
        and app.claimant_subject == principal.subject
    )


def _coach_of(principal: Principal, claim: KnownClaim | None) -> bool:
    return (
        principal.has_role(Role.COACH)
        and claim is not None
        and claim.coach_id is not None
        and str(claim.coach_id) == principal.subject
    )


def visible(principal: Principal, app: Application, claim: KnownClaim | None) -> bool:
    """Benefits officers and admins all; the claimant their own; a coach their caseload's;
    a team lead their office's."""
    if principal.has_role(*DECIDERS) or _owns(principal, app) or _coach_of(principal, claim):
        return True
    return (
        principal.has_role(Role.TEAM_LEAD)
        and claim is not None
        and principal.office is not None
        and claim.office_code == principal.office
    )


def load(
    uow: UnitOfWork,
    application_id: uuid.UUID,
    principal: Principal,
    *,
    action: str = "application.read",
    for_update: bool = False,
) -> Application:
    """The application if the caller may see it (else 404); the access is audited."""
    query = select(Application).where(Application.id == application_id)
    app = uow.session.scalars(query.with_for_update() if for_update else query).first()
    if app is None:
        raise NotFound("no such application")
    claim = uow.session.get(KnownClaim, app.claim_id)
    if not visible(principal, app, claim):
        # Break-glass (ADR 0022): a coach or team lead with a stated reason reads it, audited.
        if principal.break_glass is None:
            raise NotFound("no such application")
        action, reason = f"{action}.break_glass", principal.break_glass
    else:
        reason = None
    uow.audit(
        actor=principal.as_actor(),
        action=action,
        resource_type="application",
        resource_id=app.id,
        reason=reason,
    )
    return app


def list_applications(
    uow: UnitOfWork,
    principal: Principal,
    *,
    state: str | None,
    claim_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Application], int]:
    """Row-level rules as `visible`, applied in the query."""
    conditions: list[ColumnElement[bool]] = []
    if not principal.has_role(*DECIDERS):
        reach: list[ColumnElement[bool]] = []
        if principal.has_role(Role.CLAIMANT):
            reach.append(Application.claimant_subject == principal.subject)
        coach_claims = select(KnownClaim.claim_id)
        if principal.has_role(Role.COACH):
            try:
                coach_id = uuid.UUID(principal.subject)
                reach.append(
                    Application.claim_id.in_(coach_claims.where(KnownClaim.coach_id == coach_id))
                )
            except ValueError:
                pass
        if principal.has_role(Role.TEAM_LEAD) and principal.office is not None:
            reach.append(
                Application.claim_id.in_(
                    coach_claims.where(KnownClaim.office_code == principal.office)
                )
            )
        if not reach:
            raise Forbidden("no applications are visible to this caller")
        conditions.append(or_(*reach))
    if state:
        conditions.append(Application.state == state)
    if claim_id:
        conditions.append(Application.claim_id == claim_id)
    total = uow.session.execute(
        select(func.count()).select_from(Application).where(*conditions)
    ).scalar_one()
    rows = uow.session.scalars(
        select(Application)
        .where(*conditions)
        .order_by(Application.created_at.desc(), Application.id)
        .limit(limit)
        .offset(offset)
    ).all()
    uow.audit(
        actor=principal.as_actor(),
        action="application.list",
        resource_type="application",
        resource_id=f"page:{offset}",
    )
    return rows, int(total)


# --- apply --------------------------------------------------------------------------------


def create(
    *,
    uow: UnitOfWork,
    data: ApplicationCreate,
    principal: Principal,
    today: dt.date,
    variants_enabled: bool,
) -> Application:
    """A claimant applies for their own claim (or a benefits officer on their behalf).

    409: the claim is unknown to starters yet, its case is closed, the first WW day has not
    come, or an application is still running. 422 naming the field: a business start before
    the first WW day, training in the future, a variant while variants are off or
    incomplete.
    """
    claim = uow.session.get(KnownClaim, data.claim_id)
    if principal.has_role(Role.CLAIMANT) and not principal.has_role(*DECIDERS):
        if claim is None or claim.claimant_subject != principal.subject:
            raise NotFound("no such claim")
    if claim is None or claim.first_ww_day is None:
        raise Conflict("the claim is not known to the starters scheme yet; try again shortly")
    if claim.case_closed_at is not None:
        raise Conflict("the claim's case is closed: the scheme needs a running WW benefit")
    if today < claim.first_ww_day:
        raise Conflict(f"apply on or after the first WW day ({claim.first_ww_day.isoformat()})")
    if data.expected_start_date < claim.first_ww_day:
        raise InvalidField(
            "expected_start_date",
            f"the business starts on or after the first WW day {claim.first_ww_day.isoformat()}",
        )
    if data.training.completed_on > today:
        raise InvalidField("training.completed_on", "the training must be completed")
    variant, group_reference, share = _variant(data, variants_enabled)
    running = uow.session.scalars(
        select(Application).where(
            Application.claim_id == data.claim_id,
            Application.state.not_in([s.value for s in TERMINAL_FOR_NEW | {State.STOPPED}]),
        )
    ).first()
    if running is not None:
        raise Conflict(
            "an application for this claim is still running", application_id=str(running.id)
        )
    now = utcnow()
    app = Application(
        id=uuid.uuid4(),
        claim_id=data.claim_id,
        claimant_subject=claim.claimant_subject,
        state=State.APPLIED.value,
        business_description=data.business_description,
        expected_start_date=data.expected_start_date,
        hours_per_week=data.hours_per_week,
        training_certificate=data.training.certificate,
        training_completed_on=data.training.completed_on,
        variant=variant,
        group_reference=group_reference,
        gradual_business_share=share,
        version=1,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(app)
    uow.session.flush()
    uow.audit(
        actor=principal.as_actor(),
        action="application.create",
        resource_type="application",
        resource_id=app.id,
        new={"claim_id": str(app.claim_id), "variant": variant},
    )
    uow.publish(
        StartersApplied(
            claim_id=app.claim_id,
            application_id=app.id,
            expected_start_date=app.expected_start_date,
            hours_per_week=app.hours_per_week,
            applied_at=now,
        )
    )
    uow.commit()
    return app


def _variant(
    data: ApplicationCreate, enabled: bool
) -> tuple[str | None, str | None, Decimal | None]:
    if data.variant is None:
        return None, None, None
    if not enabled:
        raise InvalidField(
            "variant",
            "group and gradual starts are NOT CURRENT LAW; this service has them switched off "
            "(STARTERS_VARIANTS_ENABLED)",
        )
    if data.variant.kind == "group":
        if not data.variant.group_reference:
            raise InvalidField("variant.group_reference", "a group start names its group")
        return "group", data.variant.group_reference, None
    if data.variant.business_share is None:
        raise InvalidField("variant.business_share", "a gradual start gives the business share")
    return "gradual", None, data.variant.business_share


# --- decisions ----------------------------------------------------------------------------

Step = (
    StartResearch | GrantStartPeriod | Refuse | ContinueBusiness | StopBusiness | Revive | Withdraw
)


def _set_facts(
    app: Application,
    ww: WwFactsIn | None,
    claim: KnownClaim | None,
    params: ParameterSet,
    versions: list[str],
) -> dict[str, Any]:
    """Record the WW facts after checking them against the claim's first WW day (422
    naming `ww.entitlement_end` / `ww.entitlement_months`); the end is computed one way,
    `rules.entitlement_end` (ADR 0019). Returns the facts for the decision's details."""
    if ww is None and app.dagloon is None:
        raise InvalidField("ww", "the WW facts are needed with the first decision")
    # `create` refuses claims without a first WW day, so an application always has one.
    assert claim is not None
    assert claim.first_ww_day is not None
    first = claim.first_ww_day
    versions.append(params.at("entitlement_max_months", first).version)
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


def _end_research_early(
    uow: UnitOfWork, app: Application, step: GrantStartPeriod, principal: Principal
) -> tuple[dict[str, Any], StartersResearchPeriodEnded]:
    """A start period beginning inside the research period ends it explicitly: only with
    a stated reason (else 409 `starters-research-period-running` naming the guard), then
    the day before the start (or, starting on its first day, it had no day of its own and
    both dates are cleared), audited with the old and new dates and the reason."""
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
    uow.audit(
        actor=principal.as_actor(),
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
    details = {
        "planned_end": str(planned_end),
        "ends_on": None if new_end is None else str(new_end),
        "reason": step.research_period_end_reason,
    }
    event = StartersResearchPeriodEnded(
        claim_id=app.claim_id,
        application_id=app.id,
        starts_on=planned_start,
        ends_on=new_end,
        planned_ends_on=planned_end,
    )
    return details, event


def _version(params: ParameterSet, name: str, day: dt.date) -> tuple[Any, str]:
    value = params.at(name, day)
    return value.value, value.version


def transition(
    *,
    uow: UnitOfWork,
    application_id: uuid.UUID,
    step: Step,
    principal: Principal,
    today: dt.date,
) -> Application:
    """Apply one action: 409 naming the allowed actions when the state does not allow it,
    422 naming the field when a date or fact breaks a rule; otherwise the effect, a
    decision row with the parameter versions used, an audit row and the events."""
    app = load(uow, application_id, principal, action="application.read", for_update=True)
    action = Action(step.action)
    is_decider = principal.has_role(*DECIDERS)
    if not is_decider and not (action is Action.WITHDRAW and _owns(principal, app)):
        raise Forbidden("only a benefits officer decides (the claimant may withdraw)")
    before = State(app.state)
    try:
        after = apply(before, action)
    except InvalidTransition as exc:
        allowed = [a.value for a in exc.allowed]
        raise Conflict(
            f"`{action.value}` is not allowed in state `{before.value}`; allowed: "
            f"{', '.join(allowed) or 'none (final state)'}",
            state=before.value,
            allowed_actions=allowed,
        ) from None
    claim = uow.session.get(KnownClaim, app.claim_id)
    params = parameters.current(uow)
    versions: list[str] = []
    details: dict[str, Any] = {}
    events: list[Any] = []
    now = utcnow()
    if isinstance(step, StartResearch):
        facts = _set_facts(app, step.ww, claim, params, versions)
        first = claim.first_ww_day if claim is not None else None
        if first is not None and step.starts_on < first:
            raise InvalidField("starts_on", f"before the first WW day {first.isoformat()}")
        if step.ends_on < step.starts_on:
            raise InvalidField("ends_on", "before starts_on")
        weeks, v = _version(params, "research_period_max_weeks", step.starts_on)
        versions.append(v)
        if (step.ends_on - step.starts_on).days + 1 > int(weeks) * 7:
            raise InvalidField("ends_on", f"the research period lasts at most {weeks} weeks")
        app.research_start, app.research_end = step.starts_on, step.ends_on
        details = {"starts_on": str(step.starts_on), "ends_on": str(step.ends_on), **facts}
        events.append(
            StartersResearchPeriodStarted(
                claim_id=app.claim_id,
                application_id=app.id,
                starts_on=step.starts_on,
                ends_on=step.ends_on,
            )
        )
    elif isinstance(step, GrantStartPeriod):
        facts = _set_facts(app, step.ww, claim, params, versions)
        first = claim.first_ww_day if claim is not None else None
        if first is not None and step.starts_on < first:
            raise InvalidField("starts_on", f"before the first WW day {first.isoformat()}")
        if app.research_start is not None and step.starts_on < app.research_start:
            raise InvalidField("starts_on", "before the research period")
        assert app.entitlement_end is not None
        if step.starts_on > app.entitlement_end:
            raise InvalidField("starts_on", "after the end of the WW entitlement")
        end = rules.start_period_end(step.starts_on, app.entitlement_end, params)
        reduction, v = _version(params, "start_period_reduction_percent", step.starts_on)
        versions += [v, *_start_period_versions(params, step.starts_on)]
        app.start_period_start, app.start_period_end = step.starts_on, end
        details = {"starts_on": str(step.starts_on), "ends_on": str(end), **facts}
        if app.research_end is not None and app.research_end >= step.starts_on:
            early, early_event = _end_research_early(uow, app, step, principal)
            details["research_period_ended_early"] = early
            events.append(early_event)
        events.append(
            StartersStartPeriodGranted(
                claim_id=app.claim_id,
                application_id=app.id,
                starts_on=step.starts_on,
                ends_on=end,
                reduction_percent=Decimal(reduction),
            )
        )
    elif isinstance(step, Refuse):
        app.refusal_reasons = list(step.reason_codes)
        ended = min(today, app.research_end) if app.research_end else today
        if app.research_end is not None and app.research_end > today:
            app.research_end = today
        details = {"reason_codes": list(step.reason_codes)}
        events += [
            StartersStartPeriodRefused(
                claim_id=app.claim_id,
                application_id=app.id,
                reason_codes=list(step.reason_codes),
                decided_at=now,
            ),
            StartersSchemeEnded(
                claim_id=app.claim_id, application_id=app.id, outcome="refused", ended_on=ended
            ),
        ]
    elif isinstance(step, ContinueBusiness):
        assert app.start_period_start is not None
        if step.continued_on <= app.start_period_start:
            raise InvalidField("continued_on", "after the start of the start period")
        app.outcome_on = step.continued_on
        app.business_hours_per_month = step.business_hours_per_month
        _, v = _version(params, "after_start_deduction_percent", step.continued_on)
        versions.append(v)
        details = {
            "continued_on": str(step.continued_on),
            "business_hours_per_month": two_places(step.business_hours_per_month),
        }
        events += [
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
    elif isinstance(step, StopBusiness):
        assert app.start_period_start is not None
        assert app.entitlement_months is not None
        if step.stopped_on < app.start_period_start:
            raise InvalidField("stopped_on", "before the start of self-employment")
        if step.stopped_on > today:
            raise InvalidField("stopped_on", "in the future")
        deadline = rules.revival_deadline(app.start_period_start, app.entitlement_months, params)
        versions += _revival_versions(params, app.start_period_start)
        app.outcome_on = step.stopped_on
        app.revival_deadline = deadline
        if app.start_period_end is not None and app.start_period_end > step.stopped_on:
            app.start_period_end = step.stopped_on
        details = {"stopped_on": str(step.stopped_on), "revival_possible_until": str(deadline)}
        events += [
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
    elif isinstance(step, Revive):
        assert app.start_period_start is not None
        assert app.entitlement_months is not None
        if app.outcome_on is not None and step.revived_on < app.outcome_on:
            raise InvalidField("revived_on", "before the business stopped")
        if step.revived_on > today:
            raise InvalidField("revived_on", "in the future")
        versions += _revival_versions(params, app.start_period_start)
        if not rules.revival_allowed(
            step.revived_on, app.start_period_start, app.entitlement_months, params
        ):
            deadline = rules.revival_deadline(
                app.start_period_start, app.entitlement_months, params
            )
            raise InvalidField(
                "revived_on",
                f"the revival window ended on {deadline.isoformat()} (counted from the start "
                "of self-employment)",
            )
        app.revived_on = step.revived_on
        details = {"revived_on": str(step.revived_on)}
        events.append(
            StartersRevived(
                claim_id=app.claim_id, application_id=app.id, revived_on=step.revived_on
            )
        )
    elif isinstance(step, Withdraw):
        ended = today
        if app.research_end is not None and app.research_end > today:
            app.research_end = today
        if app.start_period_end is not None and app.start_period_end > today:
            app.start_period_end = today
        events.append(
            StartersSchemeEnded(
                claim_id=app.claim_id, application_id=app.id, outcome="withdrawn", ended_on=ended
            )
        )
    _check_guards(app, claim, step, action, before, params, today)
    old_state = app.state
    app.state = after.value
    app.version += 1
    app.updated_at = now
    uow.session.add(
        Decision(
            id=uuid.uuid4(),
            application_id=app.id,
            action=action.value,
            from_state=old_state,
            to_state=after.value,
            decided_by=principal.subject,
            reason=step.reason,
            details=details,
            parameter_versions=sorted(set(versions)),
            decided_at=now,
        )
    )
    uow.audit(
        actor=principal.as_actor(),
        action=f"application.{action.value}",
        resource_type="application",
        resource_id=app.id,
        reason=step.reason,
        old={"state": old_state},
        new={"state": after.value, **details},
    )
    for event in events:
        uow.publish(event)
    uow.commit()
    return app


_GUARD_FIELD = {
    Action.START_RESEARCH: "starts_on",
    Action.GRANT_START_PERIOD: "starts_on",
    Action.REFUSE: "reason_codes",
    Action.CONTINUE_BUSINESS: "continued_on",
    Action.STOP_BUSINESS: "stopped_on",
    Action.REVIVE: "revived_on",
    Action.WITHDRAW: "action",
}


def _check_guards(
    app: Application,
    claim: KnownClaim | None,
    step: Step,
    action: Action,
    before: State,
    params: ParameterSet,
    today: dt.date,
) -> None:
    """The rules' guards (`starters.rules.states.check_guard`) on the application as the
    step leaves it: a violation is a 422 naming the step's field."""
    context = GuardContext(
        on=step.revived_on if isinstance(step, Revive) else today,
        first_ww_day=claim.first_ww_day if claim is not None else None,
        entitlement_end=app.entitlement_end,
        research_start=app.research_start,
        research_end=app.research_end,
        start_period_start=app.start_period_start,
        start_period_end=app.start_period_end,
        training_completed=app.training_completed_on <= today,
        reasons=tuple(step.reason_codes) if isinstance(step, Refuse) else (),
        self_employment_start=app.start_period_start,
        entitlement_months=app.entitlement_months,
    )
    violations = check_guard(before, action, context, params)
    if violations:
        field = _GUARD_FIELD[action]
        if action is Action.START_RESEARCH and any("end" in v.code for v in violations):
            field = "ends_on"
        raise InvalidField(field, "; ".join(v.message for v in violations))


def _start_period_versions(params: ParameterSet, day: dt.date) -> list[str]:
    return [params.at(n, day).version for n in rules.START_PERIOD_PARAMETERS]


def _revival_versions(params: ParameterSet, day: dt.date) -> list[str]:
    return [params.at(n, day).version for n in rules.REVIVAL_PARAMETERS]


def decisions(uow: UnitOfWork, app: Application) -> Sequence[Decision]:
    """An application's decisions, oldest first."""
    return uow.session.scalars(
        select(Decision)
        .where(Decision.application_id == app.id)
        .order_by(Decision.decided_at, Decision.id)
    ).all()


# --- income statements and the former employer rule --------------------------------------


def _month_start(month: str) -> dt.date:
    year, mon = (int(x) for x in month.split("-"))
    return dt.date(year, mon, 1)


def _month_end(first: dt.date) -> dt.date:
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def months_of(start: dt.date, end: dt.date) -> list[str]:
    """The calendar months ("YYYY-MM") touched by [start, end]."""
    out: list[str] = []
    cur = dt.date(start.year, start.month, 1)
    while cur <= end:
        out.append(f"{cur.year:04d}-{cur.month:02d}")
        cur = _month_end(cur) + dt.timedelta(days=1)
    return out


def add_statement(
    *,
    uow: UnitOfWork,
    application_id: uuid.UUID,
    data: IncomeStatementCreate,
    principal: Principal,
    today: dt.date,
) -> IncomeStatement:
    """The claimant's statement for a month of the start period (409 outside it, or a
    second statement for the month). An assignment for the former employer suspends the
    benefit from the first day of that month until the start period ends."""
    app = load(uow, application_id, principal, action="application.read", for_update=True)
    if not (_owns(principal, app) or principal.has_role(*DECIDERS)):
        raise Forbidden("the claimant reports their own income")
    if app.state != State.START_PERIOD.value:
        raise Conflict("income statements are for the start period")
    assert app.start_period_start is not None
    assert app.start_period_end is not None
    if data.month not in months_of(app.start_period_start, app.start_period_end):
        raise InvalidField("month", "not a month of the start period")
    if _month_start(data.month) > today:
        raise InvalidField("month", "a statement is for a month that has begun")
    exists = uow.session.scalars(
        select(IncomeStatement).where(
            IncomeStatement.application_id == app.id, IncomeStatement.month == data.month
        )
    ).first()
    if exists is not None:
        raise Conflict(f"the statement for {data.month} was already submitted")
    row = IncomeStatement(
        id=uuid.uuid4(),
        application_id=app.id,
        month=data.month,
        business_income=data.business_income,
        business_hours=data.business_hours,
        former_employer_assignment=data.former_employer_assignment,
        submitted_at=utcnow(),
    )
    uow.session.add(row)
    uow.audit(
        actor=principal.as_actor(),
        action="application.income_statement",
        resource_type="application",
        resource_id=app.id,
        new={"month": data.month, "former_employer_assignment": data.former_employer_assignment},
    )
    if data.former_employer_assignment:
        starts = max(_month_start(data.month), app.start_period_start)
        uow.session.add(
            Suspension(
                id=uuid.uuid4(),
                application_id=app.id,
                reason="former_employer",
                starts_on=starts,
                ends_on=app.start_period_end,
                created_at=utcnow(),
            )
        )
        uow.publish(
            StartersBenefitSuspended(
                claim_id=app.claim_id,
                application_id=app.id,
                reason="former_employer",
                starts_on=starts,
                ends_on=app.start_period_end,
            )
        )
    uow.commit()
    return row


def statements(uow: UnitOfWork, app: Application) -> Sequence[IncomeStatement]:
    """An application's statements by month."""
    return uow.session.scalars(
        select(IncomeStatement)
        .where(IncomeStatement.application_id == app.id)
        .order_by(IncomeStatement.month)
    ).all()


def suspensions(uow: UnitOfWork, app: Application) -> Sequence[Suspension]:
    """An application's suspensions."""
    return uow.session.scalars(
        select(Suspension).where(Suspension.application_id == app.id).order_by(Suspension.starts_on)
    ).all()


def remind_missing_statements(uow: UnitOfWork, *, today: dt.date, grace_days: int) -> int:
    """Publish `starters.income_statement_missing` once per start-period month whose
    statement is `grace_days` past the month's end and still missing. Returns the count."""
    apps = uow.session.scalars(
        select(Application).where(Application.state == State.START_PERIOD.value)
    ).all()
    sent = 0
    for app in apps:
        assert app.start_period_start is not None
        assert app.start_period_end is not None
        have = {s.month for s in statements(uow, app)} | set(
            uow.session.scalars(
                select(ReminderSent.month).where(ReminderSent.application_id == app.id)
            )
        )
        for month in months_of(app.start_period_start, app.start_period_end):
            due = _month_end(_month_start(month)) + dt.timedelta(days=grace_days)
            if month in have or due >= today:
                continue
            uow.session.add(
                ReminderSent(id=uuid.uuid4(), application_id=app.id, month=month, sent_at=utcnow())
            )
            uow.publish(
                StartersIncomeStatementMissing(
                    claim_id=app.claim_id, application_id=app.id, month=month
                )
            )
            sent += 1
    uow.commit()
    return sent


# --- schedule -----------------------------------------------------------------------------


def facts_and_plan(
    uow: UnitOfWork, app: Application
) -> tuple[rules.WwFacts, rules.StartersPlan] | None:
    """The rules' inputs for an application (None before the WW facts are recorded)."""
    if app.dagloon is None or app.entitlement_end is None or app.usual_hours_per_day is None:
        return None
    claim = uow.session.get(KnownClaim, app.claim_id)
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


__all__ = [
    "allowed_actions",
    "create",
    "decisions",
    "facts_and_plan",
    "list_applications",
    "load",
    "transition",
]
