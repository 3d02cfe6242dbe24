"""Scoring rules: score a claim (active model or the provisional rule), store, emit triage.scored.

Which scorer (ADR 0012):
- the claim's answer set in force is complete and fits the active model's questionnaire
  version: the active model (`triage.scoring`), `provisional` false;
- otherwise the provisional rule from registration facts (`provisional.py`), `provisional`
  true. A partial answer set is kept, but does not make a model score: a model score on a
  few answers would look more certain than it is.
Every scoring updates the claim's current state: the override in force survives unless
the score comes from a newer answer set than the one the override was made on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.db.uow import UnitOfWork
from shared.events.common import Band, Segment
from shared.events.triage import FactorContribution, HinderingFactor, TriageScored
from shared.logging import get_logger
from shared.web.auth import Principal
from shared.web.problems import NotFound
from triage.claims import service as claims
from triage.claims.models import TriageClaim
from triage.overrides.models import Override
from triage.overrides.rules import survives
from triage.questionnaires.models import QuestionnaireResponse
from triage.registry import service as registry
from triage.scores import provisional, repository
from triage.scores.models import Score
from triage.scoring import model as core

log = get_logger(__name__)

CLAIM_REGISTERED = "claim_registered"
QUESTIONNAIRE = "questionnaire"
INTAKE_COMPLETED = "intake_completed"
TIME_IN_WW = "time_in_ww"
BATCH = "batch"


@dataclass(frozen=True)
class Computed:
    """A score with its explanation, from whichever scorer applied."""

    probability: float
    logit: float
    intercept: float
    band: Band
    segment: Segment
    factors: list[dict[str, Any]]
    hindering: list[dict[str, Any]]
    over_55: bool
    under_27: bool
    model_version: str
    provisional: bool
    questionnaire_version: str | None


def from_model(model: core.ModelFile, answers: dict[str, Any], *, age: int | None) -> Computed:
    """Score with a model file through the scoring core."""
    scored = core.score(model, answers, age=age)
    return from_scored(model, scored)


def from_scored(model: core.ModelFile, scored: core.Scored) -> Computed:
    """Wrap a core result (also used by the vectorised batch path)."""
    return Computed(
        probability=scored.probability,
        logit=scored.logit,
        intercept=scored.intercept,
        band=scored.band,
        segment=scored.segment,
        factors=[
            {"factor": c.factor, "value": c.value, "contribution": c.contribution}
            for c in scored.contributions
        ],
        hindering=[
            {"factor": r.factor, "contribution": r.contribution, "nl": r.nl, "en": r.en}
            for r in core.hindering(model, scored)
        ],
        over_55=scored.over_55,
        under_27=scored.under_27,
        model_version=scored.model_version,
        provisional=False,
        questionnaire_version=model.questionnaire_version,
    )


def from_registration(claim: TriageClaim, *, threshold: float) -> Computed:
    """The provisional rule on what registration told."""
    result = provisional.score(
        age=claim.age_at_first_ww_day,
        years_work_history=claim.years_work_history,
        hours_lost_per_week=claim.hours_lost_per_week,
        threshold=threshold,
    )
    return Computed(
        probability=result.probability,
        logit=result.intercept + sum(f.contribution for f in result.factors),
        intercept=result.intercept,
        band=result.band,
        segment=result.segment,
        factors=[
            {"factor": f.factor, "value": f.value, "contribution": f.contribution}
            for f in result.factors
        ],
        hindering=[
            {"factor": f, "contribution": c, "nl": nl, "en": en}
            for f, c, nl, en in provisional.hindering(result)
        ],
        over_55=result.over_55,
        under_27=result.under_27,
        model_version=result.model_version,
        provisional=True,
        questionnaire_version=None,
    )


def compute(
    *,
    claim: TriageClaim,
    questionnaire: QuestionnaireResponse | None,
    model: core.ModelFile | None,
    threshold: float,
) -> Computed:
    """The active model on a complete answer set of its questionnaire version, else provisional."""
    if (
        model is not None
        and questionnaire is not None
        and questionnaire.complete
        and questionnaire.questionnaire_version == model.questionnaire_version
    ):
        return from_model(model, questionnaire.answers, age=claim.age_at_first_ww_day)
    if model is not None and questionnaire is not None and questionnaire.complete:
        log.warning(
            "triage.questionnaire_version_mismatch",
            model_version=model.version,
            questionnaire_version=questionnaire.questionnaire_version,
        )
    return from_registration(claim, threshold=threshold)


def record(
    *,
    uow: UnitOfWork,
    claim: TriageClaim,
    computed: Computed,
    trigger: str,
    questionnaire: QuestionnaireResponse | None,
    now: dt.datetime,
) -> Score:
    """Store a score, bring the claim's current segment up to date, queue triage.scored."""
    row = _score_row(claim, computed, trigger=trigger, questionnaire=questionnaire, now=now)
    repository.add(uow.session, row)
    override = uow.session.get(Override, claim.override_id) if claim.override_id else None
    if override is not None and not survives(
        override_questionnaire_id=override.questionnaire_id,
        score_questionnaire_id=row.questionnaire_id,
    ):
        override = None  # new answers: the new score replaces the human decision (ADR 0012)
    claim.override_id = override.id if override is not None else None
    claim.latest_score_id = row.id
    current = override.segment if override is not None else row.segment
    claim.current_segment = current
    claim.updated_at = now
    uow.publish(
        _scored_event(
            row, computed, current_segment=current, override_in_force=override is not None
        )
    )
    return row


def _score_row(
    claim: TriageClaim,
    computed: Computed,
    *,
    trigger: str,
    questionnaire: QuestionnaireResponse | None,
    now: dt.datetime,
) -> Score:
    assert claim.office_code is not None, "only registered claims are scored"
    answers = questionnaire.answers if questionnaire is not None else {}
    return Score(
        id=uuid.uuid4(),
        claim_id=claim.claim_id,
        office_code=claim.office_code,
        probability=computed.probability,
        band=computed.band.value,
        segment=computed.segment.value,
        model_version=computed.model_version,
        provisional=computed.provisional,
        intercept=computed.intercept,
        logit=computed.logit,
        factors=computed.factors,
        hindering=computed.hindering,
        over_55=computed.over_55,
        under_27=computed.under_27,
        trigger=trigger,
        scored_at=now,
        questionnaire_id=questionnaire.id if questionnaire is not None else None,
        questionnaire_version=computed.questionnaire_version,
        age=claim.age_at_first_ww_day,
        education_level=answers.get("education_level") or claim.education_level,
    )


def _scored_event(
    row: Score, computed: Computed, *, current_segment: str, override_in_force: bool
) -> TriageScored:
    return TriageScored(
        claim_id=row.claim_id,
        score_id=row.id,
        probability=row.probability,
        band=computed.band,
        segment=computed.segment,
        model_version=row.model_version,
        provisional=row.provisional,
        factors=[FactorContribution(**f) for f in row.factors],
        over_55=row.over_55,
        under_27=row.under_27,
        scored_at=row.scored_at,
        trigger=row.trigger,
        logit=computed.logit,
        intercept=computed.intercept,
        hindering=[HinderingFactor(**h) for h in computed.hindering],
        questionnaire_version=computed.questionnaire_version,
        current_segment=Segment(current_segment),
        override_in_force=override_in_force,
    )


def score_claim(
    *,
    uow: UnitOfWork,
    claim: TriageClaim,
    trigger: str,
    threshold: float,
    now: dt.datetime,
) -> Score:
    """Score a registered claim with what is known now (no commit: the caller commits)."""
    questionnaire = repository.answers_in_force(uow.session, claim.claim_id)
    # Without a complete answer set the model does not matter (provisional rule).
    wants_model = questionnaire is not None and questionnaire.complete
    computed = compute(
        claim=claim,
        questionnaire=questionnaire,
        model=registry.active_model(uow=uow) if wants_model else None,
        threshold=threshold,
    )
    return record(
        uow=uow,
        claim=claim,
        computed=computed,
        trigger=trigger,
        questionnaire=questionnaire,
        now=now,
    )


def score_history(*, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal) -> Sequence[Score]:
    """Every score of a visible claim, newest first, audited; 404 if never scored."""
    claim = claims.visible_claim(uow=uow, claim_id=claim_id, principal=principal)
    rows = repository.history(uow.session, claim.claim_id)
    if not rows:
        raise NotFound("no scores for this claim")
    uow.audit(
        actor=principal.as_actor(),
        action="score.read",
        resource_type="claim",
        resource_id=claim_id,
    )
    uow.commit()
    return rows


def latest_score(*, uow: UnitOfWork, claim: TriageClaim) -> Score:
    """The claim's latest score; 404 if it was never scored."""
    row = uow.session.get(Score, claim.latest_score_id) if claim.latest_score_id else None
    if row is None:
        row = repository.latest(uow.session, claim.claim_id)
    if row is None:
        raise NotFound("no scores for this claim")
    return row
