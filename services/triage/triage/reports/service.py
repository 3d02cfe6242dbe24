"""Report rules with I/O: read the facts, aggregate with `rules`; row-level scope by office."""

from __future__ import annotations

import datetime as dt

from shared.clock import LOCAL_TZ as LOCAL
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden, InvalidField
from triage.reports import repository, rules
from triage.reports.rules import IsoWeek, MonitoringGroup, OverrideGroup

MAX_DAYS = 366
MAX_WEEKS = 53


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of a local (Europe/Amsterdam) day as aware UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL).astimezone(dt.UTC)


def office_scope(principal: Principal) -> str | None:
    """A team lead (without an analyst's or admin's role) sees their own office only."""
    if principal.has_role(Role.ADMIN, Role.TRIAGE_ANALYST):
        return None
    if principal.office is None:
        raise Forbidden("a team lead token must name an office")
    return principal.office


def override_report(
    *,
    uow: UnitOfWork,
    principal: Principal,
    from_date: dt.date | None,
    to_date: dt.date | None,
    group_by: str,
    today: dt.date,
) -> tuple[dt.date, dt.date, str | None, list[OverrideGroup], OverrideGroup]:
    """Override rates per office or per coach over [from, to] (local days; default 28 days)."""
    to_date = to_date or today
    from_date = from_date or to_date - dt.timedelta(days=27)
    if from_date > to_date:
        raise InvalidField("from", "must not be after `to`")
    if (to_date - from_date).days >= MAX_DAYS:
        raise InvalidField("to", f"the period may span at most {MAX_DAYS} days")
    office = office_scope(principal)
    start, end = local_midnight(from_date), local_midnight(to_date + dt.timedelta(days=1))
    scored = [
        rules.ScoredClaim(claim_id=c, office_code=o, intake_coach_id=coach)
        for c, o, coach in repository.scored_claims(
            uow.session, start=start, end=end, office_code=office
        )
    ]
    overrides = [
        rules.OverrideFact(
            claim_id=r[0],
            office_code=r[1],
            overridden_by=r[2],
            role=r[3],
            reason_category=r[4],
            segment=r[5],
        )
        for r in repository.overrides_between(uow.session, start=start, end=end, office_code=office)
    ]
    groups, total = rules.override_groups(scored, overrides, group_by=group_by)
    return from_date, to_date, office, groups, total


def monitoring(
    *, uow: UnitOfWork, from_week: str | None, to_week: str | None, today: dt.date
) -> tuple[list[IsoWeek], dict[IsoWeek, list[MonitoringGroup]]]:
    """Per ISO week (local): segment distribution, override rate and drift per group."""
    try:
        last = IsoWeek.parse(to_week) if to_week else IsoWeek.of(today)
    except rules.InvalidWeekError as exc:
        raise InvalidField("to_week", str(exc)) from None
    try:
        first = IsoWeek.parse(from_week) if from_week else last.plus(-7)
    except rules.InvalidWeekError as exc:
        raise InvalidField("from_week", str(exc)) from None
    if first > last:
        raise InvalidField("from_week", "must not be after to_week")
    weeks = rules.week_range(first, last)
    if len(weeks) > MAX_WEEKS:
        raise InvalidField("to_week", f"the range may span at most {MAX_WEEKS} weeks")
    start = local_midnight(first.monday)
    end = local_midnight(last.monday + dt.timedelta(days=7))
    facts = [
        rules.ScoreFact(
            claim_id=r[0],
            scored_at=r[1],
            week=IsoWeek.of(r[1].astimezone(LOCAL).date()),
            probability=r[2],
            segment=r[3],
            office_code=r[4],
            age=r[5],
            education_level=r[6],
        )
        for r in repository.scores_between(uow.session, start=start, end=end)
    ]
    overrides = repository.override_times_since(uow.session, start=start)
    return weeks, rules.monitoring(weeks, facts, overrides)
