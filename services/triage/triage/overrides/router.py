"""HTTP API of overrides (`/v1/claims/{claim_id}/override`, `/overrides`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from shared.db.types import utcnow
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc
from triage.access import CLAIM_READ_ROLES
from triage.claims.models import TriageClaim
from triage.deps import Container
from triage.overrides import service
from triage.overrides.models import Override
from triage.overrides.schemas import OverrideCreate, OverrideRead

router = APIRouter(prefix="/v1/claims", tags=["overrides"], responses=PROBLEM_RESPONSES)

# Row-level: a coach for their caseload, a triage analyst for any claim.
OVERRIDE_ROLES = (Role.COACH, Role.TRIAGE_ANALYST)


def to_read(row: Override, claim: TriageClaim) -> OverrideRead:
    """Response model of an override."""
    return OverrideRead(
        id=row.id,
        claim_id=row.claim_id,
        score_id=row.score_id,
        previous_segment=row.previous_segment,
        segment=row.segment,
        reason_category=row.reason_category,
        reason_text=row.reason_text,
        overridden_by=row.overridden_by,
        overridden_by_role=row.overridden_by_role,
        overridden_at=row.overridden_at,
        in_force=claim.override_id == row.id,
    )


@router.post(
    "/{claim_id}/override",
    responses=conflict_doc("the claim has no score to override, or the override changes nothing"),
    response_model=OverrideRead,
    status_code=201,
    summary="Override the claim's segment (the human decision prevails); emits triage.overridden",
)
def post_override(
    *,
    claim_id: uuid.UUID,
    data: OverrideCreate,
    principal: Principal = Depends(requires(roles=OVERRIDE_ROLES)),
    container: Container,
) -> OverrideRead:
    """Mandatory `reason_category` and `reason_text`; audited. 409 if the claim is in that
    segment already. It stays in force until a score on new answers (ADR 0012)."""
    with container.uow() as uow:
        row, claim = service.override_segment(
            uow=uow, claim_id=claim_id, principal=principal, data=data, now=utcnow()
        )
        return to_read(row, claim)


@router.get(
    "/{claim_id}/overrides",
    response_model=list[OverrideRead],
    summary="Override history of a claim",
)
def get_overrides(
    *,
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=CLAIM_READ_ROLES)),
    container: Container,
) -> list[OverrideRead]:
    """Every override, newest first; `in_force` marks the one deciding the segment now."""
    with container.uow() as uow:
        rows, claim = service.history(uow=uow, claim_id=claim_id, principal=principal)
        return [to_read(r, claim) for r in rows]
