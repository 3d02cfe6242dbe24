"""Booking rules: the earliest feasible slot at registration, the unplanned list, reads.

Concurrency is decided by the database (ADR 0010, ADR 0026): a booking locks its slot with
`FOR UPDATE SKIP LOCKED` and inserts the appointment in one SAVEPOINT, so concurrent
bookings pass the slots others are booking instead of all queueing on the same one; the
unique (or, on PostgreSQL, exclusion) indexes still decide, and a violation means another
transaction won that slot. A shortfall is declared only after every slot a concurrent
booking held has been re-checked under its lock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.access import service as access
from intake.agendas import repository as slots_repository
from intake.agendas.models import SLOT_OPEN, AgendaException, Slot
from intake.agendas.rules import local_day, local_to_utc
from intake.agendas.service import ensure_slots_until, extend_horizons, generate_slots
from intake.appointments import ics, repository, rules
from intake.appointments.models import (
    BOOKED,
    CANCELLED_BY_CLAIMANT,
    CANCELLED_BY_SERVICE,
    COMPLETED,
    NO_SHOW,
    RESCHEDULED,
    Appointment,
    AppointmentCompletion,
    CapacityShortfall,
    UnplannedClaim,
)
from intake.appointments.rules import Candidate, UnavailableTime, rank
from intake.calendar.service import WorkingDayCalendar, intake_deadline
from intake.claims import repository as claims_repository
from intake.claims.answers import refuse_unfit_answers
from intake.claims.models import Claim
from intake.coaches.models import RosterCoach
from intake.planning import deferral
from intake.settings import IntakeSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    IntakeCancelled,
    IntakeCapacityShortfall,
    IntakeCompleted,
    IntakeNoShow,
    IntakeReminderDue,
    IntakeRescheduled,
    IntakeScheduled,
)
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, Forbidden, InvalidField, NotFound


def search_offices(
    office_code: str, *, offices: OfficeDirectory, max_minutes: int
) -> dict[str, int]:
    """The claimant's office (0 minutes) and its neighbours within reach, nearest first."""
    reach = {office_code: 0}
    if offices.get(office_code) is not None:
        for n in offices.neighbours(office_code, max_minutes=max_minutes):
            reach.setdefault(n.office_code, n.travel_minutes)
    return reach


@dataclass(frozen=True)
class Preferences:
    """What the claimant asked for or the history suggests (item 4)."""

    unavailable: Sequence[UnavailableTime] = ()
    known_coaches: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def of(cls, session: Session, claim: Claim, settings: IntakeSettings) -> Preferences:
        """The claim's declared unavailable times and, if enabled, the coaches met before."""
        unavailable = tuple(UnavailableTime.from_json(u) for u in (claim.unavailable or []))
        known: frozenset[uuid.UUID] = frozenset()
        if settings.prefer_known_coach:
            known = frozenset(repository.coaches_met(session, claim.bsn_hash))
        return cls(unavailable, known)


# Pages of free slots read per office while declared unavailable times filter them out.
_MAX_PAGES = 10


def booking_window(
    session: Session,
    claim: Claim,
    *,
    deadline: dt.date,
    now: dt.datetime,
    settings: IntakeSettings,
    offices: OfficeDirectory,
    summoned: bool = False,
    search_until: dt.date | None = None,
    current: uuid.UUID | None = None,
    exclude_slots: Collection[uuid.UUID] = (),
    office_code: str | None = None,
) -> rules.Window:
    """The slots this claim may be booked into or pick now (ADR 0017), from its history.

    - a summons lies at least `summons_lead_working_days` working days ahead (item 4);
    - a slot the claimant cancelled is never offered again, and after a cancellation for
      illness nothing before `illness_cancel_pause_days` days after that day (item 6); when
      the pause ends after the deadline, the window runs one deadline period from its end.
    """
    reach = search_offices(
        office_code or claim.office_code,
        offices=offices,
        max_minutes=settings.intake_max_travel_minutes,
    )
    calendar = WorkingDayCalendar(session)
    not_before = now
    if summoned and settings.summons_lead_working_days > 0:
        first = calendar.add_working_days(
            local_day(now), settings.summons_lead_working_days, claim.office_code
        )
        not_before = max(not_before, local_to_utc(first, dt.time(0)))
    excluded = set(exclude_slots)
    paused_until: dt.date | None = None
    for a in repository.of_claim(session, claim.id):
        if a.status != CANCELLED_BY_CLAIMANT:
            continue
        excluded.add(a.slot_id)
        if a.cancel_reason == rules.ILLNESS and a.cancelled_at is not None:
            resume = local_day(a.cancelled_at) + dt.timedelta(
                days=settings.illness_cancel_pause_days
            )
            paused_until = max(paused_until or resume, resume)
    last_day = search_until or deadline
    if paused_until is not None:
        not_before = max(not_before, local_to_utc(paused_until, dt.time(0)))
        if paused_until > last_day:
            last_day = calendar.add_working_days(
                paused_until - dt.timedelta(days=1),
                settings.intake_deadline_working_days,
                claim.office_code,
            )
    return rules.Window(
        reach=reach,
        now=now,
        not_before=not_before,
        last_day=last_day,
        excluded=frozenset(excluded),
        current=current,
    )


def _window_slots(
    uow: UnitOfWork,
    window: rules.Window,
    office: str,
    *,
    limit: int | None,
    offset: int = 0,
    coach_ids: Sequence[uuid.UUID] | None = None,
    skip: Collection[uuid.UUID] = (),
) -> tuple[list[Candidate], int]:
    """A page of free slots of one office in the window that the eligibility rule accepts,
    and how many rows the page read (to know whether there are more)."""
    # The SQL narrows the search; `rules.refusal` decides (free_slots is strictly after).
    after = window.now
    if window.not_before > window.now:
        after = window.not_before - dt.timedelta(microseconds=1)
    rows = slots_repository.free_slots(
        uow.session,
        [office],
        after=after,
        before=local_to_utc(window.last_day + dt.timedelta(days=1), dt.time(0)),
        limit=limit,
        offset=offset,
        coach_ids=coach_ids,
        skip=skip,
    )
    out = [
        Candidate(s.id, s.coach_id, s.office_code, s.starts_at, s.ends_at, window.travel(office))
        for s in rows
        if rules.refusal(
            rules.SlotView(s.id, s.office_code, s.starts_at, open=s.state == SLOT_OPEN), window
        )
        is None
    ]
    return out, len(rows)


def _candidates(
    uow: UnitOfWork,
    window: rules.Window,
    *,
    limit: int,
    prefs: Preferences = Preferences(),
    exclude_coaches: Collection[uuid.UUID] = (),
    skip: Collection[uuid.UUID] = (),
) -> list[Candidate]:
    """Up to `limit` feasible candidates per office distance, in booking order, leaving out
    the slots in `skip` (already tried by this booking).

    Offices are searched nearest first and the search stops at the first distance that
    yields enough; the coaches met before are looked up separately so a later slot of
    theirs is not cut off by the limit.
    """
    reach = window.reach

    def fetch(office: str, coach_ids: Sequence[uuid.UUID] | None) -> list[Candidate]:
        out: list[Candidate] = []
        for page in range(_MAX_PAGES):
            eligible, read = _window_slots(
                uow,
                window,
                office,
                limit=limit,
                offset=page * limit,
                coach_ids=coach_ids,
                skip=skip,
            )
            out.extend(
                c
                for c in eligible
                if c.coach_id not in exclude_coaches
                and rules.feasible(
                    c, now=window.now, deadline=window.last_day, unavailable=prefs.unavailable
                )
            )
            if len(out) >= limit or read < limit:
                break
        return out

    found: list[Candidate] = []
    for office in sorted(reach, key=lambda o: (reach[o], o)):
        if len(found) >= limit:
            break
        if prefs.known_coaches:
            found.extend(fetch(office, sorted(prefs.known_coaches)))
        found.extend(fetch(office, None))
    unique = {c.slot_id: c for c in found}
    return rank(
        unique.values(),
        now=window.now,
        deadline=window.last_day,
        unavailable=prefs.unavailable,
        known_coaches=prefs.known_coaches,
    )


def try_book(
    uow: UnitOfWork,
    *,
    claim_id: uuid.UUID,
    office_code: str,
    deadline: dt.date,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    exclude_slots: Collection[uuid.UUID] = (),
    prefs: Preferences = Preferences(),
    summoned: bool = False,
    search_until: dt.date | None = None,
    exclude_coaches: Collection[uuid.UUID] = (),
) -> tuple[Appointment | None, list[str]]:
    """Book the earliest feasible slot (home office first, then neighbours); no commit.

    Slots up to `search_until` (default: the deadline) are searched; the appointment records
    `deadline`. The claim's booking window (`booking_window`) applies: a summons' notice, the
    claimant's cancelled slots and an illness pause. Slots of `exclude_coaches` are skipped.
    Returns the appointment (None when nothing fits) and the offices searched.
    """
    session = uow.session
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("no such claim")
    window = booking_window(
        session,
        claim,
        deadline=deadline,
        now=now,
        settings=settings,
        offices=offices,
        summoned=summoned,
        search_until=search_until,
        exclude_slots=exclude_slots,
        office_code=office_code,
    )
    reach = dict(window.reach)
    ensure_slots_until(
        session, office_codes=sorted(reach), until=window.last_day, settings=settings, now=now
    )
    limit = settings.booking_max_attempts

    def book(c: Candidate, *, wait: bool) -> Appointment | None:
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
            summoned=summoned,
        )
        try:
            # The lock and the insert share the savepoint: a failed insert releases the lock.
            with session.begin_nested():
                if not slots_repository.lock_free_slot(session, c.slot_id, wait=wait):
                    raise _NotLocked
                repository.add(session, appointment)
                session.flush()
        except _NotLocked:
            return None
        except IntegrityError:
            return None  # another transaction took this slot (or the coach's time)
        return appointment

    # Rounds of candidates in booking order, each read afresh without the slots tried so far:
    # a slot a concurrent booking holds is skipped at once (SKIP LOCKED), and remembered.
    tried: set[uuid.UUID] = set()
    held: list[Candidate] = []
    while True:
        found = _candidates(
            uow, window, limit=limit, prefs=prefs, exclude_coaches=exclude_coaches, skip=tried
        )
        fresh = [c for c in found[:limit] if c.slot_id not in tried]
        if not fresh:
            break
        for c in fresh:
            tried.add(c.slot_id)
            appointment = book(c, wait=False)
            if appointment is not None:
                return appointment, list(reach)
            if slots_repository.is_free(session, c.slot_id):
                held.append(c)  # free as far as committed data says: another booking holds it
    # Nothing free was left unlocked. Before declaring a shortfall, wait for each slot that
    # was held: its booking may have rolled back (ADR 0026: no false shortfalls).
    for c in held:
        appointment = book(c, wait=True)
        if appointment is not None:
            return appointment, list(reach)
    return None, list(reach)


class _NotLocked(Exception):
    """The slot was taken, withdrawn or locked by a concurrent booking (savepoint unwinds)."""


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
            summoned=appointment.summoned,
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
            "summoned": appointment.summoned,
        },
    )


def _shortfall(
    uow: UnitOfWork,
    *,
    claim_id: uuid.UUID,
    office_code: str,
    deadline: dt.date,
    searched: list[str],
    now: dt.datetime,
) -> None:
    uow.publish(
        IntakeCapacityShortfall(
            claim_id=claim_id,
            office_code=office_code,
            deadline=deadline,
            offices_searched=searched,
            detected_at=now,
        )
    )
    repository.add_shortfall(
        uow.session,
        CapacityShortfall(
            id=uuid.uuid4(),
            claim_id=claim_id,
            office_code=office_code,
            deadline=deadline,
            detected_at=now,
        ),
    )
    existing = repository.unplanned(uow.session, claim_id)
    if existing is None:
        repository.add_unplanned(
            uow.session,
            UnplannedClaim(
                claim_id=claim_id, office_code=office_code, deadline=deadline, since=now
            ),
        )
    else:
        existing.deadline = deadline


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
    appointment, searched = try_book(
        uow,
        claim_id=claim.id,
        office_code=claim.office_code,
        deadline=deadline,
        offices=offices,
        settings=settings,
        now=now,
        prefs=Preferences.of(uow.session, claim, settings),
    )
    if appointment is not None:
        _scheduled(uow, appointment, actor)
        return appointment
    _shortfall(
        uow,
        claim_id=claim.id,
        office_code=claim.office_code,
        deadline=deadline,
        searched=searched,
        now=now,
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
    late_until: dt.date | None = None,
    claims_of: Sequence[str] | None = None,
) -> int:
    """Capacity appeared at these offices: book waiting claims that can reach them, in deadline
    order (no commit). Returns how many were booked. `claims_of` narrows the claims to those
    offices' unplanned lists (an office's own planning run).

    Claims whose deadline has already passed are booked only when `late_until` is given (the
    planning run): then the earliest slot up to that day, and the appointment keeps the missed
    deadline so the KPIs count it as late.
    """
    # Travel times are symmetric, so the offices whose claims can reach the gained ones are
    # the gained offices' own reach.
    reachable_from: set[str] = set()
    for code in office_codes:
        reachable_from |= set(
            search_offices(code, offices=offices, max_minutes=settings.intake_max_travel_minutes)
        )
    if claims_of is not None:
        reachable_from = set(claims_of)
    today = local_day(now)
    booked = 0
    for row in repository.unplanned_of(
        uow.session,
        sorted(reachable_from),
        deadline_from=None if late_until is not None else today,
    ):
        claim = claims_repository.get(uow.session, row.claim_id)
        if claim is None or claim.status != "open":
            continue
        overdue = row.deadline < today
        appointment, _ = try_book(
            uow,
            claim_id=row.claim_id,
            office_code=row.office_code,
            deadline=row.deadline,
            search_until=late_until if overdue else None,
            offices=offices,
            settings=settings,
            now=now,
            prefs=Preferences.of(uow.session, claim, settings),
            summoned=claim.no_show_count > 0,
        )
        if appointment is not None:
            repository.remove_unplanned(uow.session, row)
            _scheduled(uow, appointment, actor)
            booked += 1
    uow.session.flush()
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
    deferred = deferral.book_deferred(
        uow=uow, offices=offices, settings=settings, now=now, actor=actor
    )
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


# Reads --------------------------------------------------------------------------------------


def list_for_claim(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    actor: Actor,
    claimant_subject: str | None,
    office_code: str | None,
    scope: access.ClaimScope | None = None,
) -> Sequence[Appointment]:
    """A claim's appointments: a claimant their own claim's, a team lead their office's; audited.
    With a `scope`, the claim's need-to-know rules decide (`intake.access`, break-glass)."""
    claim = claims_repository.get(uow.session, claim_id)
    if scope is not None and claim is not None:
        access.audit_read(uow, actor=actor, scope=scope, claim=claim, action="appointment.list")
        rows = repository.of_claim(uow.session, claim_id)
        uow.commit()
        return rows
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
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    action: str = "appointment.read",
) -> Appointment:
    """One appointment: the claimant, the coach, the office's team lead or an admin; audited."""
    appointment = repository.get(uow.session, appointment_id)
    claim = claims_repository.get(uow.session, appointment.claim_id) if appointment else None
    if appointment is None or not _may_see(principal, appointment, claim):
        raise NotFound("no such appointment")
    uow.audit(
        actor=principal.as_actor(),
        action=action,
        resource_type="appointment",
        resource_id=appointment.id,
    )
    uow.commit()
    return appointment


def allowed_now(
    *,
    uow: UnitOfWork,
    appointment: Appointment,
    principal: Principal,
    settings: IntakeSettings,
    now: dt.datetime,
) -> list[str]:
    """What `principal` may do with a visible appointment now: the rule each action checks
    (`rules.allowed_actions`), for staff of the appointment or for its claimant."""
    claim = claims_repository.get(uow.session, appointment.claim_id)
    if claim is None:
        return []
    return rules.allowed_actions(
        status=appointment.status,
        starts_at=appointment.starts_at,
        now=now,
        staff=_is_staff_for(principal, appointment, claim),
        cutoff=dt.timedelta(hours=settings.reschedule_cutoff_hours),
        rebookable=_rebookable(uow.session, appointment, claim),
    )


def appointment_ics(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    now: dt.datetime,
) -> str:
    """The appointment as an iCalendar file; the same readers as the JSON, audited."""
    appointment = get_appointment(
        uow=uow, appointment_id=appointment_id, principal=principal, action="appointment.ics"
    )
    office = offices.get(appointment.office_code)
    return ics.render(
        ics.IcsEvent(
            appointment_id=appointment.id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            location=office.name if office is not None else appointment.office_code,
            cancelled=appointment.status in (CANCELLED_BY_CLAIMANT, CANCELLED_BY_SERVICE),
        ),
        now=now,
    )


# The agenda of one coach: a month at most, so a page's audit rows and the query stay small.
MAX_COACH_AGENDA_DAYS = 31


def list_for_coach(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    principal: Principal,
    start: dt.date,
    end: dt.date,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[Appointment, Claim]], int]:
    """A coach's appointments starting on the local days `start`..`end`, with their claims.

    Readers: the coach themself, a team lead of the coach's office, benefits officers and
    admins; others 403. Every claim on the page is audited (`appointment.list`), so each
    claimant's access log shows who saw their name in an agenda (ADR 0022)."""
    if end < start:
        raise InvalidField("to", "must not be before `from`", location="query")
    if (end - start).days + 1 > MAX_COACH_AGENDA_DAYS:
        raise InvalidField(
            "to", f"the range may span at most {MAX_COACH_AGENDA_DAYS} days", location="query"
        )
    coach = uow.session.get(RosterCoach, coach_id)
    if coach is None:  # roster ids are no personal data; 404 before the row-level check
        raise NotFound("no such coach")
    national = principal.has_role(Role.BENEFITS_OFFICER, Role.ADMIN)
    own = principal.has_role(Role.COACH) and principal.subject == str(coach_id)
    lead = principal.has_role(Role.TEAM_LEAD) and principal.office == coach.office_code
    if not (national or own or lead):
        raise Forbidden("only the coach, their office's team lead or national staff")
    rows, total = repository.of_coach(
        uow.session,
        coach_id,
        after=local_to_utc(start, dt.time(0)),
        before=local_to_utc(end + dt.timedelta(days=1), dt.time(0)),
        status=status,
        limit=limit,
        offset=offset,
    )
    actor = principal.as_actor()
    uow.audit(
        actor=actor,
        action="coach.appointments.list",
        resource_type="coach",
        resource_id=coach_id,
        new={"from": start.isoformat(), "to": end.isoformat(), "offset": offset},
    )
    for claim_id in dict.fromkeys(c.id for _, c in rows):
        uow.audit(
            actor=actor, action="appointment.list", resource_type="claim", resource_id=claim_id
        )
    uow.commit()
    return rows, total


# Reminders ----------------------------------------------------------------------------------

# The rule's moment lies at most this far before the start (2 working days back, across
# weekends, Christmas and office closures); later appointments are not due yet.
REMINDER_HORIZON = dt.timedelta(days=21)


def emit_due_reminders(*, uow: UnitOfWork, now: dt.datetime) -> int:
    """Emit intake.reminder_due for each active appointment now due and not yet reminded.

    Idempotent: `reminder_sent_at` is set in the same transaction as the outbox row, so a
    second run emits nothing. Appointments that have started are not reminded.
    """
    calendar = WorkingDayCalendar(uow.session)
    sent = 0
    for a in repository.reminder_candidates(uow.session, now=now, until=now + REMINDER_HORIZON):
        due_at = rules.reminder_due_at(a.starts_at, calendar, a.office_code, booked_at=a.booked_at)
        if due_at > now:
            continue
        a.reminder_sent_at = now
        uow.publish(
            IntakeReminderDue(
                claim_id=a.claim_id,
                appointment_id=a.id,
                starts_at=a.starts_at,
                office_code=a.office_code,
                due_at=due_at,
            )
        )
        sent += 1
    uow.commit()
    return sent


def list_unplanned(
    *,
    uow: UnitOfWork,
    office_code: str,
    actor: Actor,
    scope_office: str | None,
    offices: OfficeDirectory,
    limit: int,
    offset: int,
    scope: access.ClaimScope | None = None,
) -> tuple[Sequence[UnplannedClaim], int]:
    """An office's unplanned list in deadline order; an office-bound team lead only their own."""
    if offices.get(office_code) is None:
        raise NotFound("no such office")
    if scope_office is not None and scope_office != office_code:
        raise Forbidden("a team lead lists only the unplanned claims of their own office")
    if scope is not None and not scope.unbounded and office_code not in scope.offices:
        raise Forbidden("staff list only the unplanned claims of their own office")
    rows, total = repository.list_unplanned(uow.session, office_code, limit=limit, offset=offset)
    uow.audit(
        actor=actor,
        action="unplanned.list",
        resource_type="office",
        resource_id=office_code,
        new={"offset": offset},
    )
    if scope is not None and scope.break_glass is not None and office_code not in scope.offices:
        for row in rows:  # each claimant on the page sees the break-glass in their access log
            uow.audit(
                actor=actor,
                action="unplanned.list.break_glass",
                resource_type="claim",
                resource_id=row.claim_id,
                reason=scope.break_glass,
            )
    uow.commit()
    return rows, total


# Actions (issue 3, items 6 and 7) -----------------------------------------------------------


def _is_staff_for(principal: Principal, appointment: Appointment, claim: Claim) -> bool:
    if principal.has_role(Role.ADMIN):
        return True
    if principal.has_role(Role.TEAM_LEAD) and principal.office in (
        appointment.office_code,
        claim.office_code,
    ):
        return True
    return principal.has_role(Role.COACH) and (
        principal.subject == str(appointment.coach_id)
        or principal.office == appointment.office_code
    )


def _is_owner(principal: Principal, claim: Claim) -> bool:
    return (
        principal.has_role(Role.CLAIMANT)
        and claim.claimant_subject is not None
        and claim.claimant_subject == principal.subject
    )


def _load(
    uow: UnitOfWork, appointment_id: uuid.UUID, principal: Principal, *, claimant_ok: bool
) -> tuple[Appointment, Claim, bool]:
    """The locked appointment, its claim and whether the caller acts for the service.

    Staff rights win over ownership; anyone else gets 404 as for a missing appointment.
    """
    appointment = repository.lock(uow.session, appointment_id)
    claim = claims_repository.get(uow.session, appointment.claim_id) if appointment else None
    if appointment is None or claim is None:
        raise NotFound("no such appointment")
    if _is_staff_for(principal, appointment, claim):
        return appointment, claim, True
    if claimant_ok and _is_owner(principal, claim):
        return appointment, claim, False
    raise NotFound("no such appointment")


def _require(
    action: str,
    appointment: Appointment,
    *,
    staff: bool,
    now: dt.datetime,
    settings: IntakeSettings,
    rebookable: bool = False,
) -> None:
    allowed = rules.allowed_actions(
        status=appointment.status,
        starts_at=appointment.starts_at,
        now=now,
        staff=staff,
        cutoff=dt.timedelta(hours=settings.reschedule_cutoff_hours),
        rebookable=rebookable,
    )
    if action not in allowed:
        raise Conflict(
            f"'{action}' is not allowed on a {appointment.status} appointment now",
            current_status=appointment.status,
            allowed=allowed,
        )


def _audit(
    uow: UnitOfWork,
    principal: Principal,
    appointment: Appointment,
    action: str,
    old_status: str,
    *,
    reason: str | None = None,
    extra: dict[str, object] | None = None,
) -> None:
    uow.audit(
        actor=principal.as_actor(),
        action=f"appointment.{action}",
        resource_type="appointment",
        resource_id=appointment.id,
        old={"status": old_status},
        new={"status": appointment.status, **(extra or {})},
        reason=reason,
    )


def _reason(code: str, text: str | None) -> str:
    return f"{code}: {text}" if text else code


class SlotUnavailable(Conflict):
    """The slot cannot be booked for this appointment now; `reason` says why (ADR 0017)."""

    slug, title = "slot-unavailable", "The slot cannot be booked"

    def __init__(self, reason: str, *, slot_id: uuid.UUID, current_status: str) -> None:
        super().__init__(
            rules.REFUSAL_DETAILS[reason],
            reason=reason,
            slot_id=str(slot_id),
            current_status=current_status,
            allowed=[rules.RESCHEDULE],
        )


def _rebookable(session: Session, appointment: Appointment, claim: Claim) -> bool:
    """A claimant's cancelled appointment from which a new slot may be picked: the open
    claim's latest appointment, nothing booked since."""
    if appointment.status != CANCELLED_BY_CLAIMANT or claim.status != "open":
        return False
    history = repository.of_claim(session, claim.id)
    return bool(history) and history[0].id == appointment.id


def _pick_window(
    uow: UnitOfWork,
    appointment: Appointment,
    claim: Claim,
    *,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> rules.Window:
    """Check that a slot may be picked for this appointment now (409 otherwise) and return
    the window `alternatives` and `reschedule` both apply."""
    staff = _is_staff_for(principal, appointment, claim)
    _require(
        rules.RESCHEDULE,
        appointment,
        staff=staff,
        now=now,
        settings=settings,
        rebookable=_rebookable(uow.session, appointment, claim),
    )
    today = local_day(now)
    # An overdue claim is still served: one more deadline period, as the planning run does.
    late_until = (
        WorkingDayCalendar(uow.session).add_working_days(
            today, settings.intake_deadline_working_days, claim.office_code
        )
        if appointment.deadline < today
        else None
    )
    active = appointment.status != CANCELLED_BY_CLAIMANT
    return booking_window(
        uow.session,
        claim,
        deadline=appointment.deadline,
        now=now,
        settings=settings,
        offices=offices,
        summoned=appointment.summoned,
        search_until=late_until,
        current=appointment.slot_id if active else None,
    )


@dataclass(frozen=True)
class AlternativesFilter:
    """Which alternatives a caller asks for: a local date range and a part of the day."""

    from_date: dt.date | None = None
    to_date: dt.date | None = None
    part_of_day: str | None = None

    def accepts(self, c: Candidate) -> bool:
        """True when the slot lies in the range and part of the day."""
        day = local_day(c.starts_at)
        return (
            (self.from_date is None or day >= self.from_date)
            and (self.to_date is None or day <= self.to_date)
            and (self.part_of_day is None or rules.part_of_day(c.starts_at) == self.part_of_day)
        )


def alternatives(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    where: AlternativesFilter = AlternativesFilter(),
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Candidate], int]:
    """A page of the slots `reschedule` accepts now (nearest office, then earliest), and the
    total; 409 when no slot may be picked for this appointment at all."""
    if where.from_date and where.to_date and where.to_date < where.from_date:
        raise InvalidField("to_date", "must not be before from_date")
    appointment, claim, _ = _load(uow, appointment_id, principal, claimant_ok=True)
    window = _pick_window(
        uow,
        appointment,
        claim,
        principal=principal,
        offices=offices,
        settings=settings,
        now=now,
    )
    ensure_slots_until(
        uow.session,
        office_codes=sorted(window.reach),
        until=window.last_day,
        settings=settings,
        now=now,
    )
    # The window ends at the deadline (a few working days), so reading it whole is bounded.
    found = [
        c
        for office in sorted(window.reach)
        for c in _window_slots(uow, window, office, limit=None)[0]
        if where.accepts(c)
    ]
    ranked = rank(found, now=now, deadline=window.last_day)
    uow.audit(
        actor=principal.as_actor(),
        action="appointment.alternatives",
        resource_type="appointment",
        resource_id=appointment.id,
    )
    uow.commit()
    return ranked[offset : offset + limit], len(ranked)


def reschedule(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    slot_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Appointment:
    """Move the appointment to a slot `alternatives` offers (409 `slot-unavailable` with the
    reason otherwise); after a claimant's cancellation this books a new appointment."""
    appointment, claim, staff = _load(uow, appointment_id, principal, claimant_ok=True)
    window = _pick_window(
        uow,
        appointment,
        claim,
        principal=principal,
        offices=offices,
        settings=settings,
        now=now,
    )
    slot = uow.session.get(Slot, slot_id)
    if slot is None:
        raise InvalidField("slot_id", "no such slot")
    taken = bool(slots_repository.active_slot_ids(uow.session, [slot.id]))
    view = rules.SlotView(
        slot.id, slot.office_code, slot.starts_at, open=slot.state == SLOT_OPEN, taken=taken
    )
    refused = rules.refusal(view, window)
    if refused is not None:
        raise SlotUnavailable(refused, slot_id=slot.id, current_status=appointment.status)
    if appointment.status == CANCELLED_BY_CLAIMANT:
        return _pick_after_cancel(
            uow, appointment, claim, slot, principal=principal, staff=staff, now=now
        )
    old_status, previous_start, old_slot = (
        appointment.status,
        appointment.starts_at,
        appointment.slot_id,
    )
    try:
        with uow.session.begin_nested():
            # Lock the picked slot as automatic booking does, so that concurrent bookings
            # skip it instead of queueing behind this move (ADR 0026).
            if not slots_repository.lock_free_slot(uow.session, slot.id, wait=True):
                raise _NotLocked
            appointment.slot_id = slot.id
            appointment.coach_id = slot.coach_id
            appointment.office_code = slot.office_code
            appointment.starts_at = slot.starts_at
            appointment.ends_at = slot.ends_at
            appointment.status = RESCHEDULED
            appointment.reminder_sent_at = None  # the new time gets its own reminder
            uow.session.flush()
    except (IntegrityError, _NotLocked):
        raise SlotUnavailable(
            rules.JUST_TAKEN, slot_id=slot.id, current_status=old_status
        ) from None
    # The freed slot may serve a claim waiting on an unplanned list.
    old_office = uow.session.get(Slot, old_slot)
    if old_office is not None:
        book_unplanned(
            uow=uow,
            office_codes=[old_office.office_code],
            offices=offices,
            settings=settings,
            now=now,
            actor=principal.as_actor(),
        )
    by = "service" if staff else "claimant"
    uow.publish(
        IntakeRescheduled(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            coach_id=appointment.coach_id,
            office_code=appointment.office_code,
            previous_starts_at=previous_start,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            by=by,
        )
    )
    _audit(
        uow,
        principal,
        appointment,
        "reschedule",
        old_status,
        extra={
            "by": by,
            "old_slot_id": str(old_slot),
            "slot_id": str(slot.id),
            "starts_at": slot.starts_at.isoformat(),
        },
    )
    uow.commit()
    return appointment


def _pick_after_cancel(
    uow: UnitOfWork,
    cancelled: Appointment,
    claim: Claim,
    slot: Slot,
    *,
    principal: Principal,
    staff: bool,
    now: dt.datetime,
) -> Appointment:
    """Book the slot picked after a claimant's cancellation as a new appointment (the
    cancelled one stays in the history) and take the claim off the unplanned list."""
    appointment = Appointment(
        id=uuid.uuid4(),
        claim_id=claim.id,
        slot_id=slot.id,
        coach_id=slot.coach_id,
        office_code=slot.office_code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=BOOKED,
        deadline=cancelled.deadline,
        booked_at=now,
        summoned=cancelled.summoned,
    )
    try:
        with uow.session.begin_nested():
            if not slots_repository.lock_free_slot(uow.session, slot.id, wait=True):
                raise _NotLocked
            repository.add(uow.session, appointment)
            uow.session.flush()
    except (IntegrityError, _NotLocked):
        raise SlotUnavailable(
            rules.JUST_TAKEN, slot_id=slot.id, current_status=cancelled.status
        ) from None
    waiting = repository.unplanned(uow.session, claim.id)
    if waiting is not None:
        repository.remove_unplanned(uow.session, waiting)
    _scheduled(uow, appointment, principal.as_actor())
    uow.audit(
        actor=principal.as_actor(),
        action="appointment.pick",
        resource_type="appointment",
        resource_id=appointment.id,
        new={"after_cancelled": str(cancelled.id), "by": "service" if staff else "claimant"},
    )
    uow.commit()
    return appointment


def cancel_by_claimant(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    reason_code: str,
    reason_text: str | None,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Appointment:
    """The claimant cancels their intake; the slot is freed and the claim goes on the list."""
    appointment, claim, _ = _load(uow, appointment_id, principal, claimant_ok=True)
    if not _is_owner(principal, claim):
        raise NotFound("no such appointment")
    _require(rules.CANCEL, appointment, staff=False, now=now, settings=settings)
    old_status = appointment.status
    appointment.status = CANCELLED_BY_CLAIMANT
    appointment.cancel_reason, appointment.cancelled_at = reason_code, now
    uow.session.flush()
    # The freed slot goes to a claim already waiting, before this claim joins the list.
    book_unplanned(
        uow=uow,
        office_codes=[appointment.office_code],
        offices=offices,
        settings=settings,
        now=now,
        actor=principal.as_actor(),
    )
    if repository.unplanned(uow.session, claim.id) is None:
        repository.add_unplanned(
            uow.session,
            UnplannedClaim(
                claim_id=claim.id,
                office_code=claim.office_code,
                deadline=appointment.deadline,
                since=now,
            ),
        )
    uow.publish(
        IntakeCancelled(
            claim_id=claim.id,
            appointment_id=appointment.id,
            by="claimant",
            reason_code=reason_code,
            cancelled_at=now,
        )
    )
    _audit(
        uow, principal, appointment, "cancel", old_status, reason=_reason(reason_code, reason_text)
    )
    uow.commit()
    return appointment


# The service cancels because the coach cannot hold intakes that day (ADR 0017).
COACH_UNAVAILABLE = "coach_unavailable"
UNAVAILABLE_KIND = "unavailable"


def _coach_away_that_day(
    uow: UnitOfWork,
    appointment: Appointment,
    *,
    principal: Principal,
    settings: IntakeSettings,
    now: dt.datetime,
) -> None:
    """Record the coach as unavailable on the appointment's day: an agenda exception (kind
    `unavailable`, visible and removable in the agenda API) withdraws the coach's free slots
    that day, so no booking, alternative or reschedule offers them; booked ones stay."""
    session = uow.session
    day = local_day(appointment.starts_at)
    covered = any(
        e.start_date <= day <= e.end_date
        for e in slots_repository.exceptions_of(session, appointment.coach_id)
    )
    if not covered:
        actor = principal.as_actor()
        exc = AgendaException(
            id=uuid.uuid4(),
            coach_id=appointment.coach_id,
            start_date=day,
            end_date=day,
            kind=UNAVAILABLE_KIND,
            reason=f"cancel-by-service of appointment {appointment.id}",
            created_by=actor.subject,
            created_at=now,
        )
        session.add(exc)
        session.flush()
        uow.audit(
            actor=actor,
            action="agenda.add_exception",
            resource_type="agenda",
            resource_id=appointment.coach_id,
            new={
                "id": str(exc.id),
                "start_date": day.isoformat(),
                "end_date": day.isoformat(),
                "kind": UNAVAILABLE_KIND,
            },
            reason=COACH_UNAVAILABLE,
        )
    generate_slots(
        session, coach_id=appointment.coach_id, first=day, last=day, settings=settings, now=now
    )


def cancel_by_service(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    reason_code: str,
    reason_text: str | None,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> tuple[Appointment, Appointment | None]:
    """Staff cancel an intake and rebook the claim at once (another slot), else list it."""
    appointment, claim, _ = _load(uow, appointment_id, principal, claimant_ok=False)
    _require(rules.CANCEL_BY_SERVICE, appointment, staff=True, now=now, settings=settings)
    old_status = appointment.status
    appointment.status = CANCELLED_BY_SERVICE
    appointment.cancel_reason, appointment.cancelled_at = reason_code, now
    uow.session.flush()
    uow.publish(
        IntakeCancelled(
            claim_id=claim.id,
            appointment_id=appointment.id,
            by="service",
            reason_code=reason_code,
            cancelled_at=now,
        )
    )
    _audit(
        uow,
        principal,
        appointment,
        "cancel_by_service",
        old_status,
        reason=_reason(reason_code, reason_text),
    )
    away: set[uuid.UUID] = set()
    if reason_code == COACH_UNAVAILABLE:
        _coach_away_that_day(uow, appointment, principal=principal, settings=settings, now=now)
        away.add(appointment.coach_id)

    def rebook(exclude_coaches: Collection[uuid.UUID]) -> tuple[Appointment | None, list[str]]:
        return try_book(
            uow,
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=appointment.deadline,
            offices=offices,
            settings=settings,
            now=now,
            exclude_slots={appointment.slot_id},
            prefs=Preferences.of(uow.session, claim, settings),
            summoned=appointment.summoned,
            exclude_coaches=exclude_coaches,
        )

    # Another coach first; the same coach (on another day) only when no other is free.
    rebooked, searched = rebook(away)
    if rebooked is None and away:
        rebooked, searched = rebook(())
    if rebooked is not None:
        _scheduled(uow, rebooked, principal.as_actor())
    elif repository.unplanned(uow.session, claim.id) is None:
        _shortfall(
            uow,
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=appointment.deadline,
            searched=searched,
            now=now,
        )
    uow.commit()
    return appointment, rebooked


@dataclass(frozen=True)
class NoShowOutcome:
    """A recorded no-show and what followed."""

    appointment: Appointment
    summons: Appointment | None
    no_show_count: int
    flagged_for_coach: bool


def no_show(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
) -> NoShowOutcome:
    """Staff record that the claimant did not attend (only after the start), item 8.

    The first no-show books a summons within `no_show_rebook_working_days` working days
    (the invitation says missing it can affect the benefit; nothing free -> a shortfall
    with that deadline and the unplanned list). At `no_shows_before_attention` no-shows
    the claim is flagged for the coach instead: what follows is the coach's decision.
    """
    appointment, claim, _ = _load(uow, appointment_id, principal, claimant_ok=False)
    _require(rules.NO_SHOW, appointment, staff=True, now=now, settings=settings)
    old_status = appointment.status
    appointment.status = NO_SHOW
    claim.no_show_count = (claim.no_show_count or 0) + 1
    flagged = claim.no_show_count >= settings.no_shows_before_attention
    if flagged and claim.attention_reason is None:
        claim.attention_reason = "repeated_no_show"
        claim.attention_since = now
    uow.session.flush()
    uow.publish(
        IntakeNoShow(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            coach_id=appointment.coach_id,
            scheduled_at=appointment.starts_at,
            no_show_count=claim.no_show_count,
            flagged_for_coach=flagged,
        )
    )
    _audit(
        uow,
        principal,
        appointment,
        "no_show",
        old_status,
        extra={"no_show_count": claim.no_show_count, "flagged_for_coach": flagged},
    )
    summons: Appointment | None = None
    if not flagged and claim.status == "open":
        deadline = WorkingDayCalendar(uow.session).add_working_days(
            local_day(now), settings.no_show_rebook_working_days, claim.office_code
        )
        summons, searched = try_book(
            uow,
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=deadline,
            offices=offices,
            settings=settings,
            now=now,
            exclude_slots={appointment.slot_id},
            prefs=Preferences.of(uow.session, claim, settings),
            summoned=True,
        )
        if summons is not None:
            _scheduled(uow, summons, principal.as_actor())
        else:
            _shortfall(
                uow,
                claim_id=claim.id,
                office_code=claim.office_code,
                deadline=deadline,
                searched=searched,
                now=now,
            )
    uow.commit()
    return NoShowOutcome(appointment, summons, claim.no_show_count, flagged)


def complete(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    explained_topics: Collection[str],
    obligation_regime: str,
    claimant_view: str | None,
    questionnaire_answers: dict[str, str | int | float | bool] | None,
    agreed_next_step: str,
    principal: Principal,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Appointment:
    """Staff record the held intake (only after the start, once); `claimant_view` stays here."""
    refuse_unfit_answers(questionnaire_answers)
    appointment, _, _ = _load(uow, appointment_id, principal, claimant_ok=False)
    _require(rules.COMPLETE, appointment, staff=True, now=now, settings=settings)
    old_status = appointment.status
    appointment.status = COMPLETED
    topics = sorted(explained_topics)
    within = local_day(appointment.starts_at) <= appointment.deadline
    repository.add_completion(
        uow.session,
        AppointmentCompletion(
            appointment_id=appointment.id,
            held_at=appointment.starts_at,
            within_deadline=within,
            explained_topics=topics,
            obligation_regime=obligation_regime,
            claimant_view=claimant_view,
            questionnaire_answers=questionnaire_answers,
            agreed_next_step=agreed_next_step,
            completed_by=principal.subject,
            completed_at=now,
        ),
    )
    uow.publish(
        IntakeCompleted(
            claim_id=appointment.claim_id,
            appointment_id=appointment.id,
            coach_id=appointment.coach_id,
            held_at=appointment.starts_at,
            explained_topics=topics,
            agreed_next_step=agreed_next_step,
            questionnaire_answers=questionnaire_answers,
            within_deadline=within,
            obligation_regime=obligation_regime,  # type: ignore[arg-type]
        )
    )
    _audit(
        uow,
        principal,
        appointment,
        "complete",
        old_status,
        extra={"within_deadline": within, "explained_topics": topics},
    )
    uow.commit()
    return appointment
