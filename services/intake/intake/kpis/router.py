"""HTTP API of the week-one KPIs (`/v1/kpis/week-one`)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query

from intake.deps import Container, Settings
from intake.kpis import service
from intake.kpis.rules import IsoWeek, WeekKpis
from intake.kpis.schemas import OfficeKpisRead, WeekKpisRead, WeekOneKpisRead
from shared.db.types import utcnow
from shared.reference import load_offices
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/kpis", tags=["kpis"], responses=PROBLEM_RESPONSES)

# Row-level: admins and benefits officers see every office; team leads and coaches the
# national figures and their own office's.
READ_ROLES = (Role.ADMIN, Role.BENEFITS_OFFICER, Role.TEAM_LEAD, Role.COACH)
_WEEK = r"^\d{4}-W\d{2}$"


def clock() -> dt.datetime:
    """The current moment (a dependency, so tests can fix 'today')."""
    return utcnow()


def week_read(k: WeekKpis) -> WeekKpisRead:
    """Response model of one week's figures."""
    return WeekKpisRead(
        week=str(k.week),
        week_start=k.week.monday,
        week_end=k.week.sunday,
        registrations=k.registrations,
        intakes_held=k.intakes_held,
        held_within_deadline=k.held_within_deadline,
        due=k.due,
        pending=k.pending,
        within_deadline_share=k.within_deadline_share,
        median_working_days_to_intake=k.median_working_days_to_intake,
        completed_appointments=k.completed_appointments,
        no_shows=k.no_shows,
        no_show_rate=k.no_show_rate,
        capacity_shortfalls=k.capacity_shortfalls,
    )


def _weeks(by_week: dict[IsoWeek, WeekKpis]) -> list[WeekKpisRead]:
    return [week_read(by_week[w]) for w in sorted(by_week)]


@router.get(
    "/week-one",
    response_model=WeekOneKpisRead,
    summary="Week-one intake KPIs per ISO week, national and per office",
)
def week_one(
    container: Container,
    settings: Settings,
    from_week: str | None = Query(
        None,
        max_length=8,
        pattern=_WEEK,
        description="First ISO week, e.g. 2026-W40 (default: 7 weeks before `to_week`)",
    ),
    to_week: str | None = Query(
        None,
        max_length=8,
        pattern=_WEEK,
        description=f"Last ISO week (default: the current week); at most {service.MAX_WEEKS} "
        "weeks in all",
    ),
    office_code: str | None = Query(
        None,
        max_length=10,
        description="Only this office besides the national figures (team leads and coaches: "
        "their own; without it they get their own office, others every office)",
    ),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    now: dt.datetime = Depends(clock),
) -> WeekOneKpisRead:
    """Registrations, share held within the deadline, median working days to the intake,
    no-show rate and capacity shortfalls (docs/kpis.md defines each)."""
    with container.uow() as uow:
        report = service.week_one(
            uow=uow,
            principal=principal,
            from_week=from_week,
            to_week=to_week,
            office_code=office_code,
            offices=load_offices(),
            settings=settings,
            now=now,
        )
    return WeekOneKpisRead(
        from_week=str(report.weeks[0]),
        to_week=str(report.weeks[-1]),
        as_of=report.today,
        deadline_working_days=report.deadline_working_days,
        national=_weeks(report.national),
        offices=[
            OfficeKpisRead(office_code=code, weeks=_weeks(by_week))
            for code, by_week in report.offices.items()
        ],
    )
