"""Booking: the earliest feasible slot for a claim, and waiting claims into freed capacity.

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

from intake.agendas.models import SLOT_OPEN
from intake.agendas.rules import local_day, local_to_utc
from intake.appointments import repository, rules
from intake.appointments.models import (
    BOOKED,
    CANCELLED_BY_CLAIMANT,
    Appointment,
    CapacityShortfall,
    UnplannedClaim,
)
from intake.appointments.rules import Candidate, UnavailableTime, rank
from intake.calendar.service import WorkingDayCalendar
from intake.claims.models import Claim
from intake.settings import IntakeSettings
from intake.slots import repository as slots_repository
from intake.slots.service import ensure_slots_until
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    IntakeCapacityShortfall,
    IntakeScheduled,
)
from shared.reference import OfficeDirectory
from shared.web.problems import NotFound


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


def window_slots(
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
            eligible, read = window_slots(
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
                    raise NotLocked
                repository.add(session, appointment)
                session.flush()
        except NotLocked:
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


class NotLocked(Exception):
    """The slot was taken, withdrawn or locked by a concurrent booking (savepoint unwinds)."""


def scheduled(uow: UnitOfWork, appointment: Appointment, actor: Actor) -> None:
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


def record_shortfall(
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


def rebook_or_shortfall(
    uow: UnitOfWork,
    claim: Claim,
    *,
    deadline: dt.date,
    actor: Actor,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    now: dt.datetime,
    search_until: dt.date | None = None,
    exclude_slots: Collection[uuid.UUID] = (),
    summoned: bool = False,
) -> Appointment | None:
    """Book the claim's earliest feasible slot from its office (`try_book`) and announce it;
    nothing fits: a capacity shortfall and the unplanned list, never silent. No commit."""
    appointment, searched = try_book(
        uow,
        claim_id=claim.id,
        office_code=claim.office_code,
        deadline=deadline,
        search_until=search_until,
        offices=offices,
        settings=settings,
        now=now,
        exclude_slots=exclude_slots,
        prefs=Preferences.of(uow.session, claim, settings),
        summoned=summoned,
    )
    if appointment is not None:
        scheduled(uow, appointment, actor)
    else:
        record_shortfall(
            uow,
            claim_id=claim.id,
            office_code=claim.office_code,
            deadline=deadline,
            searched=searched,
            now=now,
        )
    return appointment


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
        claim = uow.session.get(Claim, row.claim_id)
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
            scheduled(uow, appointment, actor)
            booked += 1
    uow.session.flush()
    return booked
