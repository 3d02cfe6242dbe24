"""Transfers: move open cases between coaches of an office, one or many, all audited.

- Who: a team lead within their own office, an admin anywhere (a case of another office
  is 404 for a team lead, as for every read).
- A transfer keeps the office: the receiving coach must be an active coach of the case's
  office (another office's coach is a 422 on `to_coach_id`; moving a claimant to another
  office is a registration matter for intake).
- Never above the maximum caseload: a receiving coach already carrying
  floor(contract_hours x max_cases_per_contract_hour) open cases (own plus covered) makes
  the transfer a 409, as assignment would refuse it.
- A batch is all or nothing (one transaction; the office's roster rows are locked, as in
  assignment), and idempotent per move: a case already with the target coach is
  `unchanged`, so a retried batch transfers nothing twice.
- Every transfer writes an audit row (old and new coach, reason) and publishes
  `case.transferred`; a covering arrangement on the case ends with the transfer.
- Proposals (`propose`) change nothing: the assignment rules
  (`rules.propose_redistribution`: continuity, specialism, lowest relative load) spread a
  coach's cases over the office's other active coaches.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from coaching.assignment import service as assignment
from coaching.assignment.rules import AssignmentPolicy, CoachLoad, propose_redistribution
from coaching.cases import service as cases
from coaching.cases.models import Case
from coaching.coaches.models import Coach
from coaching.transfers.schemas import (
    BatchTransferResult,
    CoachLoadAfter,
    CoverResult,
    Move,
    ProposedMove,
    RedistributionBody,
    RedistributionProposal,
    TransferReason,
    TransferResult,
    Unplaceable,
)
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import CaseTransferred
from shared.events.common import Segment
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, Forbidden, InvalidField, NotFound


class _Roster:
    """An office's coaches with loads, locked for the transaction, updated as cases move."""

    def __init__(self, uow: UnitOfWork, policy: AssignmentPolicy, today: dt.date) -> None:
        self._uow = uow
        self._policy = policy
        self._today = today
        self._by_office: dict[str, dict[uuid.UUID, CoachLoad]] = {}
        self.load: dict[uuid.UUID, int] = {}

    def office(self, office_code: str) -> dict[uuid.UUID, CoachLoad]:
        if office_code not in self._by_office:
            coaches = assignment.roster_with_loads(self._uow, office_code, today=self._today)
            self._by_office[office_code] = {c.coach_id: c for c in coaches}
            for c in coaches:
                self.load[c.coach_id] = c.effective_load
        return self._by_office[office_code]

    def check_receiver(self, case: Case, to_coach_id: uuid.UUID, field: str) -> CoachLoad:
        assert case.office_code is not None
        coach = self.office(case.office_code).get(to_coach_id)
        if coach is None:
            other = self._uow.session.get(Coach, to_coach_id)
            if other is None:
                raise InvalidField(field, "no such coach")
            raise InvalidField(
                field,
                f"the coach works at office {other.office_code}, the case at "
                f"{case.office_code}; a transfer stays within the office",
            )
        if not coach.active:
            raise InvalidField(field, "the coach is deactivated")
        maximum = self._policy.max_caseload(coach.contract_hours)
        if self.load[to_coach_id] >= maximum:
            raise Conflict(
                f"the coach carries {self.load[to_coach_id]} open cases, the maximum for "
                f"{coach.contract_hours:g} contract hours is {maximum}",
                coach_id=str(to_coach_id),
                open_cases=self.load[to_coach_id],
                max_caseload=maximum,
            )
        return coach


def _check_office(principal: Principal, office_code: str | None) -> None:
    if principal.has_role(Role.ADMIN):
        return
    if not principal.has_role(Role.TEAM_LEAD) or principal.office != office_code:
        raise Forbidden("a team lead moves only the cases of their own office")


def _find_case(uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal) -> Case:
    case = cases.case_for(
        uow=uow, claim_id=claim_id, principal=principal, action="case.read", audit=False
    )
    _check_office(principal, case.office_code)
    if case.office_code is None:
        raise Conflict("the case has no office yet (the claim is not registered by intake)")
    return case


def _lock(uow: UnitOfWork, roster: _Roster, case: Case) -> None:
    """Lock the office's roster rows, then the case row (the service's lock order), and
    check the case as committed: a concurrent transfer or closure is seen, not acted on
    from a stale row."""
    assert case.office_code is not None
    roster.office(case.office_code)
    uow.session.refresh(case, with_for_update=True)
    cases.require_open(case)


def _load_case(uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal, roster: _Roster) -> Case:
    case = _find_case(uow, claim_id, principal)
    _lock(uow, roster, case)
    return case


def _move(
    *,
    uow: UnitOfWork,
    roster: _Roster,
    case: Case,
    to_coach_id: uuid.UUID,
    reason_category: TransferReason,
    reason_text: str,
    principal: Principal,
    field: str,
) -> TransferResult:
    from_coach_id = case.coach_id
    if from_coach_id == to_coach_id:
        return TransferResult(
            claim_id=case.claim_id,
            case_id=case.id,
            from_coach_id=from_coach_id,
            to_coach_id=to_coach_id,
            outcome="unchanged",
            transferred_at=None,
        )
    roster.check_receiver(case, to_coach_id, field)
    now = utcnow()
    old = {
        "coach_id": None if from_coach_id is None else str(from_coach_id),
        "assignment_status": case.assignment_status,
        "covering_coach_id": None
        if case.covering_coach_id is None
        else str(case.covering_coach_id),
    }
    case.coach_id = to_coach_id
    case.assignment_status = assignment.ASSIGNED
    case.assignment_reason = f"transfer:{reason_category.value}"
    case.assigned_at = now
    case.checkin_on = None
    case.covering_coach_id = None
    case.covering_until = None
    case.updated_at = now
    roster.load[to_coach_id] += 1
    if from_coach_id is not None and from_coach_id in roster.load:
        roster.load[from_coach_id] -= 1
    uow.audit(
        actor=principal.as_actor(),
        action="case.transfer",
        resource_type="case",
        resource_id=case.id,
        reason=f"{reason_category.value}: {reason_text}",
        old=old,
        new={"coach_id": str(to_coach_id), "assignment_status": assignment.ASSIGNED},
    )
    uow.publish(
        CaseTransferred(
            claim_id=case.claim_id,
            case_id=case.id,
            from_coach_id=from_coach_id,
            to_coach_id=to_coach_id,
            reason_category=reason_category.value,
            transferred_at=now,
        )
    )
    return TransferResult(
        claim_id=case.claim_id,
        case_id=case.id,
        from_coach_id=from_coach_id,
        to_coach_id=to_coach_id,
        outcome="transferred",
        transferred_at=now,
    )


def transfer(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    to_coach_id: uuid.UUID,
    reason_category: TransferReason,
    reason_text: str,
    principal: Principal,
    policy: AssignmentPolicy,
    today: dt.date,
) -> TransferResult:
    """Move one case (see the module for the rules)."""
    roster = _Roster(uow, policy, today)
    case = _load_case(uow, claim_id, principal, roster)
    result = _move(
        uow=uow,
        roster=roster,
        case=case,
        to_coach_id=to_coach_id,
        reason_category=reason_category,
        reason_text=reason_text,
        principal=principal,
        field="to_coach_id",
    )
    uow.commit()
    return result


def transfer_many(
    *,
    uow: UnitOfWork,
    moves: Sequence[Move],
    reason_category: TransferReason,
    reason_text: str,
    principal: Principal,
    policy: AssignmentPolicy,
    today: dt.date,
) -> BatchTransferResult:
    """Move many cases in one transaction; any refused move refuses the batch (the problem
    names the move as `moves[i].to_coach_id` or `moves[i].claim_id`)."""
    seen: set[uuid.UUID] = set()
    for i, move in enumerate(moves):
        if move.claim_id in seen:
            raise InvalidField(f"moves[{i}].claim_id", "the case appears twice in the batch")
        seen.add(move.claim_id)
    roster = _Roster(uow, policy, today)
    found: list[Case] = []
    for i, move in enumerate(moves):
        try:
            found.append(_find_case(uow, move.claim_id, principal))
        except NotFound:
            raise InvalidField(f"moves[{i}].claim_id", "no such case") from None
        except Conflict as exc:
            raise Conflict(f"moves[{i}]: {exc.detail}", move=i, **exc.extra) from None
    # Every office's roster first (in a fixed order), then the cases one by one.
    for office_code in sorted({c.office_code for c in found if c.office_code is not None}):
        roster.office(office_code)
    results: list[TransferResult] = []
    for i, (move, case) in enumerate(zip(moves, found, strict=True)):
        try:
            _lock(uow, roster, case)
            results.append(
                _move(
                    uow=uow,
                    roster=roster,
                    case=case,
                    to_coach_id=move.to_coach_id,
                    reason_category=reason_category,
                    reason_text=reason_text,
                    principal=principal,
                    field=f"moves[{i}].to_coach_id",
                )
            )
        except Conflict as exc:
            raise Conflict(f"moves[{i}]: {exc.detail}", move=i, **exc.extra) from None
    uow.commit()
    moved = sum(r.outcome == "transferred" for r in results)
    return BatchTransferResult(transferred=moved, unchanged=len(results) - moved, results=results)


def propose(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    body: RedistributionBody,
    principal: Principal,
    policy: AssignmentPolicy,
    today: dt.date,
) -> RedistributionProposal:
    """A proposal for moving a coach's open cases to the office's other coaches."""
    coach = uow.session.get(Coach, coach_id)
    if coach is None:
        raise NotFound("no such coach")
    _check_office(principal, coach.office_code)
    query = select(Case).where(Case.coach_id == coach_id, Case.status == "open")
    if body.claim_ids is not None:
        query = query.where(Case.claim_id.in_(body.claim_ids))
    rows = list(uow.session.scalars(query.order_by(Case.opened_at, Case.id)))
    if body.claim_ids is not None:
        found = {c.claim_id for c in rows}
        for i, claim_id in enumerate(body.claim_ids):
            if claim_id not in found:
                raise InvalidField(f"claim_ids[{i}]", "not an open case of this coach")
    excluded = set(body.exclude_coach_ids) | {coach_id}
    roster = [
        c
        for c in assignment.roster_with_loads(uow, coach.office_code, today=today, lock=False)
        if c.coach_id not in excluded
    ]
    starters = assignment.starters_claims(uow, [c.claim_id for c in rows], today=today)
    needs = [
        assignment.needs_of(
            c, Segment(c.segment or Segment.PERSONAL.value), starters=c.claim_id in starters
        )
        for c in rows
    ]
    # A case's intake coach may be the leaving coach: continuity then falls through to the
    # other rules, as for an inactive intake coach.
    batch = propose_redistribution(needs, roster, policy, leaving_coach_id=coach_id)
    moves: list[ProposedMove] = []
    unplaceable: list[Unplaceable] = []
    for decision in batch.decisions:
        if decision.coach_id is not None:
            moves.append(
                ProposedMove(
                    claim_id=decision.claim_id,
                    to_coach_id=decision.coach_id,
                    rule=decision.rule.value,
                    matched=list(decision.matched),
                )
            )
        else:
            reason = decision.reason.value if decision.reason is not None else "no_fit"
            unplaceable.append(Unplaceable(claim_id=decision.claim_id, reason=reason))
    loads = [
        CoachLoadAfter(
            coach_id=c.coach_id,
            before=c.effective_load,
            after=batch.loads.get(c.coach_id, c.load) + c.covering,
            max_caseload=policy.max_caseload(c.contract_hours),
        )
        for c in roster
        if c.active
    ]
    uow.audit(
        actor=principal.as_actor(),
        action="case.redistribution_proposed",
        resource_type="coach",
        resource_id=coach_id,
        new={"cases": len(rows), "moves": len(moves), "unplaceable": len(unplaceable)},
    )
    uow.commit()
    return RedistributionProposal(
        from_coach_id=coach_id,
        office_code=coach.office_code,
        moves=moves,
        unplaceable=unplaceable,
        loads=loads,
    )


__all__ = ["propose", "transfer", "transfer_many"]


# Longer absences call for a transfer, not a cover.
MAX_COVER_DAYS = 183


def cover(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    covering_coach_id: uuid.UUID,
    until: dt.date,
    reason: str,
    principal: Principal,
    policy: AssignmentPolicy,
    today: dt.date,
) -> CoverResult:
    """A colleague of the same office covers every open case of an absent coach until
    `until` (inclusive): they see and work the cases, which count towards their load, so
    never above their maximum (409; split the cases with a redistribution instead).
    The cases stay the absent coach's; a transfer or closure ends the cover of a case."""
    absent = uow.session.get(Coach, coach_id)
    if absent is None:
        raise NotFound("no such coach")
    _check_office(principal, absent.office_code)
    if covering_coach_id == coach_id:
        raise InvalidField("covering_coach_id", "a coach cannot cover for themselves")
    if until < today:
        raise InvalidField("until", "the cover must not end in the past")
    if until > today + dt.timedelta(days=MAX_COVER_DAYS):
        raise InvalidField("until", f"at most {MAX_COVER_DAYS} days on; transfer the cases")
    roster = _Roster(uow, policy, today)
    colleague = roster.office(absent.office_code).get(covering_coach_id)
    if colleague is None or not colleague.active:
        raise InvalidField(
            "covering_coach_id", f"not an active coach of office {absent.office_code}"
        )
    open_cases = list(
        uow.session.scalars(select(Case).where(Case.coach_id == coach_id, Case.status == "open"))
    )
    newly = [c for c in open_cases if c.covering_coach_id != covering_coach_id]
    maximum = policy.max_caseload(colleague.contract_hours)
    if roster.load[covering_coach_id] + len(newly) > maximum:
        raise Conflict(
            f"covering {len(newly)} cases would bring the coach to "
            f"{roster.load[covering_coach_id] + len(newly)} (maximum {maximum}); split the "
            "cases with a redistribution proposal",
            open_cases=roster.load[covering_coach_id],
            max_caseload=maximum,
        )
    for case in open_cases:
        case.covering_coach_id = covering_coach_id
        case.covering_until = until
        case.updated_at = utcnow()
    uow.audit(
        actor=principal.as_actor(),
        action="coach.cover",
        resource_type="coach",
        resource_id=coach_id,
        reason=reason,
        new={
            "covering_coach_id": str(covering_coach_id),
            "until": until.isoformat(),
            "cases": len(open_cases),
        },
    )
    uow.commit()
    return CoverResult(
        coach_id=coach_id, covering_coach_id=covering_coach_id, until=until, cases=len(open_cases)
    )


def end_cover(*, uow: UnitOfWork, coach_id: uuid.UUID, principal: Principal) -> CoverResult:
    """The absent coach is back: the cover of their open cases ends today (audited)."""
    absent = uow.session.get(Coach, coach_id)
    if absent is None:
        raise NotFound("no such coach")
    _check_office(principal, absent.office_code)
    covered = list(
        uow.session.scalars(
            select(Case).where(
                Case.coach_id == coach_id,
                Case.status == "open",
                Case.covering_coach_id.is_not(None),
            )
        )
    )
    for case in covered:
        case.covering_coach_id = None
        case.covering_until = None
        case.updated_at = utcnow()
    uow.audit(
        actor=principal.as_actor(),
        action="coach.cover_end",
        resource_type="coach",
        resource_id=coach_id,
        new={"cases": len(covered)},
    )
    uow.commit()
    return CoverResult(coach_id=coach_id, covering_coach_id=None, until=None, cases=len(covered))
