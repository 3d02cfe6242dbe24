"""Placements reported by temp agencies, and the reward ledger (docs/partner-placements.md).

A placement, in one transaction: the work resumption (`coaching.resumptions`, reported by
`temp_agency`: full closes the case with result `work_resumed`, partial keeps it open), a
job-search activity `temp_agency_registration` when the claimant newly registered with
the agency, the `placements` row, `placement.reported`, the audit rows and the stored
response of the `Idempotency-Key`.

The reward ledger counts an agency's placements by the quarter of their start date
(calendar quarters of the Dutch calendar: Q1 is 1 January to 31 March, both inclusive).
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from coaching.assignment import service as assignment
from coaching.assignment.rules import AssignmentPolicy
from coaching.cases import service as cases
from coaching.cases.models import Case
from coaching.obligations import repository as obligations
from coaching.obligations.models import JobSearchActivity
from coaching.obligations.rules import ActivityKind
from coaching.partner import idempotency
from coaching.partner.clients.models import PartnerClient
from coaching.partner.placements import repository
from coaching.partner.placements.models import Placement
from coaching.partner.placements.rules import DEFAULT_LIMITS, PartialLimits
from coaching.partner.placements.schemas import (
    CasePlacementRead,
    PlacementCreate,
    PlacementRead,
    RewardLedgerRead,
    RewardLine,
    RewardRead,
)
from coaching.resumptions import service as resumptions
from coaching.resumptions.schemas import ResumptionBody
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import PlacementReported
from shared.web.auth import Principal
from shared.web.problems import Conflict, InvalidField, NotFound

REPORTED_BY = "temp_agency"
PATH = "/partner/v1/placements"


def client_of(principal: Principal) -> str:
    """The partner client id of an application's token."""
    return principal.client_id or principal.subject


def read(row: Placement) -> PlacementRead:
    """The agency's view of a placement."""
    return PlacementRead(
        id=row.id,
        candidate_ref=row.candidate_ref,
        start_date=row.start_date,
        hours_per_week=row.hours_per_week,
        hourly_wage=row.hourly_wage_cents / 100,
        contract_type=row.contract_type,  # type: ignore[arg-type]
        resumption=row.resumption,  # type: ignore[arg-type]
        new_registration=row.new_registration,
        activity_counted=row.activity_id is not None,
        closed_case=row.closed_case,
        reported_at=row.reported_at,
    )


def case_read(row: Placement) -> CasePlacementRead:
    """Staff's view of a placement."""
    return CasePlacementRead(
        **read(row).model_dump(),
        claim_id=row.claim_id,
        partner_client_id=row.partner_client_id,
        work_resumption_id=row.work_resumption_id,
        activity_id=row.activity_id,
    )


# --- reporting -----------------------------------------------------------------------------


def _count_registration(
    *, uow: UnitOfWork, case: Case, agency: str, today: dt.date, actor: Actor
) -> JobSearchActivity | None:
    """The new registration with the agency as a job-search activity on the day of the
    report, unless that day cannot count (before the first WW day, or in a period already
    evaluated: a stored result never changes). The case is locked by the caller."""
    if case.first_ww_day is not None and today < case.first_ww_day:
        return None
    if obligations.evaluated_period_containing(uow.session, case.id, today) is not None:
        return None
    activity = JobSearchActivity(
        id=uuid.uuid4(),
        case_id=case.id,
        claim_id=case.claim_id,
        kind=ActivityKind.TEMP_AGENCY_REGISTRATION.value,
        activity_date=today,
        employer=agency,
        description="Registered with the temp agency (reported with a placement)",
        reported_by=REPORTED_BY,
        reported_at=utcnow(),
    )
    uow.session.add(activity)
    uow.audit(
        actor=actor,
        action="job_search_activity.create",
        resource_type="case",
        resource_id=case.id,
        new={
            "activity_id": str(activity.id),
            "kind": activity.kind,
            "activity_date": today.isoformat(),
            "reported_by": REPORTED_BY,
        },
    )
    return activity


def _check_partial(
    *,
    uow: UnitOfWork,
    case: Case,
    client_id: str,
    data: PlacementCreate,
    limits: PartialLimits,
    actor: Actor,
) -> None:
    """Refuse a partial placement that would inflate the ledger, counted in the quarter of
    its start date (the ledger's period): the same agency, candidate and start date again
    (409: it was reported already), more than `limits.per_client_per_quarter` of this agency
    for this candidate (409), or more hours than `limits.max_hours_per_week` for all partial
    placements of the candidate together, every agency (422 `hours_per_week`).

    A refusal is audited in a transaction of its own: nothing else was written yet (the
    checks run before the resumption), so the rollback loses nothing and the commit holds
    only the audit row. The answer never says what other agencies reported."""
    start, end = quarter_bounds(current_quarter(data.start_date))
    rows = repository.partial_of_case_in(uow.session, case.id, start, end)
    own = [r for r in rows if r.partner_client_id == client_id]
    refusal: Conflict | InvalidField | None = None
    reason = ""
    if any(r.start_date == data.start_date for r in own):
        reason = "duplicate"
        refusal = Conflict(
            "a partial placement of this candidate starting on this date was reported "
            "already; repeat the first request with its Idempotency-Key to see it"
        )
    elif len(own) >= limits.per_client_per_quarter:
        reason = "per_quarter_limit"
        refusal = Conflict(
            f"at most {limits.per_client_per_quarter} partial placements of one candidate "
            "per quarter of the start date"
        )
    elif sum(r.hours_per_week for r in rows) + data.hours_per_week > limits.max_hours_per_week:
        reason = "hours_limit"
        refusal = InvalidField(
            "hours_per_week",
            f"the candidate's partial work would exceed {limits.max_hours_per_week:g} hours "
            "per week in this quarter; report a full resumption instead",
        )
    if refusal is None:
        return
    case_id = case.id
    uow.rollback()
    uow.audit(
        actor=actor,
        action="placement.refused",
        resource_type="case",
        resource_id=case_id,
        reason=reason,
        new={
            "partner_client_id": client_id,
            "resumption": data.resumption,
            "start_date": data.start_date.isoformat(),
            "hours_per_week": data.hours_per_week,
            "quarter": current_quarter(data.start_date),
        },
    )
    uow.commit()
    raise refusal


def report_placement(
    *,
    uow: UnitOfWork,
    principal: Principal,
    data: PlacementCreate,
    idempotency_key: str,
    today: dt.date,
    policy: AssignmentPolicy,
    limits: PartialLimits = DEFAULT_LIMITS,
) -> tuple[int, dict[str, Any], bool]:
    """Record a placement and its effects, or replay the response of an earlier request
    with the same key and body; returns (status, body, replayed) and commits.

    404 for a candidate reference that does not exist, that this client was never shown,
    whose consent is withdrawn or whose case is closed (checked again under the case
    lock); 422 naming the field (`start_date` before the first WW
    day or too far ahead; a reused key with another body). A partial placement within the
    `limits` only (`_check_partial`): 409 for a repeat or one too many, 422 naming
    `hours_per_week` for too many hours; a refusal is audited (`placement.refused`).
    """
    client_id = client_of(principal)
    body = data.model_dump(mode="json")
    replayed = idempotency.replay(
        uow, client_id=client_id, key=idempotency_key, method="POST", path=PATH, body=body
    )
    if replayed is not None:
        return replayed[0], replayed[1], True
    # A claimant without consent (never given, or withdrawn), or with a closed case, does
    # not exist for partners; nor does one this client was never shown (a reference from
    # another agency is no licence to report on it).
    profile = repository.profile_of(uow.session, data.candidate_ref)
    if (
        profile is None
        or not profile.searchable
        or not repository.was_shown(uow.session, client_id, data.candidate_ref)
    ):
        raise NotFound("no such candidate")
    case = uow.session.get(Case, profile.case_id)
    if case is None or not case.registered or case.status != "open":
        raise NotFound("no such candidate")
    actor = principal.as_actor()
    client = uow.session.get(PartnerClient, client_id)
    agency = client.name if client is not None else client_id
    if case.first_ww_day is not None and data.start_date < case.first_ww_day:
        raise InvalidField("start_date", "before the candidate's first WW day")
    # Lock roster and case (as resumptions.report does next; a consent change locks the
    # case too), then check again: consent withdrawn or the case closed meanwhile is 404.
    cases.lock_case(uow, case, roster=data.resumption == "full")
    uow.session.refresh(profile)
    if not profile.searchable or case.status != "open":
        raise NotFound("no such candidate")
    # A concurrent request with the same key may have committed while this one waited for
    # the lock: replay it (READ COMMITTED sees it now) rather than count it as a repeat.
    replayed = idempotency.replay(
        uow, client_id=client_id, key=idempotency_key, method="POST", path=PATH, body=body
    )
    if replayed is not None:
        return replayed[0], replayed[1], True
    if data.resumption == "partial":
        # Under the case lock: two concurrent reports are counted one after the other.
        _check_partial(
            uow=uow, case=case, client_id=client_id, data=data, limits=limits, actor=actor
        )
    # Checks it is open again and the start date (422 `start_date`), closes the case on a
    # full resumption. Its 409 names the claim (for staff); a partner never learns claim
    # ids, nor that the case closed.
    try:
        resumption = resumptions.report(
            uow=uow,
            case=case,
            # Validated already (the same bounds as PlacementCreate); the agency's name was
            # checked when an admin registered it.
            body=ResumptionBody.model_construct(
                kind=data.resumption,
                start_date=data.start_date,
                hours_per_week=data.hours_per_week,
                employer=agency,
                via_temp_agency=True,
            ),
            reported_by=REPORTED_BY,
            actor=actor,
            today=today,
            partner_client_id=client_id,
        )
    except Conflict:
        raise NotFound("no such candidate") from None
    # A claimant registers with an agency once: a later placement by the same agency
    # saying so again is recorded but not counted a second time.
    activity = (
        _count_registration(uow=uow, case=case, agency=agency, today=today, actor=actor)
        if data.new_registration
        and not repository.registration_counted(uow.session, client_id, case.id)
        else None
    )
    now = utcnow()
    row = Placement(
        id=uuid.uuid4(),
        partner_client_id=client_id,
        candidate_ref=data.candidate_ref,
        case_id=case.id,
        claim_id=case.claim_id,
        start_date=data.start_date,
        hours_per_week=data.hours_per_week,
        hourly_wage_cents=round(data.hourly_wage * 100),
        contract_type=data.contract_type.value,
        resumption=data.resumption,
        new_registration=data.new_registration,
        work_resumption_id=resumption.id,
        activity_id=None if activity is None else activity.id,
        closed_case=resumption.closed_case,
        reported_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.publish(
        PlacementReported(
            claim_id=case.claim_id,
            placement_id=row.id,
            partner_client_id=client_id,
            start_date=row.start_date,
            hours_per_week=row.hours_per_week,
            reported_at=now,
        )
    )
    uow.audit(
        actor=actor,
        action="placement.report",
        resource_type="case",
        resource_id=case.id,
        new={
            "placement_id": str(row.id),
            "partner_client_id": client_id,
            "start_date": row.start_date.isoformat(),
            "hours_per_week": row.hours_per_week,
            "contract_type": row.contract_type,
            "resumption": row.resumption,
            "new_registration": row.new_registration,
            "activity_counted": activity is not None,
        },
    )
    if row.closed_case and case.office_code is not None and case.coach_id is not None:
        # The coach's place freed up: the office's queue may move.
        assignment.retry_unassigned(uow, office_code=case.office_code, policy=policy, today=today)
    response = read(row).model_dump(mode="json")
    idempotency.remember(
        uow,
        client_id=client_id,
        key=idempotency_key,
        method="POST",
        path=PATH,
        body=body,
        status_code=201,
        response=response,
    )
    uow.commit()
    return 201, response, False


# --- reading -------------------------------------------------------------------------------


def get_own(*, uow: UnitOfWork, principal: Principal, placement_id: uuid.UUID) -> Placement:
    """One of the calling agency's placements (another agency's does not exist for it)."""
    row = repository.of_client(uow.session, client_of(principal), placement_id)
    if row is None:
        raise NotFound("no such placement")
    uow.audit(
        actor=principal.as_actor(),
        action="placement.read",
        resource_type="case",
        resource_id=row.case_id,
    )
    uow.commit()
    return row


def list_own(
    *, uow: UnitOfWork, principal: Principal, limit: int, offset: int
) -> tuple[Sequence[Placement], int]:
    """A page of the calling agency's placements, newest first (audited as a read)."""
    client_id = client_of(principal)
    rows, total = repository.page_of_client(uow.session, client_id, limit=limit, offset=offset)
    uow.audit(
        actor=principal.as_actor(),
        action="placement.list",
        resource_type="partner_client",
        resource_id=client_id,
    )
    uow.commit()
    return rows, total


def list_for_case(
    *, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal, limit: int, offset: int
) -> tuple[Sequence[Placement], int]:
    """A page of a case's placements for staff who may see the case (audited)."""
    case = cases.case_for(uow=uow, claim_id=claim_id, principal=principal, action="placement.list")
    rows, total = repository.page_of_case(uow.session, case.id, limit=limit, offset=offset)
    uow.commit()
    return rows, total


# --- the reward ledger ---------------------------------------------------------------------


def current_quarter(today: dt.date) -> str:
    """The quarter of a day, as YYYY-Qn."""
    return f"{today.year:04d}-Q{(today.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of a quarter `YYYY-Qn` (422 naming `quarter`)."""
    try:
        year, n = int(quarter[:4]), int(quarter[-1])
        if quarter[4:6] != "-Q" or len(quarter) != 7 or not 1 <= n <= 4:
            raise ValueError(quarter)
        last_month = 3 * n
        return (
            dt.date(year, last_month - 2, 1),
            dt.date(year, last_month, calendar.monthrange(year, last_month)[1]),
        )
    except ValueError:
        raise InvalidField("quarter", "must be YYYY-Qn, e.g. 2026-Q4") from None


def reward_of_client(
    *, uow: UnitOfWork, principal: Principal, quarter: str, limit: int, offset: int
) -> RewardRead:
    """The calling agency's placements in a quarter: counts and a page of them."""
    start, end = quarter_bounds(quarter)
    client_id = client_of(principal)
    counts = repository.counts_of_client(uow.session, client_id, start, end)
    rows = repository.client_page_in(uow.session, client_id, start, end, limit=limit, offset=offset)
    uow.audit(
        actor=principal.as_actor(),
        action="partner_reward.read",
        resource_type="partner_client",
        resource_id=client_id,
        new={"quarter": quarter},
    )
    uow.commit()
    return RewardRead(
        quarter=quarter,
        starts_on=start,
        ends_on=end,
        partner_client_id=client_id,
        placements=counts.placements,
        full=counts.full,
        partial=counts.partial,
        claimants=counts.claimants,
        items=[read(r) for r in rows],
        limit=limit,
        offset=offset,
    )


def reward_ledger(
    *, uow: UnitOfWork, principal: Principal, quarter: str, limit: int, offset: int
) -> RewardLedgerRead:
    """Every agency's placements in a quarter, most first (staff; audited)."""
    start, end = quarter_bounds(quarter)
    lines, total = repository.ledger(uow.session, start, end, limit=limit, offset=offset)
    uow.audit(
        actor=principal.as_actor(),
        action="partner_reward.list",
        resource_type="partner_reward",
        resource_id=quarter,
    )
    uow.commit()
    return RewardLedgerRead(
        quarter=quarter,
        starts_on=start,
        ends_on=end,
        items=[
            RewardLine(
                partner_client_id=c.partner_client_id,
                placements=c.placements,
                full=c.full,
                partial=c.partial,
                claimants=c.claimants,
            )
            for c in lines
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
