"""Batch re-scoring rules: the open claims in claim-id order, one transaction per chunk.

Each chunk's scores, their `triage.scored` events (trigger `batch`) and the run's cursor
are committed together, so an interrupted run resumes after the last committed claim and
never scores a claim twice. Claims without a complete answer set are skipped: their
provisional score does not depend on the model. A re-score keeps an override in force
(same answers; ADR 0012).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.web.problems import Conflict
from triage.batch import repository, vectorised
from triage.batch.models import FINISHED, RUNNING, BatchRun
from triage.claims import repository as claims
from triage.questionnaires import repository as questionnaires
from triage.registry import repository as registry_repository
from triage.registry import service as registry
from triage.scores import service as scores
from triage.scoring import model as core

ABANDONED = "abandoned"


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk did."""

    claims: int
    scored: int
    skipped: int
    done: bool


def start(
    *, uow: UnitOfWork, chunk_size: int, actor: Actor, restart: bool, now: dt.datetime
) -> BatchRun:
    """A new run with the active model; 409 while an unfinished run exists (unless restart)."""
    previous = repository.unfinished(uow.session)
    if previous is not None:
        if not restart:
            raise Conflict(
                f"run {previous.id} did not finish; resume it (--resume) or start over (--restart)"
            )
        previous.status = ABANDONED
        previous.updated_at = now
    active = registry_repository.active(uow.session)
    if active is None:
        raise Conflict("no model version is active")
    run = BatchRun(
        id=uuid.uuid4(),
        model_version=active.version,
        status=RUNNING,
        cursor_claim_id=None,
        total=claims.count_open(uow.session),
        scored=0,
        skipped=0,
        chunk_size=chunk_size,
        started_by=actor.subject,
        started_at=now,
        updated_at=now,
    )
    repository.add(uow.session, run)
    uow.audit(
        actor=actor,
        action="batch.start",
        resource_type="batch_run",
        resource_id=run.id,
        new={"model_version": run.model_version, "total": run.total},
    )
    uow.commit()
    return run


def resume(*, uow: UnitOfWork) -> BatchRun:
    """The unfinished run to continue; 409 if none, or if its model is no longer active."""
    run = repository.unfinished(uow.session)
    if run is None:
        raise Conflict("there is no unfinished run to resume")
    active = registry_repository.active(uow.session)
    if active is None or active.version != run.model_version:
        raise Conflict(
            f"run {run.id} scores with {run.model_version}, which is no longer active; "
            "start over (--restart)"
        )
    return run


def model_of(*, uow: UnitOfWork, run: BatchRun) -> core.ModelFile:
    """The model file a run scores with."""
    row = registry_repository.get(uow.session, run.model_version)
    assert row is not None, "a run's model version is registered"
    return registry.model_file_of(row)


def score_chunk(
    *,
    uow: UnitOfWork,
    run_id: uuid.UUID,
    model: core.ModelFile,
    vectorise: bool | None = None,
) -> ChunkResult:
    """Score the next chunk of the run and commit it with the run's new cursor."""
    run = uow.session.get(BatchRun, run_id)
    assert run is not None
    now = utcnow()
    batch = claims.open_claims_after(uow.session, after=run.cursor_claim_id, limit=run.chunk_size)
    if not batch:
        run.status = FINISHED
        run.finished_at = now
        run.updated_at = now
        uow.commit()
        return ChunkResult(claims=0, scored=0, skipped=0, done=True)
    latest = questionnaires.latest_for(uow.session, [c.claim_id for c in batch])
    eligible = []
    for claim in batch:
        answers = latest.get(claim.claim_id)
        if (
            answers is not None
            and answers.complete
            and answers.questionnaire_version == model.questionnaire_version
        ):
            eligible.append((claim, answers))
    computed = vectorised.score_many(
        model,
        [(answers.answers, claim.age_at_first_ww_day) for claim, answers in eligible],
        vectorised=vectorise,
    )
    for (claim, answers), result in zip(eligible, computed, strict=True):
        scores.record(
            uow=uow,
            claim=claim,
            computed=result,
            trigger=scores.BATCH,
            questionnaire=answers,
            now=now,
        )
    run.cursor_claim_id = batch[-1].claim_id
    run.scored += len(eligible)
    run.skipped += len(batch) - len(eligible)
    run.updated_at = now
    uow.commit()
    return ChunkResult(
        claims=len(batch),
        scored=len(eligible),
        skipped=len(batch) - len(eligible),
        done=False,
    )
