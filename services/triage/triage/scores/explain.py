"""Explanations: the current score of a claim, every factor labelled, in Dutch or English."""

from __future__ import annotations

import math
import uuid
from typing import Any

from shared.db.uow import UnitOfWork
from shared.web.auth import Principal
from triage.claims import service as claims
from triage.overrides.models import Override
from triage.registry import repository as registry_repository
from triage.registry import service as registry
from triage.scores import provisional
from triage.scores import service as scores
from triage.scores.models import Score
from triage.scores.schemas import (
    ContributionRead,
    ExplanationRead,
    FactorRead,
    HinderingRead,
    HinderingTextRead,
    OverrideInForceRead,
    ScoreRead,
)
from triage.scoring.value_labels import reason_texts, value_label

_SEGMENT_TEXT = {
    "nl": {
        "personal": "persoonlijke dienstverlening met een coach",
        "digital": "digitale dienstverlening",
    },
    "en": {"personal": "personal service with a coach", "digital": "digital service"},
}


def logit_of(score: Score) -> float:
    """The stored logit, or intercept + Σ contributions for scores stored before it was kept."""
    if score.logit is not None:
        return score.logit
    return score.intercept + math.fsum(float(f["contribution"]) for f in score.factors)


def labels_of(uow: UnitOfWork, score: Score) -> dict[str, tuple[str, str]]:
    """(nl, en) label per factor of the model that made the score."""
    if score.provisional:
        return dict(provisional.LABELS)
    row = registry_repository.get(uow.session, score.model_version)
    if row is None:
        return {}
    return {f.name: (f.labels.nl, f.labels.en) for f in registry.model_file_of(row).features}


def hindering_of(score: Score, labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The stored top three, or (older scores) the three most negative contributions."""
    if score.hindering is not None:
        return list(score.hindering)
    worst = sorted(
        (f for f in score.factors if f["contribution"] < 0), key=lambda f: f["contribution"]
    )[:3]
    out = []
    for f in worst:
        nl, en = labels.get(f["factor"], (f["factor"], f["factor"]))
        text_nl, text_en = reason_texts(f["factor"], nl, en, str(f["value"]))
        out.append(
            {
                "factor": f["factor"],
                "contribution": f["contribution"],
                "nl": text_nl,
                "en": text_en,
            }
        )
    return out


def _hindering_text(
    h: dict[str, Any], labels: dict[str, tuple[str, str]], values: dict[str, str], lang: str
) -> str:
    """The sentence in `lang`, rebuilt from the factor's value: scores stored before the
    value labels carry sentences with raw codes in them."""
    factor = h["factor"]
    if factor in labels and factor in values:
        nl, en = reason_texts(factor, *labels[factor], values[factor])
        return nl if lang == "nl" else en
    return str(h[lang])


def to_read(score: Score, hindering: list[dict[str, Any]] | None = None) -> ScoreRead:
    """Response model of a score."""
    return ScoreRead(
        id=score.id,
        claim_id=score.claim_id,
        probability=score.probability,
        band=score.band,
        segment=score.segment,
        model_version=score.model_version,
        provisional=score.provisional,
        intercept=score.intercept,
        logit=logit_of(score),
        factors=[FactorRead(**f) for f in score.factors],
        hindering=[
            HinderingRead(**h)
            for h in (hindering if hindering is not None else score.hindering or [])
        ],
        over_55=score.over_55,
        under_27=score.under_27,
        trigger=score.trigger,
        questionnaire_id=score.questionnaire_id,
        questionnaire_version=score.questionnaire_version,
        scored_at=score.scored_at,
    )


def explain(
    *, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal, lang: str
) -> ExplanationRead:
    """The claim's current score explained in `lang` (nl or en); audited as a read."""
    claim = claims.visible_claim(uow=uow, claim_id=claim_id, principal=principal)
    score = scores.latest_score(uow=uow, claim=claim)
    labels = labels_of(uow, score)
    override = uow.session.get(Override, claim.override_id) if claim.override_id else None
    current = claim.current_segment or score.segment
    result = ExplanationRead(
        claim_id=claim.claim_id,
        score_id=score.id,
        lang="nl" if lang == "nl" else "en",
        summary=_summary(score, current, decided_by_staff=override is not None, lang=lang),
        probability=score.probability,
        band=score.band,
        segment=score.segment,
        current_segment=current,
        override=_override_read(override) if override is not None else None,
        model_version=score.model_version,
        provisional=score.provisional,
        trigger=score.trigger,
        scored_at=score.scored_at,
        intercept=score.intercept,
        logit=logit_of(score),
        contributions=_contributions(score, labels, lang),
        hindering=_hindering(score, labels, lang),
        over_55=score.over_55,
        under_27=score.under_27,
    )
    uow.audit(
        actor=principal.as_actor(),
        action="score.read",
        resource_type="claim",
        resource_id=claim.claim_id,
        new={"view": "explanation", "score_id": str(score.id)},
    )
    uow.commit()
    return result


def _summary(score: Score, current: str, *, decided_by_staff: bool, lang: str) -> str:
    """One sentence: the chance of work, the band and the segment in force."""
    pct = round(score.probability * 100)
    if lang == "nl":
        return (
            f"Kans op werk binnen een jaar: {pct}% (band {score.band}). "
            f"Segment: {_SEGMENT_TEXT['nl'][current]}"
            + (" (besluit van een medewerker)." if decided_by_staff else ".")
        )
    return (
        f"Chance of work within a year: {pct}% (band {score.band}). "
        f"Segment: {_SEGMENT_TEXT['en'][current]}"
        + (" (decided by a member of staff)." if decided_by_staff else ".")
    )


def _override_read(override: Override) -> OverrideInForceRead:
    return OverrideInForceRead(
        override_id=override.id,
        segment=override.segment,
        reason_category=override.reason_category,
        overridden_by_role=override.overridden_by_role,
        overridden_at=override.overridden_at,
    )


def _label(labels: dict[str, tuple[str, str]], factor: str, lang: str) -> str:
    return labels.get(factor, (factor, factor))[0 if lang == "nl" else 1]


def _contributions(
    score: Score, labels: dict[str, tuple[str, str]], lang: str
) -> list[ContributionRead]:
    """Every factor's contribution, labelled in `lang`."""
    return [
        ContributionRead(
            factor=f["factor"],
            label=_label(labels, f["factor"], lang),
            value=f["value"],
            value_label=value_label(f["factor"], str(f["value"]), lang),
            contribution=f["contribution"],
        )
        for f in score.factors
    ]


def _hindering(
    score: Score, labels: dict[str, tuple[str, str]], lang: str
) -> list[HinderingTextRead]:
    """The top three hindering factors, each with its sentence in `lang`."""
    values = {f["factor"]: str(f["value"]) for f in score.factors}
    return [
        HinderingTextRead(
            factor=h["factor"],
            label=_label(labels, h["factor"], lang),
            contribution=h["contribution"],
            text=_hindering_text(h, labels, values, lang),
        )
        for h in hindering_of(score, labels)
    ]
