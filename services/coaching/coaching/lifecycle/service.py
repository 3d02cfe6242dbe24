"""Closing and reopening a case on request, with what follows from them.

The case rules (`coaching.cases.service.close_case`, `reopen_case`) change the case; this
module orchestrates one request around them: access, the row locks, the office's
unassigned queue after a close, the job-search obligation after a reopen, and the commit.
It sits above cases and obligations (neither imports it): `obligations.service` imports
the case rules, so the reopen's `obligations.resume_after_reopen` cannot live in them.
"""

from __future__ import annotations

import datetime as dt
import uuid

from coaching.assignment.rules import AssignmentPolicy
from coaching.cases import service as cases
from coaching.cases.models import Case
from coaching.cases.schemas import ClosureResult
from coaching.obligations import service as obligations
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal


def close_case(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    result: ClosureResult,
    closed_on: dt.date | None,
    reported_by: str,
    note: str | None,
    policy: AssignmentPolicy,
    today: dt.date,
) -> Case:
    """Close the case of a claim for a caller who may act on it (else 404), then try the
    office's unassigned queue again (a place freed up); commits. `closed_on` defaults
    to today."""
    case = cases.case_for(uow=uow, claim_id=claim_id, principal=principal, audit=False)
    cases.close_case(
        uow=uow,
        case=case,
        result=result,
        closed_on=closed_on or today,
        reported_by=reported_by,
        note=note,
        actor=principal.as_actor(),
        today=today,
    )
    cases.retry_queue_after_close(uow, case, policy=policy, today=today)
    uow.commit()
    return case


def reopen(
    uow: UnitOfWork,
    case: Case,
    *,
    reason: str,
    actor: Actor,
    policy: AssignmentPolicy,
    today: dt.date,
) -> None:
    """Reopen, give the case a coach again if its own is inactive or at their maximum
    (`cases.reopen_case`), and let the job-search obligation apply again from today
    (fresh periods; none while it was closed, `obligations.resume_after_reopen`)."""
    cases.lock_case(uow, case, roster=True)  # closed_on as committed, held to the commit
    closed_on, closed_at = case.closed_on, case.closed_at
    cases.reopen_case(uow=uow, case=case, reason=reason, actor=actor, policy=policy, today=today)
    obligations.resume_after_reopen(
        uow=uow,
        case=case,
        closed_on=closed_on,
        closed_at=closed_at,
        resume_on=today,
        by=actor.subject,
    )


def reopen_case(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    reason: str,
    policy: AssignmentPolicy,
    today: dt.date,
) -> Case:
    """Reopen the case of a claim for a caller who may act on it (else 404; `reopen`);
    commits."""
    case = cases.case_for(uow=uow, claim_id=claim_id, principal=principal, audit=False)
    reopen(uow, case, reason=reason, actor=principal.as_actor(), policy=policy, today=today)
    uow.commit()
    return case
