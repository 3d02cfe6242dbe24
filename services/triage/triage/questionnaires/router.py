"""HTTP API of the questionnaire (`/v1/questionnaire`, `/v1/claims/{claim_id}/questionnaire`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from shared.db.types import utcnow
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES, InvalidField, conflict_doc
from triage.access import CLAIM_READ_ROLES
from triage.deps import Container
from triage.questionnaires import rules, service
from triage.questionnaires.models import QuestionnaireResponse
from triage.questionnaires.schemas import (
    ItemRead,
    QuestionnaireDefinitionRead,
    QuestionnaireResponseRead,
    QuestionnaireResultRead,
    QuestionnaireSubmit,
)
from triage.scores import explain
from triage.scoring import questionnaire as q

router = APIRouter(tags=["questionnaire"], responses=PROBLEM_RESPONSES)

# Row-level: a claimant for their own claim, a coach for their caseload, analysts for any.
SUBMIT_ROLES = (Role.CLAIMANT, Role.COACH, Role.TRIAGE_ANALYST)
ANY_ROLE = tuple(Role)


def response_read(row: QuestionnaireResponse) -> QuestionnaireResponseRead:
    """Response model of a stored answer set."""
    return QuestionnaireResponseRead(
        id=row.id,
        claim_id=row.claim_id,
        questionnaire_version=row.questionnaire_version,
        answers=row.answers,
        complete=row.complete,
        source=row.source,
        submitted_at=row.submitted_at,
    )


@router.get(
    "/v1/questionnaire",
    response_model=QuestionnaireDefinitionRead,
    summary="The questionnaire definition (items, Dutch and English labels) for forms",
)
def get_questionnaire(
    version: str = Query(
        q.CURRENT_VERSION, max_length=20, description="A published version (default: current)"
    ),
    principal: Principal = Depends(requires(roles=ANY_ROLE)),
) -> QuestionnaireDefinitionRead:
    """Any authenticated person; 422 names `version` when it is not published."""
    definition = rules.definition(version)
    if definition is None:
        raise InvalidField("version", f"unknown version; known: {sorted(q.QUESTIONNAIRES)}")
    return QuestionnaireDefinitionRead(
        version=definition.version,
        current=definition.version == q.CURRENT_VERSION,
        items=[
            ItemRead(
                key=i.key,
                kind=i.kind,
                label_nl=i.label_nl,
                label_en=i.label_en,
                choices=list(i.choices),
                minimum=i.minimum,
                maximum=i.maximum,
                required=i.required,
            )
            for i in definition.items
        ],
    )


@router.get(
    "/v1/claims/{claim_id}/questionnaire",
    response_model=QuestionnaireResponseRead,
    responses=conflict_doc("no answers were given for the claim yet"),
    summary="The claim's answers in force (the newest answer set), e.g. to pre-fill a form",
)
def get_claim_questionnaire(
    *,
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=CLAIM_READ_ROLES)),
    container: Container,
) -> QuestionnaireResponseRead:
    """The newest answer set (submitted, or carried by intake's registration or intake
    events; `complete` says whether every required item was answered). 409 when none yet,
    404 when the caller may not see the claim. Audited as `questionnaire.read`."""
    with container.uow() as uow:
        return response_read(service.current(uow=uow, claim_id=claim_id, principal=principal))


@router.put(
    "/v1/claims/{claim_id}/questionnaire",
    response_model=QuestionnaireResultRead,
    summary="Submit the claim's questionnaire; the claim is re-triaged with the active model",
)
def put_questionnaire(
    *,
    claim_id: uuid.UUID,
    data: QuestionnaireSubmit,
    principal: Principal = Depends(requires(roles=SUBMIT_ROLES)),
    container: Container,
) -> QuestionnaireResultRead:
    """A complete answer set; earlier ones stay in the history. 422 names every missing,
    unknown or out-of-range item as `answers.<key>`, or `questionnaire_version`."""
    with container.uow() as uow:
        row, score, claim = service.submit(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            version=data.questionnaire_version,
            answers=data.answers,
            threshold=container.settings.segment_threshold,
            now=utcnow(),
        )
        return QuestionnaireResultRead(
            questionnaire=response_read(row),
            score=explain.to_read(score),
            current_segment=claim.current_segment or score.segment,
        )
