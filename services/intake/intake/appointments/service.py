"""Booking rules: the earliest feasible slot at registration, the unplanned list, reads.

Concurrency is decided by the database (ADR 0010): an appointment is inserted in a
SAVEPOINT; a unique (or, on PostgreSQL, exclusion) violation means another transaction
won that slot, and the next candidate is tried. No row locks are held across candidates.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from intake.agendas import repository as slots_repository
from intake.agendas.rules import local_day, local_to_utc
from intake.agendas.service import ensure_slots_until
from intake.appointments import repository
from intake.appointments.models import BOOKED, Appointment, UnplannedClaim
from intake.appointments.rules import Candidate, rank
from intake.calendar.service import WorkingDayCalendar, intake_deadline
from intake.claims import repository as claims_repository
from intake.claims.models import Claim
from intake.settings import IntakeSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.intake import IntakeCapacityShortfall, IntakeScheduled
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden, NotFound


def search_offices(
    office_code: str, *, offices: OfficeDirectory, max_minutes: int
) -> dict[str, int]:
    """The claimant's office (0 minutes) and its neighbours within reach, nearest first."""
    reach = {office_code: 0}
    if offices.get(office_code) is not None:
        for n in offices.neighbours(office_code, max_minutes=max_minutes):
            reach.setdefault(n.office_code, n.travel_minutes)
    return reach


def _candidates(
    uow: UnitOfWork, reach: dict[str, int], *, deadline: dt.date, now: dt.datetime, limit: int
) -> list[Candidate]:
    before = local_to_utc(deadline + dt.timedelta(days=1), dt.time(0))
    found: list[Candidate] = []
    for office in sorted(reach, key=lambda o: (reach[o], o)):
        if len(found) >= limit:
            break
        for s in slots_repository.free_slots(
            uow.session, [office], after=now, before=before, limit=limit - len(found)
        ):
            found.append(
                Candidate(s.id, s.coach_id, s.office_code, s.starts_at, s.ends_at, reach[office])
            )
    return rank(found, now=now, deadline=deadline)


def try_book(
    uow: UnitOfWork,
    *,
    claim_id: uuid.UUID,
    office_code: str,
    deadline: dt.date,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> tuple[Appointment | None, list[str]]:
    """Book the earliest feasible slot (home office first, then neighbours); no commit.

    Returns the appointment (None when nothing fits) and the offices searched.
    """
    session = uow.session
    reach = search_offices(
        office_code, offices=offices, max_minutes=settings.intake_max_travel_minutes
    )
    ensure_slots_until(
        session, office_codes=sorted(reach), until=deadline, settings=settings, now=now
    )
    limit = settings.booking_max_attempts
    for c in _candidates(uow, reach, deadline=deadline, now=now, limit=limit)[:limit]:
        appointment = Appointment(
            id=uuid.uuid4(),
            claim_id=claim_id,
            slot_id=c.slot_id,
            coach_id=c.coach_id,
            office_code=c.office_code,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            status=BOOKED,
            deadline=deadline,
            booked_at=now,
        )
        try:
            with session.begin_nested():
                repository.add(session, appointment)
                session.flush()
        except IntegrityError:
            continue  # another transaction took this slot (or the coach's time): next one
        return appointment, list(reach)
    return None, list(reach)


def _scheduled(uow: UnitOfWork, appointment: Appointment, actor: Actor) -> None:
    uow.publish(
        IntakeScheduled(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            coach_id=appointment.coach_id,
            office_code=appointment.office_code,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            deadline=appointment.deadline,
        )
    )
    uow.audit(
        actor=actor,
        action="appointment.book",
        resource_type="appointment",
        resource_id=appointment.id,
        new={
            "claim_id": str(appointment.claim_id),
            "slot_id": str(appointment.slot_id),
            "starts_at": appointment.starts_at.isoformat(),
            "office_code": appointment.office_code,
        },
    )


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
    appointment, searched = try_book(
        uow,
        claim_id=claim.id,
        office_code=claim.office_code,
        deadline=deadline,
        offices=offices,
        settings=settings,
        now=now,
    )
    if appointment is not None:
        _scheduled(uow, appointment, actor)
        return appointment
    uow.publish(
        IntakeCapacityShortfall(
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=deadline,
            offices_searched=searched,
            detected_at=now,
        )
    )
    repository.add_unplanned(
        uow.session,
        UnplannedClaim(
            claim_id=claim.id, office_code=claim.office_code, deadline=deadline, since=now
        ),
    )
    return None


def book_unplanned(
    *,
    uow: UnitOfWork,
    office_codes: Sequence[str],
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    actor: Actor,
) -> int:
    """Capacity appeared at these offices: book waiting claims that can reach them, in deadline
    order (no commit). Returns how many were booked."""
    gained = set(office_codes)
    reachable_from = {
        o.code
        for o in offices.offices
        if gained
        & set(
            search_offices(o.code, offices=offices, max_minutes=settings.intake_max_travel_minutes)
        )
    } | gained
    booked = 0
    for row in repository.unplanned_of(
        uow.session, sorted(reachable_from), deadline_from=local_day(now)
    ):
        appointment, _ = try_book(
            uow,
            claim_id=row.claim_id,
            office_code=row.office_code,
            deadline=row.deadline,
            offices=offices,
            settings=settings,
            now=now,
        )
        if appointment is not None:
            repository.remove_unplanned(uow.session, row)
            _scheduled(uow, appointment, actor)
            booked += 1
    uow.session.flush()
    return booked


# Reads --------------------------------------------------------------------------------------


def list_for_claim(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    actor: Actor,
    claimant_subject: str | None,
    office_code: str | None,
) -> Sequence[Appointment]:
    """A claim's appointments: a claimant their own claim's, a team lead their office's; audited."""
    claim = claims_repository.get(uow.session, claim_id)
    if (
        claim is None
        or (claimant_subject is not None and claim.claimant_subject != claimant_subject)
        or (office_code is not None and claim.office_code != office_code)
    ):
        raise NotFound("no such claim")
    rows = repository.of_claim(uow.session, claim_id)
    uow.audit(actor=actor, action="appointment.list", resource_type="claim", resource_id=claim_id)
    uow.commit()
    return rows


def _may_see(principal: Principal, appointment: Appointment, claim: Claim | None) -> bool:
    if principal.has_role(Role.ADMIN):
        return True
    if principal.has_role(Role.TEAM_LEAD) and principal.office in (
        appointment.office_code,
        claim.office_code if claim else None,
    ):
        return True
    if principal.has_role(Role.COACH) and principal.subject == str(appointment.coach_id):
        return True
    return bool(
        principal.has_role(Role.CLAIMANT)
        and claim is not None
        and claim.claimant_subject is not None
        and claim.claimant_subject == principal.subject
    )


def get_appointment(
    *, uow: UnitOfWork, appointment_id: uuid.UUID, principal: Principal
) -> Appointment:
    """One appointment: the claimant, the coach, the office's team lead or an admin; audited."""
    appointment = repository.get(uow.session, appointment_id)
    claim = claims_repository.get(uow.session, appointment.claim_id) if appointment else None
    if appointment is None or not _may_see(principal, appointment, claim):
        raise NotFound("no such appointment")
    uow.audit(
        actor=principal.as_actor(),
        action="appointment.read",
        resource_type="appointment",
        resource_id=appointment.id,
    )
    uow.commit()
    return appointment


def list_unplanned(
    *,
    uow: UnitOfWork,
    office_code: str,
    actor: Actor,
    scope_office: str | None,
    offices: OfficeDirectory,
    limit: int,
    offset: int,
) -> tuple[Sequence[UnplannedClaim], int]:
    """An office's unplanned list in deadline order; an office-bound team lead only their own."""
    if offices.get(office_code) is None:
        raise NotFound("no such office")
    if scope_office is not None and scope_office != office_code:
        raise Forbidden("a team lead lists only the unplanned claims of their own office")
    rows, total = repository.list_unplanned(uow.session, office_code, limit=limit, offset=offset)
    uow.audit(
        actor=actor,
        action="unplanned.list",
        resource_type="office",
        resource_id=office_code,
        new={"offset": offset},
    )
    uow.commit()
    return rows, total
