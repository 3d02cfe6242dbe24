"""Queries of the need-to-know rules: the scope as a SQL condition, and a claim's audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from intake.appointments.models import Appointment
from intake.claims.models import Claim
from intake.coaches.models import CaseloadClaim
from intake.db import AuditLog


def coach_claim_ids(coach_id: uuid.UUID) -> ColumnElement[bool]:
    """Claims in the coach's caseload (coaching's case events) or whose intake they hold."""
    caseload = select(CaseloadClaim.claim_id).where(CaseloadClaim.coach_id == coach_id)
    intakes = select(Appointment.claim_id).where(Appointment.coach_id == coach_id)
    return or_(Claim.id.in_(caseload), Claim.id.in_(intakes))


def scope_condition(*, offices: frozenset[str], coach_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The claims of these offices, plus the coach's own claims."""
    parts: list[ColumnElement[bool]] = []
    if offices:
        parts.append(Claim.office_code.in_(sorted(offices)))
    if coach_id is not None:
        parts.append(coach_claim_ids(coach_id))
    return or_(*parts) if parts else false()


def claim_in_scope(
    session: Session, claim_id: uuid.UUID, *, offices: frozenset[str], coach_id: uuid.UUID | None
) -> bool:
    """Whether one claim lies in the scope."""
    found = session.scalar(
        select(Claim.id).where(
            Claim.id == claim_id, scope_condition(offices=offices, coach_id=coach_id)
        )
    )
    return found is not None


def access_log(
    session: Session, claim_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[AuditLog], int]:
    """Audit rows about the claim, newest first, and how many there are."""
    where = (AuditLog.resource_type == "claim", AuditLog.resource_id == str(claim_id))
    total = session.execute(select(func.count()).select_from(AuditLog).where(*where)).scalar_one()
    rows = session.scalars(
        select(AuditLog)
        .where(*where)
        .order_by(AuditLog.occurred_at.desc(), AuditLog.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total
