"""Case assignment in the service: load the roster and loads, call the rules, store, publish.

The rules themselves are pure (`coaching.assignment.rules`); this module decides *when* a
case is assigned and records the outcome on the case (docs/coaching-rules.md, "In the
service"):

- A case is decided once it is registered (its office is known) and has a segment.
- `digital`: no coach; the case gets a check-in date for re-triage (`case.assigned` with
  rule `digital`, no coach).
- `personal`: the case gets a coach once the intake was held, or the score is final (not
  the provisional rule of the registration), or the claimant missed the intake repeatedly
  (`coaching.noshows`: no intake will come). Before that the claimant has not met anyone
  and the intake's coach is not known yet, so assigning would lose continuity.
- A case with a coach keeps the coach when the segment flips (to digital and back): only
  a transfer moves a case. A digital case that becomes personal is assigned.
- No fit: the case goes to the team lead's unassigned queue of its office and
  `case.unassigned` is published (once; a later event retries, and publishes
  `case.assigned` when a coach then qualifies).
- Idempotent: the inbox applies each event once, and an assigned case is never decided
  again, so a redelivered or repeated event does not reassign.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, func, or_, select

from coaching.assignment.rules import (
    AssignmentPolicy,
    CaseNeeds,
    CoachLoad,
    Decision,
    NoFitReason,
    Outcome,
    assign,
)
from coaching.cases.models import Case
from coaching.coaches.models import Coach
from coaching.obligations.models import ObligationExemption
from shared.clock import local_today
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import CaseAssigned, CaseUnassigned
from shared.events.common import Segment

ASSIGNED = "assigned"
UNASSIGNED = "unassigned"
DIGITAL = "digital"

_OPEN = "open"


def lock_roster(uow: UnitOfWork, office_code: str) -> None:
    """Lock the office's roster rows (in id order) without loading the loads.

    The one lock order of the service: an office's roster rows first, then a case row. A
    write that may change who carries a case (transfer, reopen, close) takes the roster
    lock before the case's, so it never waits for a case while holding the roster the
    other way round.
    """
    uow.session.execute(
        select(Coach.id)
        .where(Coach.office_code == office_code)
        .order_by(Coach.id)
        .with_for_update()
    ).all()


def roster_with_loads(
    uow: UnitOfWork, office_code: str, *, today: dt.date | None = None, lock: bool = True
) -> list[CoachLoad]:
    """The office's coaches with their open cases, own and covered (locks the office's
    roster rows unless `lock` is false, for read-only proposals).

    Locking the office's coaches serialises concurrent assignments in one office on
    PostgreSQL, so two consumers never both take a coach's last free place. Cases a
    coach covers for an absent colleague (until `covering_until`, inclusive) count towards
    their load.
    """
    session = uow.session
    query = select(Coach).where(Coach.office_code == office_code).order_by(Coach.id)
    coaches = session.scalars(query.with_for_update() if lock else query).all()
    if not coaches:
        return []
    ids = [c.id for c in coaches]
    loads = dict(
        session.execute(
            select(Case.coach_id, func.count())
            .where(Case.coach_id.in_(ids), Case.status == _OPEN)
            .group_by(Case.coach_id)
        ).all()
    )
    day = today or local_today()
    covering = dict(
        session.execute(
            select(Case.covering_coach_id, func.count())
            .where(
                Case.covering_coach_id.in_(ids),
                Case.status == _OPEN,
                or_(Case.covering_until.is_(None), Case.covering_until >= day),
            )
            .group_by(Case.covering_coach_id)
        ).all()
    )
    return [
        CoachLoad(
            coach_id=c.id,
            office=c.office_code,
            specialisms=frozenset(c.specialisms or ()),
            contract_hours=c.contract_hours,
            active=c.active,
            load=int(loads.get(c.id, 0)),
            covering=int(covering.get(c.id, 0)),
        )
        for c in coaches
    ]


def starters_claims(
    uow: UnitOfWork, claim_ids: list[uuid.UUID], *, today: dt.date
) -> set[uuid.UUID]:
    """Claims in the starters scheme today (a research or start period recorded from
    starters events whose effective end, `stopped_on` or `ends_on`, is today or later):
    they ask for a coach with the starters specialism. An ended application does not."""
    if not claim_ids:
        return set()
    return set(
        uow.session.scalars(
            select(ObligationExemption.claim_id)
            .where(
                ObligationExemption.claim_id.in_(claim_ids),
                ObligationExemption.ends_on >= today,
                or_(
                    ObligationExemption.stopped_on.is_(None),
                    and_(
                        ObligationExemption.stopped_on >= today,
                        # stopped before it began: it exempted nothing
                        ObligationExemption.stopped_on >= ObligationExemption.starts_on,
                    ),
                ),
            )
            .distinct()
        )
    )


def needs_of(case: Case, segment: Segment, *, starters: bool = False) -> CaseNeeds:
    """What the rules need to know of a case."""
    age = case.age_at_first_ww_day
    assert case.office_code is not None
    return CaseNeeds(
        claim_id=case.claim_id,
        office=case.office_code,
        segment=segment,
        over_55=age is not None and age >= 55,
        under_27=age is not None and age < 27,
        sector=case.sector,
        starters=starters,
        intake_coach_id=case.intake_coach_id,
        first_ww_day=case.first_ww_day,
    )


def _ready(case: Case) -> bool:
    if case.status != _OPEN or not case.registered or case.office_code is None:
        return False
    if case.segment is None or case.coach_id is not None:
        return False  # a coach, once assigned, stays: only a transfer moves a case
    if case.segment == Segment.DIGITAL.value:
        return case.assignment_status != DIGITAL
    # A repeated no-show: intake books no further intake, so waiting for one would wait
    # forever; the case is decided now (a coach, or the team lead's queue).
    return case.intake_held or case.score_provisional is False or case.no_show_flag


def _reason(decision: Decision) -> str | None:
    if decision.outcome is Outcome.UNASSIGNED:
        return None if decision.reason is None else decision.reason.value
    parts = list(decision.matched)
    if decision.continuity is not None:
        parts.insert(0, decision.continuity.value)
    return ",".join(parts)[:80] or None


def maybe_assign(
    *, uow: UnitOfWork, case: Case, policy: AssignmentPolicy, today: dt.date
) -> Decision | None:
    """Decide the case when it is due (see the module); None when nothing was to decide."""
    if not _ready(case) or case.segment is None:
        return None
    segment = Segment(case.segment)
    if segment is Segment.DIGITAL:  # no coach: neither specialisms nor the roster matter
        needs, roster = needs_of(case, segment), []
    else:
        starters = bool(starters_claims(uow, [case.claim_id], today=today))
        needs = needs_of(case, segment, starters=starters)
        roster = roster_with_loads(uow, needs.office, today=today)
    decision = assign(needs, roster, policy, today=today)
    now = utcnow()
    previous = case.assignment_status
    case.updated_at = now
    if decision.outcome is Outcome.DIGITAL:
        case.assignment_status = DIGITAL
        case.assignment_reason = decision.rule.value
        case.checkin_on = decision.checkin_on
        uow.session.flush()
        uow.publish(
            CaseAssigned(
                claim_id=case.claim_id,
                case_id=case.id,
                coach_id=None,
                segment=segment,
                assigned_at=now,
                rule=decision.rule.value,
                checkin_on=decision.checkin_on,
            )
        )
    elif decision.outcome is Outcome.ASSIGNED:
        assert decision.coach_id is not None
        case.coach_id = decision.coach_id
        case.assignment_status = ASSIGNED
        case.assignment_reason = decision.rule.value
        case.checkin_on = None
        case.assigned_at = now
        uow.session.flush()
        uow.publish(
            CaseAssigned(
                claim_id=case.claim_id,
                case_id=case.id,
                coach_id=decision.coach_id,
                segment=segment,
                assigned_at=now,
                rule=decision.rule.value,
                reason=_reason(decision),
            )
        )
    else:
        case.assignment_status = UNASSIGNED
        case.assignment_reason = _reason(decision)
        case.checkin_on = None
        uow.session.flush()
        if previous != UNASSIGNED:  # one alert per stay in the queue
            uow.publish(
                CaseUnassigned(
                    claim_id=case.claim_id,
                    case_id=case.id,
                    office_code=needs.office,
                    segment=segment,
                    reason=_reason(decision) or "no_fit",
                    continuity=None if decision.continuity is None else decision.continuity.value,
                    unassigned_at=now,
                )
            )
    return decision


def unassigned_cases(
    uow: UnitOfWork, *, office_code: str, limit: int, offset: int
) -> tuple[list[Case], int]:
    """The team lead's queue of an office: open cases waiting for a coach, oldest first."""
    conditions = (
        Case.office_code == office_code,
        Case.assignment_status == UNASSIGNED,
        Case.status == _OPEN,
        Case.coach_id.is_(None),
    )
    total = uow.session.execute(
        select(func.count()).select_from(Case).where(*conditions)
    ).scalar_one()
    rows = uow.session.scalars(
        select(Case)
        .where(*conditions)
        .order_by(Case.opened_at, Case.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def retry_unassigned(
    uow: UnitOfWork, *, office_code: str, policy: AssignmentPolicy, today: dt.date, limit: int = 500
) -> int:
    """Try the office's queue again (oldest first) after capacity appeared: a coach added
    or given more hours, a case closed or moved away. Returns how many got a coach; the
    caller commits. Bounded by `limit` per call; the rest waits for the next change."""
    waiting = uow.session.scalars(
        select(Case)
        .where(
            Case.office_code == office_code,
            Case.assignment_status == UNASSIGNED,
            Case.status == _OPEN,
            Case.coach_id.is_(None),
        )
        .order_by(Case.opened_at, Case.id)
        .limit(limit)
    ).all()
    assigned = 0
    for case in waiting:
        decision = maybe_assign(uow=uow, case=case, policy=policy, today=today)
        if decision is not None and decision.outcome is Outcome.ASSIGNED:
            assigned += 1
        elif decision is not None and decision.reason in (
            NoFitReason.ALL_AT_MAXIMUM,
            NoFitReason.NO_ACTIVE_COACH,
        ):
            # The rules fall back from the specialisms to any coach with room, so a case
            # goes unassigned only when no active coach of the office has room at all,
            # whatever its needs: none of the rest fits either.
            break
    return assigned
