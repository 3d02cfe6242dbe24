"""Questionnaire rules: submissions (validated, versioned) and answers carried by intake's events."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from shared.db.uow import UnitOfWork
from shared.logging import get_logger
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, ValidationFailed
from triage.claims import service as claims
from triage.claims.models import TriageClaim
from triage.questionnaires import repository, rules
from triage.questionnaires.models import QuestionnaireResponse
from triage.registry import service as registry
from triage.scores import repository as scores_repository
from triage.scores import service as scores
from triage.scores.models import Score
from triage.scoring import questionnaire as q

log = get_logger(__name__)

REGISTRATION = "registration"
INTAKE = "intake"


class QuestionnaireInvalidError(ValidationFailed):
    """A submitted answer set does not validate; `errors` names every bad item."""

    def __init__(self, errors: list[q.AnswerError]) -> None:
        items = [
            {
                "field": e.key if e.key == "questionnaire_version" else f"answers.{e.key}",
                "location": "body",
                "message": e.message,
                "code": "invalid",
            }
            for e in errors
        ]
        fields = ", ".join(dict.fromkeys(i["field"] for i in items))
        super().__init__(f"invalid or missing answer(s): {fields}", errors=items)


def _source(principal: Principal, claim: TriageClaim) -> str:
    if principal.has_role(Role.TRIAGE_ANALYST):
        return "triage_analyst"
    if principal.has_role(Role.COACH) and str(claim.intake_coach_id) == principal.subject:
        return "coach"
    return "claimant"


def current(*, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal) -> QuestionnaireResponse:
    """The answer set in force of a visible claim (the newest response), audited as
    `questionnaire.read`; 409 when no answers were given yet (a state, as "no schedule yet"
    in starters), 404 when the caller may not see the claim."""
    claim = claims.visible_claim(uow=uow, claim_id=claim_id, principal=principal)
    row = scores_repository.answers_in_force(uow.session, claim.claim_id)
    if row is None:
        raise Conflict("no questionnaire answers for this claim yet")
    uow.audit(
        actor=principal.as_actor(),
        action="questionnaire.read",
        resource_type="claim",
        resource_id=claim.claim_id,
    )
    uow.commit()
    return row


def submit(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    version: str,
    answers: dict[str, Any],
    threshold: float,
    now: dt.datetime,
) -> tuple[QuestionnaireResponse, Score, TriageClaim]:
    """Store a complete, valid answer set and re-triage the claim with the active model.

    422 names every missing, unknown or out-of-range item (`answers.<key>`), or
    `questionnaire_version` when the version is unknown or not the active model's.
    """
    claim = claims.visible_claim(uow=uow, claim_id=claim_id, principal=principal)
    errors = q.validate(version, answers)
    if errors:
        raise QuestionnaireInvalidError(errors)
    model = registry.active_model(uow=uow)
    if model is not None and model.questionnaire_version != version:
        raise QuestionnaireInvalidError(
            [
                q.AnswerError(
                    "questionnaire_version",
                    f"the active model uses questionnaire version {model.questionnaire_version}",
                )
            ]
        )
    row = QuestionnaireResponse(
        id=uuid.uuid4(),
        claim_id=claim.claim_id,
        questionnaire_version=version,
        answers=dict(answers),
        submitted=dict(answers),
        rejected=[],
        complete=True,
        source=_source(principal, claim),
        submitted_by=principal.as_actor().subject,
        submitted_at=now,
    )
    repository.add(uow.session, row)
    uow.session.flush()
    score = scores.score_claim(
        uow=uow, claim=claim, trigger=scores.QUESTIONNAIRE, threshold=threshold, now=now
    )
    uow.audit(
        actor=principal.as_actor(),
        action="questionnaire.submit",
        resource_type="claim",
        resource_id=claim.claim_id,
        new={
            "questionnaire_id": str(row.id),
            "questionnaire_version": version,
            "score_id": str(score.id),
            "segment": score.segment,
        },
    )
    uow.commit()
    return row, score, claim


def record_event_answers(
    *,
    uow: UnitOfWork,
    claim: TriageClaim,
    answers: dict[str, Any] | None,
    source: str,
    now: dt.datetime,
) -> QuestionnaireResponse | None:
    """Answers carried by claim.registered or intake.completed, merged onto the latest set.

    An event cannot be refused, so answers that do not fit their item are left out and
    their keys recorded (`rejected`); None when nothing usable came. Event answers are taken
    as the current questionnaire version. No commit: the consumer commits.
    """
    if not answers:
        return None
    version = q.CURRENT_VERSION
    checked = rules.check_items(version, dict(answers))
    if checked.rejected:
        log.warning(
            "triage.event_answers_rejected",
            source=source,
            keys=sorted(e.key for e in checked.rejected),
        )
    if not checked.valid:
        return None
    latest = scores_repository.answers_in_force(uow.session, claim.claim_id)
    if latest is not None and latest.questionnaire_version == version:
        base = dict(latest.answers)
    else:
        base = rules.registration_facts(
            years_work_history=claim.years_work_history,
            education_level=claim.education_level,
            sector=claim.sector,
            hours_lost_per_week=claim.hours_lost_per_week,
            version=version,
        )
    merged = rules.merge(base, checked.valid)
    row = QuestionnaireResponse(
        id=uuid.uuid4(),
        claim_id=claim.claim_id,
        questionnaire_version=version,
        answers=merged,
        submitted=checked.valid,
        rejected=[{"key": e.key, "message": e.message} for e in checked.rejected],
        complete=rules.is_complete(version, merged),
        source=source,
        submitted_by=source,
        submitted_at=now,
    )
    repository.add(uow.session, row)
    uow.session.flush()
    return row
