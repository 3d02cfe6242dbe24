"""Intake capacity planning (issue 3, item 11); no FastAPI here.

Given expected registrations per office per day, how many slots (and coach-hours) the
week-one target needs, what the current agendas leave free, and where they fall short.
The rules are in `intake.planning.rules`; the office's working-day calendar (with its
closures) sets the deadlines, and the agendas are read, never changed. Plans are per office:
free slots at neighbouring offices, which booking may also use, are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from intake.agendas.rules import local_day, local_to_utc
from intake.calendar.service import WorkingDayCalendar
from intake.planning import repository
from intake.planning.rules import (
    OfficePlan,
    free_agenda_slots,
    plan_office,
)
from intake.planning.schemas import MAX_PLAN_DAYS, IntakeCapacityPlanCreate
from intake.settings import IntakeSettings
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden, InvalidField


@dataclass(frozen=True)
class CapacityPlan:
    """The plan of every office of the request, in request order."""

    offices: dict[str, OfficePlan]
    slot_minutes: int
    buffer_minutes: int
    deadline_working_days: int

    @property
    def hours_per_slot(self) -> float:
        """Coach time one intake takes: the slot and the buffer after it."""
        return (self.slot_minutes + self.buffer_minutes) / 60


def _validate(data: IntakeCapacityPlanCreate, offices: OfficeDirectory, today: dt.date) -> None:
    seen: set[str] = set()
    latest = today + dt.timedelta(days=MAX_PLAN_DAYS)
    for i, office in enumerate(data.offices):
        if offices.get(office.office_code) is None:
            raise InvalidField(f"offices.{i}.office_code", "unknown office code")
        if office.office_code in seen:
            raise InvalidField(f"offices.{i}.office_code", "appears more than once")
        seen.add(office.office_code)
        days: set[dt.date] = set()
        for j, day in enumerate(office.days):
            field = f"offices.{i}.days.{j}.date"
            if day.date <= today:
                raise InvalidField(field, "must lie in the future (after today)")
            if day.date > latest:
                raise InvalidField(field, f"must lie at most {MAX_PLAN_DAYS} days ahead")
            if day.date in days:
                raise InvalidField(field, "appears more than once for this office")
            days.add(day.date)


def _check_may_plan(principal: Principal, office_codes: Sequence[str]) -> None:
    if principal.has_role(Role.ADMIN, Role.BENEFITS_OFFICER):
        return
    if (
        principal.has_role(Role.TEAM_LEAD)
        and principal.office is not None
        and all(code == principal.office for code in office_codes)
    ):
        return
    raise Forbidden("a team lead plans only for their own office")


def intake_capacity(
    *,
    uow: UnitOfWork,
    data: IntakeCapacityPlanCreate,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> CapacityPlan:
    """Need, free capacity and shortfall per office and day (read-only, not audited)."""
    today = local_day(now)
    _validate(data, offices, today)
    codes = [o.office_code for o in data.offices]
    _check_may_plan(principal, codes)
    session = uow.session
    n = settings.intake_deadline_working_days
    calendar = WorkingDayCalendar(session)
    registrations = {o.office_code: {d.date: d.registrations for d in o.days} for o in data.offices}
    first = min(min(by_day) for by_day in registrations.values())
    # Deadlines grow with the registration day, so the last day's is the latest.
    last = max(
        calendar.add_working_days(max(by_day), n, code) for code, by_day in registrations.items()
    )
    for code in codes:
        calendar.prefetch(first, last, code)
    agendas = repository.coach_agendas(
        session,
        codes,
        first=first,
        last=last,
        after=local_to_utc(first, dt.time(0)),
        before=local_to_utc(last + dt.timedelta(days=1), dt.time(0)),
    )
    free = free_agenda_slots(
        agendas,
        office_codes=codes,
        first=first,
        last=last,
        is_working_day=calendar.is_working_day,
        slot_minutes=settings.slot_minutes,
        buffer_minutes=settings.slot_buffer_minutes,
        now=now,
    )
    plans: dict[str, OfficePlan] = {}
    for code in codes:

        def is_working_day(day: dt.date, code: str = code) -> bool:
            return calendar.is_working_day(day, code)

        plans[code] = plan_office(
            registrations[code],
            free[code],
            is_working_day=is_working_day,
            deadline_working_days=n,
        )
    return CapacityPlan(
        offices=plans,
        slot_minutes=settings.slot_minutes,
        buffer_minutes=settings.slot_buffer_minutes,
        deadline_working_days=n,
    )
