"""Intake's copy of coaching's caseloads: which coach carries which claim (ADR 0022)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from intake.coaches.models import CaseloadClaim
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import CaseAssigned, CaseTransferred, CaseUnassigned
from shared.events.envelope import Event


def _record(
    uow: UnitOfWork, claim_id: uuid.UUID, coach_id: uuid.UUID | None, at: dt.datetime
) -> None:
    row = uow.session.get(CaseloadClaim, claim_id)
    if row is None:
        uow.session.add(
            CaseloadClaim(claim_id=claim_id, coach_id=coach_id, as_of=at, updated_at=utcnow())
        )
        return
    if row.as_of > at:
        return  # a newer assignment is already known: a late event changes nothing
    row.coach_id = coach_id
    row.as_of = at
    row.updated_at = utcnow()


def handle_case_coach(event: Event[Any], uow: UnitOfWork) -> None:
    """case.assigned / case.transferred / case.unassigned: the case's coach now (or none)."""
    data = event.data
    if isinstance(data, CaseAssigned):
        _record(uow, data.claim_id, data.coach_id, data.assigned_at)
    elif isinstance(data, CaseTransferred):
        _record(uow, data.claim_id, data.to_coach_id, data.transferred_at)
    elif isinstance(data, CaseUnassigned):
        _record(uow, data.claim_id, None, data.unassigned_at)


def caseload_coach(uow: UnitOfWork, claim_id: uuid.UUID) -> uuid.UUID | None:
    """The coach carrying the claim's case, as far as intake knows."""
    row = uow.session.get(CaseloadClaim, claim_id)
    return None if row is None else row.coach_id
