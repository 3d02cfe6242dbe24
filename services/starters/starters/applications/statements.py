"""Monthly income statements of the start period, the former employer rule (a suspension)
and the reminders for missing statements."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.starters import StartersBenefitSuspended, StartersIncomeStatementMissing
from shared.web.auth import Principal
from shared.web.problems import Conflict, Forbidden, InvalidField
from starters.applications import repository
from starters.applications.access import DECIDERS, load, owns
from starters.applications.models import (
    Application,
    IncomeStatement,
    ReminderSent,
    Suspension,
)
from starters.applications.schemas import IncomeStatementCreate
from starters.rules.states import State


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
    if not (owns(principal, app) or principal.has_role(*DECIDERS)):
        raise Forbidden("the claimant reports their own income")
    if app.state != State.START_PERIOD.value:
        raise Conflict("income statements are for the start period")
    assert app.start_period_start is not None
    assert app.start_period_end is not None
    if data.month not in months_of(app.start_period_start, app.start_period_end):
        raise InvalidField("month", "not a month of the start period")
    if _month_start(data.month) > today:
        raise InvalidField("month", "a statement is for a month that has begun")
    if repository.statement_for(uow.session, app.id, data.month) is not None:
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
    repository.add(uow.session, row)
    uow.audit(
        actor=principal.as_actor(),
        action="application.income_statement",
        resource_type="application",
        resource_id=app.id,
        new={"month": data.month, "former_employer_assignment": data.former_employer_assignment},
    )
    if data.former_employer_assignment:
        _suspend_for_former_employer(uow, app, _month_start(data.month))
    uow.commit()
    return row


def _suspend_for_former_employer(uow: UnitOfWork, app: Application, month_start: dt.date) -> None:
    """No benefit from the statement's month (at the earliest the start of the start
    period) until the start period ends; `starters.benefit_suspended`."""
    assert app.start_period_start is not None
    assert app.start_period_end is not None
    starts = max(month_start, app.start_period_start)
    repository.add(
        uow.session,
        Suspension(
            id=uuid.uuid4(),
            application_id=app.id,
            reason="former_employer",
            starts_on=starts,
            ends_on=app.start_period_end,
            created_at=utcnow(),
        ),
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


def statements(uow: UnitOfWork, app: Application) -> Sequence[IncomeStatement]:
    """An application's statements by month."""
    return repository.statements_of(uow.session, app.id)


def suspensions(uow: UnitOfWork, app: Application) -> Sequence[Suspension]:
    """An application's suspensions."""
    return repository.suspensions_of(uow.session, app.id)


def remind_missing_statements(uow: UnitOfWork, *, today: dt.date, grace_days: int) -> int:
    """Publish `starters.income_statement_missing` once per start-period month whose
    statement is `grace_days` past the month's end and still missing. Returns the count."""
    sent = 0
    for app in repository.in_state(uow.session, State.START_PERIOD.value):
        assert app.start_period_start is not None
        assert app.start_period_end is not None
        have = {s.month for s in statements(uow, app)} | repository.reminded_months(
            uow.session, app.id
        )
        for month in months_of(app.start_period_start, app.start_period_end):
            due = _month_end(_month_start(month)) + dt.timedelta(days=grace_days)
            if month in have or due >= today:
                continue
            repository.add(
                uow.session,
                ReminderSent(id=uuid.uuid4(), application_id=app.id, month=month, sent_at=utcnow()),
            )
            uow.publish(
                StartersIncomeStatementMissing(
                    claim_id=app.claim_id, application_id=app.id, month=month
                )
            )
            sent += 1
    uow.commit()
    return sent
