"""Starters-scheme applications in the service: apply, decide (the state machine of
`starters.rules.states`, each step's effect in `steps`), the reads (audited). The schedule
and the simulation are in `schedules`; income statements, the former employer rule and
the reminders in `statements`. Every decision is audited and stored with the parameter
versions it used (docs/starters-rules.md, "In the service")."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.starters import StartersApplied
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, Forbidden, InvalidField, NotFound
from starters.applications import repository
from starters.applications.access import DECIDERS, load, owns, reach, visible
from starters.applications.models import Application, Decision, IncomeStatement, Suspension
from starters.applications.schedules import facts_and_plan, schedule_of, simulate
from starters.applications.schemas import ApplicationCreate, Refuse, Revive
from starters.applications.statements import (
    add_statement,
    months_of,
    remind_missing_statements,
    statements,
    suspensions,
)
from starters.applications.steps import ResearchPeriodRunning, Step, StepRun, step_effect
from starters.claims.models import KnownClaim
from starters.parameters import service as parameters
from starters.rules.states import (
    Action,
    GuardContext,
    InvalidTransition,
    State,
    allowed_actions,
    apply,
    check_guard,
)

_Row = TypeVar("_Row")

TERMINAL_FOR_NEW = frozenset({State.REFUSED, State.WITHDRAWN, State.CONTINUED, State.REVIVED})


# --- reads --------------------------------------------------------------------------------


def list_applications(
    uow: UnitOfWork,
    principal: Principal,
    *,
    state: str | None,
    claim_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Application], int]:
    """Row-level rules as `visible`, applied in the query; the list is audited (committed)."""
    rows, total = repository.page(
        uow.session,
        reach=reach(principal),
        state=state,
        claim_id=claim_id,
        limit=limit,
        offset=offset,
    )
    uow.audit(
        actor=principal.as_actor(),
        action="application.list",
        resource_type="application",
        resource_id=f"page:{offset}",
    )
    uow.commit()
    return rows, total


def read(uow: UnitOfWork, application_id: uuid.UUID, principal: Principal) -> Application:
    """One application for the caller (404 if they may not see it); the read is audited."""
    app = load(uow, application_id, principal)
    uow.commit()
    return app


def decisions(
    uow: UnitOfWork, application_id: uuid.UUID, principal: Principal
) -> Sequence[Decision]:
    """An application's decisions, oldest first; the read is audited."""
    return _read_rows(uow, application_id, principal, "application.decisions", _decisions_of)


def income_statements(
    uow: UnitOfWork, application_id: uuid.UUID, principal: Principal
) -> Sequence[IncomeStatement]:
    """An application's income statements by month; the read is audited."""
    return _read_rows(uow, application_id, principal, "application.statements", statements)


def application_suspensions(
    uow: UnitOfWork, application_id: uuid.UUID, principal: Principal
) -> Sequence[Suspension]:
    """An application's suspensions; the read is audited."""
    return _read_rows(uow, application_id, principal, "application.suspensions", suspensions)


def _decisions_of(uow: UnitOfWork, app: Application) -> Sequence[Decision]:
    return repository.decisions_of(uow.session, app.id)


def _read_rows(
    uow: UnitOfWork,
    application_id: uuid.UUID,
    principal: Principal,
    action: str,
    rows_of: Callable[[UnitOfWork, Application], Sequence[_Row]],
) -> Sequence[_Row]:
    """`rows_of` an application the caller may see (404 if not); audited as `action`."""
    app = load(uow, application_id, principal, action=action)
    rows = rows_of(uow, app)
    uow.commit()
    return rows


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
    claim = _claim_to_apply_for(uow, data, principal, today)
    variant, group_reference, share = _variant(data, variants_enabled)
    _refuse_if_running(uow, data.claim_id)
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
    repository.add(uow.session, app)
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


def _refuse_if_running(uow: UnitOfWork, claim_id: uuid.UUID) -> None:
    """409 naming the application of the claim that has not ended (a stopped one may
    still be revived)."""
    running = repository.running_for_claim(
        uow.session,
        claim_id,
        ended_states=[s.value for s in TERMINAL_FOR_NEW | {State.STOPPED}],
    )
    if running is not None:
        raise Conflict(
            "an application for this claim is still running", application_id=str(running.id)
        )


def _claim_to_apply_for(
    uow: UnitOfWork, data: ApplicationCreate, principal: Principal, today: dt.date
) -> KnownClaim:
    """The claim, if the caller may apply for it now (see `create`)."""
    claim = repository.known_claim(uow.session, data.claim_id)
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
    return claim


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
    if not principal.has_role(*DECIDERS) and not (
        action is Action.WITHDRAW and owns(principal, app)
    ):
        raise Forbidden("only a benefits officer decides (the claimant may withdraw)")
    before = State(app.state)
    after = _next_state(before, action)
    run = StepRun(
        uow=uow,
        app=app,
        claim=repository.known_claim(uow.session, app.claim_id),
        params=parameters.current(uow),
        principal=principal,
        today=today,
        now=utcnow(),
    )
    details = step_effect(step, run)
    _check_guards(run, step, action, before)
    _record_decision(run, step, action, after, details)
    uow.commit()
    return app


def _next_state(before: State, action: Action) -> State:
    """The state after `action` (409 naming the allowed actions when it is not one)."""
    try:
        return apply(before, action)
    except InvalidTransition as exc:
        allowed = [a.value for a in exc.allowed]
        raise Conflict(
            f"`{action.value}` is not allowed in state `{before.value}`; allowed: "
            f"{', '.join(allowed) or 'none (final state)'}",
            state=before.value,
            allowed_actions=allowed,
        ) from None


def _record_decision(
    run: StepRun, step: Step, action: Action, after: State, details: dict[str, Any]
) -> None:
    """The new state, the decision row with the parameter versions, the audit row, and
    the step's events published."""
    app, uow = run.app, run.uow
    old_state = app.state
    app.state = after.value
    app.version += 1
    app.updated_at = run.now
    repository.add(
        uow.session,
        Decision(
            id=uuid.uuid4(),
            application_id=app.id,
            action=action.value,
            from_state=old_state,
            to_state=after.value,
            decided_by=run.principal.subject,
            reason=step.reason,
            details=details,
            parameter_versions=sorted(set(run.versions)),
            decided_at=run.now,
        ),
    )
    uow.audit(
        actor=run.principal.as_actor(),
        action=f"application.{action.value}",
        resource_type="application",
        resource_id=app.id,
        reason=step.reason,
        old={"state": old_state},
        new={"state": after.value, **details},
    )
    for event in run.events:
        uow.publish(event)


_GUARD_FIELD = {
    Action.START_RESEARCH: "starts_on",
    Action.GRANT_START_PERIOD: "starts_on",
    Action.REFUSE: "reason_codes",
    Action.CONTINUE_BUSINESS: "continued_on",
    Action.STOP_BUSINESS: "stopped_on",
    Action.REVIVE: "revived_on",
    Action.WITHDRAW: "action",
}


def _check_guards(run: StepRun, step: Step, action: Action, before: State) -> None:
    """The rules' guards (`starters.rules.states.check_guard`) on the application as the
    step leaves it: a violation is a 422 naming the step's field."""
    app, today = run.app, run.today
    context = GuardContext(
        on=step.revived_on if isinstance(step, Revive) else today,
        first_ww_day=run.claim.first_ww_day if run.claim is not None else None,
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
    violations = check_guard(before, action, context, run.params)
    if violations:
        field = _GUARD_FIELD[action]
        if action is Action.START_RESEARCH and any("end" in v.code for v in violations):
            field = "ends_on"
        raise InvalidField(field, "; ".join(v.message for v in violations))


__all__ = [
    "DECIDERS",
    "ResearchPeriodRunning",
    "Step",
    "add_statement",
    "allowed_actions",
    "application_suspensions",
    "create",
    "decisions",
    "facts_and_plan",
    "income_statements",
    "list_applications",
    "load",
    "months_of",
    "read",
    "remind_missing_statements",
    "schedule_of",
    "simulate",
    "transition",
    "visible",
]
