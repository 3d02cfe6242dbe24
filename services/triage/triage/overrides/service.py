"""Override rules: a coach or triage analyst puts a claim in another segment; audited; emitted."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from shared.db.uow import UnitOfWork
from shared.events.common import Segment
from shared.events.triage import TriageOverridden
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict
from triage.claims import service as claims
from triage.claims.models import TriageClaim
from triage.overrides import repository
from triage.overrides.models import Override
from triage.overrides.schemas import OverrideCreate
from triage.scores import service as scores


def override_segment(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    data: OverrideCreate,
    now: dt.datetime,
) -> tuple[Override, TriageClaim]:
    """Record the override of the claim's current segment; 409 if it is that segment already.

    A coach may override claims in their caseload, a triage analyst any claim (others: 404).
    """
    claim = claims.visible_claim(uow=uow, claim_id=claim_id, principal=principal)
    score = scores.latest_score(uow=uow, claim=claim)
    current = claim.current_segment or score.segment
    if data.segment.value == current:
        raise Conflict(f"the claim is in segment {current} already")
    role = Role.TRIAGE_ANALYST if principal.has_role(Role.TRIAGE_ANALYST) else Role.COACH
    actor = principal.as_actor()
    row = Override(
        id=uuid.uuid4(),
        claim_id=claim.claim_id,
        score_id=score.id,
        questionnaire_id=score.questionnaire_id,
        previous_segment=current,
        segment=data.segment.value,
        reason_category=data.reason_category.value,
        reason_text=data.reason_text,
        overridden_by=actor.subject,
        overridden_by_role=role.value,
        office_code=claim.office_code,
        overridden_at=now,
    )
    repository.add(uow.session, row)
    claim.override_id = row.id
    claim.current_segment = row.segment
    claim.updated_at = now
    uow.audit(
        actor=actor,
        action="segment.override",
        resource_type="claim",
        resource_id=claim.claim_id,
        reason=f"{row.reason_category}: {row.reason_text}",
        old={"segment": current, "score_id": str(score.id)},
        new={"segment": row.segment, "reason_category": row.reason_category},
    )
    uow.publish(
        TriageOverridden(
            claim_id=claim.claim_id,
            score_id=score.id,
            previous_segment=Segment(current),
            segment=data.segment,
            reason_category=row.reason_category,
            overridden_by_role=role.value,
            overridden_at=now,
            override_id=row.id,
        )
    )
    uow.commit()
    return row, claim


def history(
    *, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal
) -> tuple[Sequence[Override], TriageClaim]:
    """Every override of a visible claim, newest first (audited as a read)."""
    claim = claims.visible_claim(uow=uow, claim_id=claim_id, principal=principal)
    rows = repository.history(uow.session, claim.claim_id)
    uow.audit(
        actor=principal.as_actor(),
        action="override.read",
        resource_type="claim",
        resource_id=claim.claim_id,
    )
    uow.commit()
    return rows, claim
