"""Job-search obligation in the service: activities, regimes, exemptions, evaluation, tasks.

The rules are pure (`coaching.obligations.rules`); this module loads what they need,
stores and publishes their outcome (docs/coaching-rules.md, section 2 "In the service"):

- A case's regimes: the rows of `obligation_regimes`, or, while a coach never changed it,
  the regime of the intake (`cases.obligation_regime`) from the first WW day. An
  `individual` regime without an agreed count is not evaluated until a coach sets it. A
  closed case's regimes end on the day it closed (`closed_on`, else the day of
  `closed_at`).
- Exemptions: the starters research and start periods (`starters.*` events), cut short by
  `starters.stopped`.
- Evaluation: every closed period not evaluated yet is evaluated once (unique per case and
  period start) and published as `obligation.evaluated`; a `not_compliant` one also as
  `obligation.missed`, with a task for the case's coach (no coach: the office's team lead
  sees it). Only open cases are evaluated.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from coaching.cases import service as cases
from coaching.cases.models import Case
from coaching.obligations import repository
from coaching.obligations.models import (
    CoachTask,
    JobSearchActivity,
    ObligationExemption,
    ObligationPeriod,
    ObligationRegimeRow,
)
from coaching.obligations.rules import (
    Activity,
    ActivityKind,
    Exemption,
    ExemptionReason,
    ObligationPolicy,
    PeriodStatus,
    Regime,
    evaluate,
    evaluate_due,
    period_containing,
)
from coaching.obligations.schemas import (
    ActivityCreate,
    ExemptionRead,
    ObligationRead,
    PeriodRead,
    RegimeRead,
    RegimeUpdate,
)
from shared.clock import local_today
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork, UnitOfWorkFactory
from shared.events.coaching import ObligationEvaluated, ObligationMissed
from shared.events.common import ObligationRegime
from shared.events.starters import (
    StartersResearchPeriodStarted,
    StartersStartPeriodGranted,
    StartersStopped,
)
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, Forbidden, InvalidField, NotFound

TASK_OBLIGATION_MISSED = "obligation_missed"
# A regime change agreed ahead of time takes effect within a year; further ahead is a
# typing error (and far-future days overflow the period arithmetic near year 9999).
REGIME_AHEAD_DAYS = 366
_DAY = dt.timedelta(days=1)


# --- loading what the rules need ------------------------------------------------------------


def closure_day(case: Case) -> dt.date | None:
    """The last day of a closed case's obligation (None while the case is open)."""
    if case.status == "open":
        return None
    if case.closed_on is not None:
        return case.closed_on
    return local_today(case.closed_at) if case.closed_at is not None else None


def regimes_for(case: Case, rows: Sequence[ObligationRegimeRow]) -> list[Regime]:
    """The case's regimes, oldest first, ended by the closure of a closed case."""
    regimes: list[Regime] = []
    if rows:
        for row in rows:
            try:
                regimes.append(
                    Regime(ObligationRegime(row.regime), row.starts_on, row.required, row.ends_on)
                )
            except ValueError:
                continue
    elif case.obligation_regime is not None and case.first_ww_day is not None:
        required = (
            case.obligation_required
            if case.obligation_regime == ObligationRegime.INDIVIDUAL
            else None
        )
        try:
            regimes.append(
                Regime(ObligationRegime(case.obligation_regime), case.first_ww_day, required)
            )
        except ValueError:
            pass  # individual without an agreed count: not evaluated until a coach sets it
    closed = closure_day(case)
    if closed is None:
        return regimes
    cut: list[Regime] = []
    for r in regimes:
        if r.start > closed:
            continue
        end = closed if r.end is None or r.end > closed else r.end
        cut.append(Regime(r.kind, r.start, r.required, end))
    return cut


def exemptions_for(rows: Sequence[ObligationExemption]) -> list[Exemption]:
    """The rules' exemptions (a period stopped before it began exempts nothing)."""
    return [
        Exemption(row.starts_on, row.effective_end, ExemptionReason(row.reason))
        for row in rows
        if row.effective_end >= row.starts_on
    ]


def activities_for(rows: Sequence[JobSearchActivity]) -> list[Activity]:
    """The rules' activities."""
    return [Activity(ActivityKind(row.kind), row.activity_date, row.employer) for row in rows]


def _in_force(regimes: Sequence[Regime], day: dt.date) -> Regime | None:
    for r in regimes:
        if r.start <= day and (r.end is None or day <= r.end):
            return r
    return None


# --- status for the caseload view -----------------------------------------------------------


def status_by_case(
    session: Session, case_ids: Sequence[uuid.UUID], today: dt.date
) -> dict[uuid.UUID, str]:
    """The status of each case's latest evaluated period (one query).

    "compliant", "not_compliant", "exempt" or "no_obligation"; a case without an evaluated
    period (ending before `today`) is absent.
    """
    return repository.latest_status_by_case(session, case_ids, before=today)


# --- activities -----------------------------------------------------------------------------


def _reported_by(principal: Principal, case: Case) -> str:
    if cases.claimant_owns(principal, case):
        return "claimant"
    if principal.has_role(Role.TEAM_LEAD) and not principal.has_role(Role.COACH):
        return "team_lead"
    return "coach"


def report_activity(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    data: ActivityCreate,
    principal: Principal,
    today: dt.date,
) -> JobSearchActivity:
    """Record a reported activity (the claimant's own case, or staff who see the case).

    Duplicates are accepted (the report is kept) and count once, per the rules. Refused
    (422 naming `activity_date`): a day in the future, before the first WW day, or in a
    period that was already evaluated (a stored result never changes).
    """
    case = cases.case_for(
        uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, audit=False
    )
    uow.session.refresh(case, with_for_update=True)  # serialise with evaluation and closure
    cases.require_open(case)  # as committed, under the lock
    if data.activity_date > today:
        raise InvalidField("activity_date", "must not be in the future")
    if case.first_ww_day is not None and data.activity_date < case.first_ww_day:
        raise InvalidField("activity_date", "must not be before the first WW day")
    evaluated = repository.evaluated_period_containing(uow.session, case.id, data.activity_date)
    if evaluated is not None:
        raise InvalidField(
            "activity_date",
            f"the period {evaluated.period_start.isoformat()} to "
            f"{evaluated.period_end.isoformat()} was already evaluated",
        )
    activity = JobSearchActivity(
        id=uuid.uuid4(),
        case_id=case.id,
        claim_id=case.claim_id,
        kind=data.kind.value,
        activity_date=data.activity_date,
        employer=data.employer.strip() if data.employer else None,
        description=data.description,
        reported_by=_reported_by(principal, case),
        reported_at=utcnow(),
    )
    uow.session.add(activity)
    uow.audit(
        actor=principal.as_actor(),
        action="job_search_activity.create",
        resource_type="case",
        resource_id=case.id,
        new={
            "activity_id": str(activity.id),
            "kind": activity.kind,
            "activity_date": activity.activity_date.isoformat(),
            "reported_by": activity.reported_by,
        },
    )
    uow.commit()
    return activity


def list_activities(
    *, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal, limit: int, offset: int
) -> tuple[Sequence[JobSearchActivity], int]:
    """A page of the case's activities, newest first (audited as a read)."""
    case = cases.case_for(
        uow=uow,
        claim_id=claim_id,
        principal=principal,
        allow_claimant=True,
        action="job_search_activity.list",
    )
    rows, total = repository.activity_page(uow.session, case.id, limit=limit, offset=offset)
    uow.commit()
    return rows, total


# --- the obligation view and regime changes -------------------------------------------------


def _regime_read(r: Regime, policy: ObligationPolicy) -> RegimeRead:
    return RegimeRead(
        regime=r.kind,
        required_per_period=r.required_per_period(policy),
        starts_on=r.start,
        ends_on=r.end,
    )


def _view(
    session: Session, case: Case, *, policy: ObligationPolicy, today: dt.date
) -> ObligationRead:
    regimes = regimes_for(case, repository.regimes_of(session, case.id))
    exemption_rows = repository.exemptions_of(session, case.claim_id)
    exemptions = exemptions_for(exemption_rows)
    current: PeriodRead | None = None
    in_force = _in_force(regimes, today)
    if in_force is not None:
        period = period_containing(in_force.start, today, policy)
        activities = activities_for(repository.activities_of(session, case.id))
        result = evaluate(in_force, activities, exemptions, period, today=today, policy=policy)
        current = PeriodRead(
            period_start=period.start,
            period_end=period.end,
            regime=in_force.kind,
            required=result.required,
            counted=result.counted,
            exempt_days=result.exempt_days,
            status=result.status.value,
        )
    periods = [
        PeriodRead(
            period_start=p.period_start,
            period_end=p.period_end,
            regime=ObligationRegime(p.regime),
            required=p.required,
            counted=p.counted,
            exempt_days=p.exempt_days,
            status=p.status,  # type: ignore[arg-type]
            evaluated_at=p.evaluated_at,
        )
        for p in reversed(repository.periods_of(session, case.id))
    ]
    return ObligationRead(
        claim_id=case.claim_id,
        case_status=case.status,
        period_days=policy.period_days,
        regime=_regime_read(in_force, policy) if in_force is not None else None,
        regimes=[_regime_read(r, policy) for r in regimes],
        current_period=current,
        periods=periods,
        exemptions=[
            ExemptionRead(reason=e.reason.value, starts_on=e.start, ends_on=e.end)
            for e in exemptions
        ],
    )


def obligation_view(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    policy: ObligationPolicy,
    today: dt.date,
) -> ObligationRead:
    """The obligation as of today: regime, the running period, evaluated periods,
    exemptions (the claimant's own case, or staff who see it; audited)."""
    case = cases.case_for(
        uow=uow,
        claim_id=claim_id,
        principal=principal,
        allow_claimant=True,
        action="obligation.read",
    )
    view = _view(uow.session, case, policy=policy, today=today)
    uow.commit()
    return view


def _regime_snapshot(regimes: Sequence[Regime]) -> dict[str, object]:
    return {
        "regimes": [
            {
                "regime": r.kind.value,
                "required": r.required,
                "starts_on": r.start.isoformat(),
                "ends_on": r.end.isoformat() if r.end else None,
            }
            for r in regimes
        ]
    }


def set_regime(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    data: RegimeUpdate,
    principal: Principal,
    policy: ObligationPolicy,
    today: dt.date,
) -> ObligationRead:
    """A coach sets or changes the regime from `effective_from` (default today).

    The regime in force then ends the day before; a regime agreed earlier that would start
    on or after that day is replaced. Periods of the new regime count from its start. Not
    before the first WW day, nor inside or before an evaluated period (422 naming the
    field). Audited with the reason and the old and new history.
    """
    case = cases.case_for(uow=uow, claim_id=claim_id, principal=principal, audit=False)
    uow.session.refresh(case, with_for_update=True)
    cases.require_open(case)  # as committed, under the lock
    if data.regime is ObligationRegime.INDIVIDUAL:
        if data.required is None:
            raise InvalidField("required", "an individual agreement needs the agreed count")
    elif data.required is not None:
        raise InvalidField("required", "only an individual agreement carries a count")
    if case.first_ww_day is None:
        raise Conflict("the case has no first WW day yet")
    effective = data.effective_from or today
    floor = case.first_ww_day
    last_end = repository.last_evaluated_end(uow.session, case.id)
    if last_end is not None and last_end + _DAY > floor:
        floor = last_end + _DAY
    if effective < floor:
        raise InvalidField(
            "effective_from",
            f"must be on or after {floor.isoformat()} (the first WW day, and after the "
            "periods already evaluated)",
        )
    if effective > today + dt.timedelta(days=REGIME_AHEAD_DAYS):
        raise InvalidField(
            "effective_from", f"lies more than {REGIME_AHEAD_DAYS} days ahead; agree it later"
        )
    rows = list(repository.regimes_of(uow.session, case.id))
    before = regimes_for(case, rows)
    actor = principal.as_actor()
    if not rows:
        # Materialise the intake's implicit regime up to the day before the change.
        implicit = before[0] if before else None
        if implicit is not None and effective > implicit.start:
            uow.session.add(
                ObligationRegimeRow(
                    id=uuid.uuid4(),
                    case_id=case.id,
                    regime=implicit.kind.value,
                    required=implicit.required,
                    starts_on=implicit.start,
                    ends_on=effective - _DAY,
                    set_by="intake",
                    reason=None,
                    created_at=utcnow(),
                )
            )
    else:
        for row in rows:
            if row.starts_on >= effective:
                uow.session.delete(row)
            elif row.ends_on is None or row.ends_on >= effective:
                row.ends_on = effective - _DAY
        uow.session.flush()  # deletes before the insert of the same start day
    uow.session.add(
        ObligationRegimeRow(
            id=uuid.uuid4(),
            case_id=case.id,
            regime=data.regime.value,
            required=data.required,
            starts_on=effective,
            ends_on=None,
            set_by=actor.subject,
            reason=data.reason,
            created_at=utcnow(),
        )
    )
    case.obligation_regime = data.regime.value
    case.obligation_required = data.required
    case.updated_at = utcnow()
    uow.session.flush()
    after = regimes_for(case, repository.regimes_of(uow.session, case.id))
    uow.audit(
        actor=actor,
        action="obligation.regime_update",
        resource_type="case",
        resource_id=case.id,
        reason=data.reason,
        old=_regime_snapshot(before),
        new=_regime_snapshot(after),
    )
    view = _view(uow.session, case, policy=policy, today=today)
    uow.commit()
    return view


# --- starters exemptions (event handlers) ---------------------------------------------------


def record_exemption(
    *, uow: UnitOfWork, started: StartersResearchPeriodStarted | StartersStartPeriodGranted
) -> ObligationExemption:
    """starters.research_period_started / start_period_granted: no obligation from
    `starts_on` to `ends_on` (one row per application and period kind; a repeat updates)."""
    reason = (
        ExemptionReason.STARTERS_RESEARCH_PERIOD
        if isinstance(started, StartersResearchPeriodStarted)
        else ExemptionReason.STARTERS_START_PERIOD
    )
    row = repository.exemption(uow.session, started.claim_id, started.application_id, reason)
    if row is None:
        row = ObligationExemption(
            id=uuid.uuid4(),
            claim_id=started.claim_id,
            application_id=started.application_id,
            reason=reason.value,
        )
        uow.session.add(row)
    row.starts_on = started.starts_on
    row.ends_on = max(started.starts_on, started.ends_on)
    row.updated_at = utcnow()
    return row


def stop_exemptions(*, uow: UnitOfWork, stopped: StartersStopped) -> int:
    """starters.stopped: the application's exemptions end on `stopped_on` at the latest."""
    return end_exemptions(
        uow=uow,
        claim_id=stopped.claim_id,
        application_id=stopped.application_id,
        last_day=stopped.stopped_on,
    )


def end_exemptions(
    *, uow: UnitOfWork, claim_id: uuid.UUID, application_id: uuid.UUID, last_day: dt.date
) -> int:
    """The application's exemptions end on `last_day` at the latest (stopped, refused or
    withdrawn: the obligation applies again from the next day)."""
    rows = repository.exemptions_of_application(uow.session, claim_id, application_id)
    for row in rows:
        if row.stopped_on is None or last_day < row.stopped_on:
            row.stopped_on = last_day
            row.updated_at = utcnow()
    return len(rows)


def last_obligated_day(closed_on: dt.date, closed_at: dt.datetime | None) -> dt.date:
    """The last day of a reopened case's obligation before its closure.

    The closure ended the obligation on `closed_on`; but from the day the case was closed
    (`closed_at`) it was read-only, and the claimant could not report activities. So when
    the case was closed ahead of its `closed_on` (allowed up to `CLOSE_AHEAD_DAYS`), the
    obligation ends the day before it was closed: the days it sat closed are never
    evaluated as obligated. A case closed with a past `closed_on` ends on `closed_on`.
    """
    if closed_at is None:
        return closed_on
    return min(closed_on, local_today(closed_at) - _DAY)


def resume_after_reopen(
    *,
    uow: UnitOfWork,
    case: Case,
    closed_on: dt.date | None,
    closed_at: dt.datetime | None = None,
    resume_on: dt.date,
    by: str,
) -> bool:
    """A reopened case's obligation: the regime in force at the closure ended on the last
    obligated day (`last_obligated_day`: the closure day, or the day before the case was
    closed when it was closed ahead), and applies again from `resume_on` with fresh 4-week
    periods (the days in between had no obligation: the case was closed). A case closed
    and reopened on the same day, before its `closed_on`, keeps its regime as it was: no
    day sat closed. Returns whether a regime was resumed."""
    if closed_on is None:
        return False
    last = last_obligated_day(closed_on, closed_at)
    if last < closed_on and resume_on <= last + _DAY:
        return False  # closed ahead and reopened the same day: nothing sat closed
    if resume_on <= last:
        return False
    rows = list(repository.regimes_of(uow.session, case.id))
    regimes = regimes_for(case, rows)
    # The regime agreed for the closure day (closed ahead: it may start after `last`).
    in_force = _in_force(regimes, last) or _in_force(regimes, closed_on)
    if in_force is None:
        return False
    closed_on = last
    if not rows and in_force.start <= closed_on:
        uow.session.add(
            ObligationRegimeRow(
                id=uuid.uuid4(),
                case_id=case.id,
                regime=in_force.kind.value,
                required=in_force.required,
                starts_on=in_force.start,
                ends_on=closed_on,
                set_by="intake",
                reason=None,
                created_at=utcnow(),
            )
        )
    else:
        for row in rows:
            if row.starts_on > closed_on:
                uow.session.delete(row)
            elif row.ends_on is None or row.ends_on > closed_on:
                row.ends_on = closed_on
        uow.session.flush()
    uow.session.add(
        ObligationRegimeRow(
            id=uuid.uuid4(),
            case_id=case.id,
            regime=in_force.kind.value,
            required=in_force.required,
            starts_on=resume_on,
            ends_on=None,
            set_by=by,
            reason="case reopened",
            created_at=utcnow(),
        )
    )
    uow.session.flush()
    return True


# --- evaluation -----------------------------------------------------------------------------


@dataclass
class EvaluationRun:
    """Counts of one evaluation run."""

    today: dt.date
    cases_examined: int = 0
    periods_evaluated: int = 0
    missed: int = 0
    tasks_created: int = 0


def _evaluate_case(
    uow: UnitOfWork,
    case: Case,
    *,
    regimes: Sequence[Regime],
    activities: Sequence[Activity],
    exemptions: Sequence[Exemption],
    evaluated: set[dt.date],
    policy: ObligationPolicy,
    today: dt.date,
    task_due_days: int,
    run: EvaluationRun,
) -> None:
    now = utcnow()
    for regime in regimes:
        for result in evaluate_due(regime, activities, exemptions, today=today, policy=policy):
            period = result.period
            if period.start in evaluated:
                continue
            evaluated.add(period.start)
            until = case.obligation_evaluated_until
            if until is None or period.end > until:
                case.obligation_evaluated_until = period.end  # `repository.cases_due`
            uow.session.add(
                ObligationPeriod(
                    id=uuid.uuid4(),
                    case_id=case.id,
                    claim_id=case.claim_id,
                    regime=regime.kind.value,
                    regime_starts_on=regime.start,
                    period_index=period.index,
                    period_start=period.start,
                    period_end=period.end,
                    required=result.required,
                    counted=result.counted,
                    exempt_days=result.exempt_days,
                    status=result.status.value,
                    evaluated_at=now,
                )
            )
            run.periods_evaluated += 1
            uow.publish(
                ObligationEvaluated(
                    claim_id=case.claim_id,
                    regime=regime.kind,
                    period_start=period.start,
                    period_end=period.end,
                    activities_required=result.required,
                    activities_reported=result.counted,
                    compliant=result.status is not PeriodStatus.NOT_COMPLIANT,
                )
            )
            if not result.missed:
                continue
            run.missed += 1
            uow.publish(
                ObligationMissed(
                    claim_id=case.claim_id,
                    regime=regime.kind,
                    period_start=period.start,
                    period_end=period.end,
                    activities_required=result.required,
                    activities_reported=result.counted,
                )
            )
            if repository.task_for(uow.session, case.id, TASK_OBLIGATION_MISSED, period.start):
                continue
            uow.session.add(
                CoachTask(
                    id=uuid.uuid4(),
                    case_id=case.id,
                    claim_id=case.claim_id,
                    office_code=case.office_code,
                    coach_id=case.coach_id,
                    kind=TASK_OBLIGATION_MISSED,
                    period_start=period.start,
                    period_end=period.end,
                    due_on=today + dt.timedelta(days=task_due_days),
                    status="open",
                    created_at=now,
                )
            )
            run.tasks_created += 1


def evaluate_chunk(
    *,
    uow: UnitOfWork,
    after: uuid.UUID | None,
    limit: int,
    policy: ObligationPolicy,
    today: dt.date,
    task_due_days: int,
    actor: Actor,
    run: EvaluationRun,
) -> uuid.UUID | None:
    """Evaluate the due periods of the next `limit` candidate cases after the cursor; one
    commit. Returns the new cursor, or None when no case is left."""
    due = repository.cases_due(
        uow.session,
        cutoff=today - dt.timedelta(days=policy.period_days),
        after=after,
        limit=limit,
    )
    if not due:
        return None
    ids = [c.id for c in due]
    regime_rows = repository.regimes_of_many(uow.session, ids)
    activity_rows = repository.activities_of_many(uow.session, ids)
    exemption_rows = repository.exemptions_of_many(uow.session, [c.claim_id for c in due])
    evaluated = repository.evaluated_starts_of_many(uow.session, ids)
    before = run.periods_evaluated, run.missed
    for case in due:
        run.cases_examined += 1
        _evaluate_case(
            uow,
            case,
            regimes=regimes_for(case, regime_rows.get(case.id, [])),
            activities=activities_for(activity_rows.get(case.id, [])),
            exemptions=exemptions_for(exemption_rows.get(case.claim_id, [])),
            evaluated=evaluated[case.id],
            policy=policy,
            today=today,
            task_due_days=task_due_days,
            run=run,
        )
    if run.periods_evaluated > before[0]:
        uow.audit(
            actor=actor,
            action="obligation.evaluate",
            resource_type="cases",
            resource_id=f"after:{after}" if after else "first",
            new={
                "today": today.isoformat(),
                "cases": len(due),
                "periods": run.periods_evaluated - before[0],
                "missed": run.missed - before[1],
            },
        )
    uow.commit()
    return due[-1].id


def run_evaluation(
    *,
    uows: UnitOfWorkFactory,
    policy: ObligationPolicy,
    today: dt.date,
    task_due_days: int,
    chunk_size: int,
    actor: Actor,
) -> EvaluationRun:
    """Evaluate every open case's closed periods not evaluated yet, `chunk_size` cases per
    transaction (idempotent: a period is evaluated and published once)."""
    run = EvaluationRun(today=today)
    cursor: uuid.UUID | None = None
    while True:
        with uows() as uow:
            cursor = evaluate_chunk(
                uow=uow,
                after=cursor,
                limit=chunk_size,
                policy=policy,
                today=today,
                task_due_days=task_due_days,
                actor=actor,
                run=run,
            )
        if cursor is None:
            return run


# --- tasks ----------------------------------------------------------------------------------


def list_tasks(
    *,
    uow: UnitOfWork,
    principal: Principal,
    status: str | None,
    today: dt.date,
    limit: int,
    offset: int,
) -> tuple[Sequence[CoachTask], int]:
    """Tasks in the caller's scope: an admin all, a team lead their office, a coach the
    tasks of the cases they hold or cover (audited as a list)."""
    coach_id: uuid.UUID | None = None
    office_code: str | None = None
    if not principal.has_role(Role.ADMIN):
        if principal.has_role(Role.TEAM_LEAD):
            if principal.office is None:
                raise Forbidden("a team lead token must name an office")
            office_code = principal.office
        else:
            try:
                coach_id = uuid.UUID(principal.subject)
            except ValueError:
                raise Forbidden("a coach token's subject must be the coach id") from None
    rows, total = repository.task_page(
        uow.session,
        coach_id=coach_id,
        office_code=office_code,
        status=status,
        today=today,
        limit=limit,
        offset=offset,
    )
    uow.audit(
        actor=principal.as_actor(),
        action="task.list",
        resource_type="coach_task",
        resource_id=f"page:{offset}",
    )
    uow.commit()
    return rows, total


def complete_task(
    *,
    uow: UnitOfWork,
    task_id: uuid.UUID,
    principal: Principal,
    note: str | None,
    today: dt.date,
) -> CoachTask:
    """Mark a task done (404 when the caller does not see its case; 409 when done or
    cancelled, or when the case is closed: a closed case is read-only)."""
    task = uow.session.get(CoachTask, task_id)
    case = uow.session.get(Case, task.case_id) if task is not None else None
    if task is None or case is None or not cases.visible_to(principal, case, today):
        raise NotFound("no such task")
    # Lock order: the case, then its task (a closure cancels the tasks under the case lock).
    uow.session.refresh(case, with_for_update=True)
    cases.require_open(case)
    uow.session.refresh(task, with_for_update=True)
    if task.status == "done":
        raise Conflict("the task is already done")
    if task.status != "open":
        raise Conflict(f"the task is {task.status}")
    task.status = "done"
    task.done_at = utcnow()
    task.done_by = principal.as_actor().subject
    task.note = note
    uow.audit(
        actor=principal.as_actor(),
        action="task.done",
        resource_type="coach_task",
        resource_id=task.id,
        old={"status": "open"},
        new={"status": "done"},
    )
    uow.commit()
    return task
