"""Work resumption: a full return to work closes the case with result `work_resumed`
(reported by the claimant, their coach or a temp agency); a partial one is recorded and
the case stays open for the coach to follow up. Both are audited."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from coaching.assignment.rules import AssignmentPolicy
from coaching.cases import service as cases
from coaching.cases.models import Case
from coaching.cases.schemas import ClosureResult
from coaching.resumptions.models import WorkResumption
from coaching.resumptions.schemas import ResumptionBody, ResumptionRead
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal
from shared.web.pagination import Page, PageParams
from shared.web.problems import InvalidField


def report(
    *,
    uow: UnitOfWork,
    case: Case,
    body: ResumptionBody,
    reported_by: str,
    actor: Actor,
    today: dt.date,
    partner_client_id: str | None = None,
) -> WorkResumption:
    """Record a report on an open case (the caller checked access and commits)."""
    # Checked open under the case's row lock (a full resumption closes it: roster first).
    cases.lock_case(uow, case, roster=body.kind == "full")
    cases.require_open(case)
    if case.first_ww_day is not None and body.start_date < case.first_ww_day:
        raise InvalidField("start_date", f"before the first WW day {case.first_ww_day.isoformat()}")
    if body.start_date > today + dt.timedelta(days=cases.CLOSE_AHEAD_DAYS):
        raise InvalidField("start_date", f"more than {cases.CLOSE_AHEAD_DAYS} days ahead")
    row = WorkResumption(
        id=uuid.uuid4(),
        case_id=case.id,
        claim_id=case.claim_id,
        kind=body.kind,
        start_date=body.start_date,
        hours_per_week=body.hours_per_week,
        employer=body.employer,
        via_temp_agency=body.via_temp_agency,
        reported_by=reported_by,
        partner_client_id=partner_client_id,
        closed_case=body.kind == "full",
        reported_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        actor=actor,
        action="work_resumption.report",
        resource_type="case",
        resource_id=case.id,
        new={
            "kind": body.kind,
            "start_date": body.start_date.isoformat(),
            "hours_per_week": body.hours_per_week,
            "via_temp_agency": body.via_temp_agency,
            "reported_by": reported_by,
        },
    )
    if body.kind == "full":
        cases.close_case(
            uow=uow,
            case=case,
            result=ClosureResult.WORK_RESUMED,
            closed_on=body.start_date,
            reported_by=reported_by,
            note=None,
            actor=actor,
            today=today,
        )
    return row


def report_work_resumption(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    body: ResumptionBody,
    principal: Principal,
    policy: AssignmentPolicy,
    today: dt.date,
) -> ResumptionRead:
    """A report for the case of a claim: the claimant their own case (reported by the
    claimant), staff a case they may act on (reported by the coach), others 404. A full
    resumption closes the case, and the office's unassigned queue is tried again (a place
    freed up). Commits."""
    case = cases.case_for(
        uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, audit=False
    )
    by = "claimant" if cases.claimant_owns(principal, case) else "coach"
    row = report(
        uow=uow, case=case, body=body, reported_by=by, actor=principal.as_actor(), today=today
    )
    if row.closed_case:
        cases.retry_queue_after_close(uow, case, policy=policy, today=today)
    uow.commit()
    return to_read(row)


def list_work_resumptions(
    *, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal, page: PageParams
) -> Page[ResumptionRead]:
    """A case's reports, newest first: the claimant their own, staff the cases they may
    see (audited as `work_resumption.list`; commits the audit row)."""
    case = cases.case_for(
        uow=uow,
        claim_id=claim_id,
        principal=principal,
        allow_claimant=True,
        action="work_resumption.list",
    )
    rows, total = list_for_case(uow, case, limit=page.limit, offset=page.offset)
    items = [to_read(r) for r in rows]
    uow.commit()
    return Page[ResumptionRead](items=items, total=total, limit=page.limit, offset=page.offset)


def to_read(row: WorkResumption) -> ResumptionRead:
    """The API view of a report."""
    return ResumptionRead.model_validate(row, from_attributes=True)


def list_for_case(
    uow: UnitOfWork, case: Case, *, limit: int, offset: int
) -> tuple[Sequence[WorkResumption], int]:
    """A case's reports, newest first."""
    condition = WorkResumption.case_id == case.id
    total = uow.session.execute(
        select(func.count()).select_from(WorkResumption).where(condition)
    ).scalar_one()
    rows = uow.session.scalars(
        select(WorkResumption)
        .where(condition)
        .order_by(WorkResumption.reported_at.desc(), WorkResumption.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)
