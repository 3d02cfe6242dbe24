"""Week-one KPIs per office and nationally (issue 3, item 10); no FastAPI here.

The definitions are in `intake.kpis.rules` and docs/kpis.md. Aggregates are not personal
data: reading them is not audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from intake.agendas.rules import local_day, local_to_utc
from intake.calendar.service import InvalidParameter, WorkingDayCalendar
from intake.kpis import repository
from intake.kpis.rules import (
    NATIONAL,
    InvalidWeekError,
    IsoWeek,
    KpiTable,
    WeekKpis,
    compute,
    weeks_between,
)
from intake.settings import IntakeSettings
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden

MAX_WEEKS = 53
"""The longest range one request may ask for (a full ISO year)."""
DEFAULT_WEEKS = 8
"""Without `from_week`: this many weeks up to and including `to_week`."""


@dataclass(frozen=True)
class KpiReport:
    """The figures of a range of weeks: national, and per visible office (by code)."""

    weeks: list[IsoWeek]
    today: dt.date
    deadline_working_days: int
    national: dict[IsoWeek, WeekKpis]
    offices: dict[str, dict[IsoWeek, WeekKpis]]


def compute_table(
    session: Session,
    *,
    weeks: list[IsoWeek],
    office_codes: list[str],
    settings: IntakeSettings,
    today: dt.date,
) -> KpiTable:
    """Run the three grouped queries for the weeks and apply the KPI rules."""
    after = local_to_utc(weeks[0].monday, dt.time(0))
    before = local_to_utc(weeks[-1].sunday + dt.timedelta(days=1), dt.time(0))
    calendar = WorkingDayCalendar(session)
    deadlines: dict[tuple[str, dt.date], dt.date] = {}

    def deadline(office: str, start: dt.date) -> dt.date:
        # Few distinct (office, start day) pairs: one calendar walk each.
        key = (office, start)
        if key not in deadlines:
            deadlines[key] = calendar.add_working_days(
                start, settings.intake_deadline_working_days, office
            )
        return deadlines[key]

    def working_days(office: str, a: dt.date, b: dt.date) -> int:
        return calendar.working_days_between(a, b, office)

    cohorts = repository.cohort_groups(session, after=after, before=before)
    # One closure query per office for every day the rules will look at.
    latest = max(
        [weeks[-1].sunday]
        + [d for g in cohorts for d in (g.later_first_ww_day, g.held_on) if d is not None]
    )
    for office in sorted({g.office_code for g in cohorts}):
        calendar.prefetch(weeks[0].monday, latest + dt.timedelta(days=31), office)
    return compute(
        weeks=weeks,
        office_codes=office_codes,
        cohorts=cohorts,
        outcomes=repository.outcome_groups(session, after=after, before=before),
        shortfalls=repository.shortfall_groups(session, after=after, before=before),
        today=today,
        deadline=deadline,
        working_days=working_days,
    )


def _week(value: str | None, field: str) -> IsoWeek | None:
    if value is None:
        return None
    try:
        return IsoWeek.parse(value)
    except InvalidWeekError as exc:
        raise InvalidParameter(field, str(exc)) from None


def week_range(from_week: str | None, to_week: str | None, *, today: dt.date) -> list[IsoWeek]:
    """The requested weeks: `to_week` defaults to the current week, `from_week` to 7 before it."""
    first, last = _week(from_week, "from_week"), _week(to_week, "to_week")
    last = last or IsoWeek.of(today)
    first = first or last.shift(-(DEFAULT_WEEKS - 1))
    if last < first:
        raise InvalidParameter("to_week", "must not be before from_week")
    weeks = weeks_between(first, last)
    if len(weeks) > MAX_WEEKS:
        raise InvalidParameter("to_week", f"the range may span at most {MAX_WEEKS} weeks")
    return weeks


def visible_offices(
    principal: Principal, office_code: str | None, offices: OfficeDirectory
) -> list[str]:
    """The offices whose figures the caller gets besides the national ones.

    Admins and benefits officers: every office, or the one asked for. Team leads and coaches:
    their own office (the token's `office`); asking for another is 403.
    """
    if office_code is not None and offices.get(office_code) is None:
        raise InvalidParameter("office_code", "unknown office code")
    if principal.has_role(Role.ADMIN, Role.BENEFITS_OFFICER):
        return [office_code] if office_code else [o.code for o in offices.offices]
    own = principal.office
    if office_code is None:
        return [own] if own and offices.get(own) is not None else []
    if office_code != own:
        raise Forbidden("team leads and coaches see the national figures and their own office's")
    return [office_code]


def week_one(
    *,
    uow: UnitOfWork,
    principal: Principal,
    from_week: str | None,
    to_week: str | None,
    office_code: str | None,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> KpiReport:
    """Week-one KPIs of a range of ISO weeks, national and per office the caller may see."""
    today = local_day(now)
    weeks = week_range(from_week, to_week, today=today)
    codes = visible_offices(principal, office_code, offices)
    return _report(uow.session, weeks=weeks, codes=codes, settings=settings, today=today)


def current_and_previous(
    *, uow: UnitOfWork, offices: OfficeDirectory, settings: IntakeSettings, now: dt.datetime
) -> KpiReport:
    """The previous and the current ISO week, every office (for the Prometheus gauges)."""
    today = local_day(now)
    current = IsoWeek.of(today)
    return _report(
        uow.session,
        weeks=[current.shift(-1), current],
        codes=[o.code for o in offices.offices],
        settings=settings,
        today=today,
    )


def _report(
    session: Session,
    *,
    weeks: list[IsoWeek],
    codes: list[str],
    settings: IntakeSettings,
    today: dt.date,
) -> KpiReport:
    table = compute_table(session, weeks=weeks, office_codes=codes, settings=settings, today=today)
    return KpiReport(
        weeks=weeks,
        today=today,
        deadline_working_days=settings.intake_deadline_working_days,
        national=table[NATIONAL],
        offices={code: table[code] for code in sorted(codes)},
    )
