"""Booking runs: the intake at registration and the planning runs (all offices, one office)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from intake.agendas.rules import local_day
from intake.appointments import repository
from intake.appointments.booking import (
    book_unplanned,
    rebook_or_shortfall,
)
from intake.appointments.models import (
    Appointment,
)
from intake.calendar.service import WorkingDayCalendar, intake_deadline
from intake.claims.models import Claim
from intake.planning import deferral
from intake.planning import repository as planning_repository
from intake.settings import IntakeSettings
from intake.slots.service import extend_horizons
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden, NotFound


def book_on_registration(
    *,
    uow: UnitOfWork,
    claim: Claim,
    actor: Actor,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    today: dt.date,
    now: dt.datetime,
) -> Appointment | None:
    """Book the intake of a newly registered claim in the registration's unit of work (no commit).

    Nothing fits: `intake.capacity_shortfall` and the claim goes on its office's unplanned list.
    """
    # Flush the claim first, outside any savepoint: its own unique violations (an open claim
    # for the BSN, a duplicate idempotency key) surface to the registration as before.
    uow.session.flush()
    deadline = intake_deadline(
        WorkingDayCalendar(uow.session),
        first_ww_day=claim.first_ww_day,
        registered_on=today,
        office_code=claim.office_code,
        working_days=settings.intake_deadline_working_days,
    )
    # A first WW day far ahead: the planning run books the intake once the window opens.
    if deferral.defer_if_early(
        uow=uow,
        claim=claim,
        deadline=deadline,
        actor=actor,
        settings=settings,
        today=today,
        now=now,
    ):
        return None
    return rebook_or_shortfall(
        uow,
        claim,
        deadline=deadline,
        actor=actor,
        offices=offices,
        settings=settings,
        now=now,
    )


def book_deferred(
    *,
    uow: UnitOfWork,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    actor: Actor,
) -> int:
    """Book every deferred intake whose window has opened (the planning run; issue 12, item
    9a); no commit.

    Nothing fits before the deadline: `intake.capacity_shortfall` and the unplanned list, as
    at registration. A claim no longer open is dropped. Returns how many were booked.
    """
    session = uow.session
    today = local_day(now)
    calendar = WorkingDayCalendar(session)
    booked = 0
    for row in planning_repository.deferred_due(session, today):
        claim = session.get(Claim, row.claim_id)
        planning_repository.remove_deferred(session, row)
        if claim is None or claim.status != "open":
            continue
        # The calendar as it is now (a closure declared meanwhile moves the deadline), and the
        # claim's office as it is now (the claimant may have moved).
        deadline = intake_deadline(
            calendar,
            first_ww_day=claim.first_ww_day,
            registered_on=local_day(claim.registered_at),
            office_code=claim.office_code,
            working_days=settings.intake_deadline_working_days,
        )
        appointment = rebook_or_shortfall(
            uow,
            claim,
            deadline=deadline,
            actor=actor,
            offices=offices,
            settings=settings,
            now=now,
        )
        if appointment is not None:
            booked += 1
    session.flush()
    return booked


@dataclass(frozen=True)
class PlanningRun:
    """What one planning run did."""

    agendas_extended: int
    slots_until: dt.date
    booked: int
    still_unplanned: int


def run_planning(
    *,
    uow: UnitOfWork,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    actor: Actor,
) -> PlanningRun:
    """The periodic planning run (a scheduler calls it, like the reminders).

    Rolls every agenda's slot horizon forward, then tries every claim on an unplanned list,
    including claims whose deadline has passed (booked as soon as possible, within one more
    deadline period): a claim is never left without an intake because a date went by.
    """
    session = uow.session
    today = local_day(now)
    calendar = WorkingDayCalendar(session)
    until = calendar.add_working_days(today, settings.slot_horizon_working_days)
    late_until = calendar.add_working_days(today, settings.intake_deadline_working_days)
    moved, _ = extend_horizons(session, until=until, settings=settings, now=now)
    # Claims whose booking window has opened since they registered (item 9a).
    deferred = book_deferred(uow=uow, offices=offices, settings=settings, now=now, actor=actor)
    waiting = repository.unplanned_offices(session)
    booked = (
        book_unplanned(
            uow=uow,
            office_codes=waiting,
            offices=offices,
            settings=settings,
            now=now,
            actor=actor,
            late_until=late_until,
        )
        if waiting
        else 0
    )
    booked += deferred
    left = repository.count_unplanned(session)
    uow.audit(
        actor=actor,
        action="planning.run",
        resource_type="planning",
        resource_id=today.isoformat(),
        new={"agendas_extended": moved, "booked": booked, "still_unplanned": left},
    )
    uow.commit()
    return PlanningRun(moved, until, booked, left)


@dataclass(frozen=True)
class OfficePlanningRun:
    """What one office's planning run did."""

    office_code: str
    booked: int
    still_unplanned: int


def run_office_planning(
    *,
    uow: UnitOfWork,
    office_code: str,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> OfficePlanningRun:
    """One office's planning run, for its team lead (the "plan now" button): books the
    claims on the office's unplanned list into free slots, overdue ones included (as soon as
    possible, within one more deadline period), as the periodic run does for every office.
    Slot horizons are the scheduler's (`run_planning`); this run only books."""
    if offices.get(office_code) is None:
        raise NotFound("no such office")
    if not principal.has_role(Role.ADMIN) and not (
        principal.has_role(Role.TEAM_LEAD) and principal.office == office_code
    ):
        raise Forbidden("a team lead runs the planning of their own office only")
    session = uow.session
    today = local_day(now)
    calendar = WorkingDayCalendar(session)
    late_until = calendar.add_working_days(today, settings.intake_deadline_working_days)
    actor = principal.as_actor()
    booked = book_unplanned(
        uow=uow,
        office_codes=[office_code],
        offices=offices,
        settings=settings,
        now=now,
        actor=actor,
        late_until=late_until,
        claims_of=[office_code],
    )
    _, left = repository.list_unplanned(session, office_code, limit=1, offset=0)
    uow.audit(
        actor=actor,
        action="planning.run_office",
        resource_type="office",
        resource_id=office_code,
        new={"booked": booked, "still_unplanned": left},
    )
    uow.commit()
    return OfficePlanningRun(office_code, booked, left)
