"""HTTP API of intake capacity planning (`/v1/planning/intake-capacity`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from fastapi import APIRouter, Depends

from intake.planning import service
from intake.planning.rules import WeekTotals, week_totals
from intake.planning.schemas import (
    IntakeCapacityPlanCreate,
    IntakeCapacityPlanRead,
    OfficePlanRead,
    PlanDayRead,
    PlanWeekRead,
)
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/planning", tags=["planning"], responses=PROBLEM_RESPONSES)

# Row-level: a team lead plans for their own office only; admins and benefits officers any.
PLAN_ROLES = (Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.ADMIN)


def clock() -> dt.datetime:
    """The current moment (a dependency, so tests can fix 'today')."""
    return utcnow()


def _settings(container: ServiceContainer) -> IntakeSettings:
    settings = container.settings
    assert isinstance(settings, IntakeSettings)
    return settings


def _hours(slots: int, per_slot: float) -> float:
    return round(slots * per_slot, 2)


def _weeks(totals: Iterable[WeekTotals], per_slot: float) -> list[PlanWeekRead]:
    return [
        PlanWeekRead(
            week=str(t.week),
            week_start=t.week.monday,
            week_end=t.week.sunday,
            registrations=t.registrations,
            needed_slots=t.needed,
            needed_coach_hours=_hours(t.needed, per_slot),
            available_slots=t.available,
            available_coach_hours=_hours(t.available, per_slot),
            shortfall_slots=t.shortfall,
            shortfall_coach_hours=_hours(t.shortfall, per_slot),
        )
        for t in totals
    ]


def _read(plan: service.CapacityPlan) -> IntakeCapacityPlanRead:
    per_slot = plan.hours_per_slot
    offices = [
        OfficePlanRead(
            office_code=code,
            registrations=p.registrations,
            peak_needed_slots_per_day=p.peak_needed,
            shortfall_slots=p.shortfall,
            shortfall_coach_hours=_hours(p.shortfall, per_slot),
            days=[
                PlanDayRead(
                    date=d.day,
                    is_working_day=d.is_working_day,
                    registrations=d.registrations,
                    needed_slots=d.needed,
                    needed_coach_hours=_hours(d.needed, per_slot),
                    available_slots=d.available,
                    available_coach_hours=_hours(d.available, per_slot),
                    shortfall_slots=d.shortfall,
                    shortfall_coach_hours=_hours(d.shortfall, per_slot),
                )
                for d in p.days
            ],
            weeks=_weeks(week_totals(p.days), per_slot),
        )
        for code, p in plan.offices.items()
    ]
    return IntakeCapacityPlanRead(
        slot_minutes=plan.slot_minutes,
        buffer_minutes=plan.buffer_minutes,
        coach_hours_per_slot=round(per_slot, 4),
        deadline_working_days=plan.deadline_working_days,
        offices=offices,
        weeks=_weeks(week_totals(d for p in plan.offices.values() for d in p.days), per_slot),
    )


@router.post(
    "/intake-capacity",
    response_model=IntakeCapacityPlanRead,
    summary="Coach-hours needed for the week-one target, and where the agendas fall short",
)
def intake_capacity(
    body: IntakeCapacityPlanCreate,
    principal: Principal = Depends(requires(roles=PLAN_ROLES)),
    container: ServiceContainer = Depends(get_container),
    now: dt.datetime = Depends(clock),
) -> IntakeCapacityPlanRead:
    """Per office and day: slots and coach-hours needed, free in the current agendas, and the
    shortfall; plus weekly totals (a computation: nothing is stored)."""
    with container.uow() as uow:
        plan = service.intake_capacity(
            uow=uow,
            data=body,
            principal=principal,
            offices=load_offices(),
            settings=_settings(container),
            now=now,
        )
    return _read(plan)
