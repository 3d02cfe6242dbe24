"""Time-in-WW re-triage: once per claim, after `retriage_after_weeks` (default 13) in WW.

Triage does not learn yet that a claimant found work (no event tells it), so "in WW without
work" means: registered, open, first WW day at least the configured weeks ago, and not
re-triaged for time before. Idempotent and safe to overlap: each claim is taken once
(`time_retriaged_at`, and `FOR UPDATE SKIP LOCKED` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.clock import local_today
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from triage.claims import repository as claims
from triage.scores import service as scores
from triage.settings import TriageSettings


@dataclass(frozen=True)
class RetriageRun:
    """The outcome of one run."""

    rescored: int
    cutoff: dt.date
    more: bool


def cutoff_for(today: dt.date, *, weeks: int) -> dt.date:
    """Claims whose first WW day is on or before this day are due."""
    return today - dt.timedelta(weeks=weeks)


def run_time_retriage(
    *,
    uow: UnitOfWork,
    today: dt.date,
    weeks: int,
    limit: int,
    threshold: float,
    actor: Actor,
    now: dt.datetime,
) -> RetriageRun:
    """Re-triage every due claim (up to `limit`) with what is known now; one commit."""
    cutoff = cutoff_for(today, weeks=weeks)
    due = claims.due_for_time_retriage(uow.session, first_ww_day_on_or_before=cutoff, limit=limit)
    for claim in due:
        scores.score_claim(
            uow=uow, claim=claim, trigger=scores.TIME_IN_WW, threshold=threshold, now=now
        )
        claim.time_retriaged_at = now
    if due:
        uow.audit(
            actor=actor,
            action="retriage.run",
            resource_type="claims",
            resource_id=scores.TIME_IN_WW,
            new={"rescored": len(due), "first_ww_day_on_or_before": cutoff.isoformat()},
        )
    uow.commit()
    return RetriageRun(rescored=len(due), cutoff=cutoff, more=len(due) == limit)


def run_due(
    *, uow: UnitOfWork, settings: TriageSettings, actor: Actor, now: dt.datetime
) -> RetriageRun:
    """One run on the service's settings, for the Dutch calendar day of `now`: what the admin
    endpoint does once and `ww jobs retriage` until nothing is due."""
    return run_time_retriage(
        uow=uow,
        today=local_today(now),
        weeks=settings.retriage_after_weeks,
        limit=settings.retriage_run_limit,
        threshold=settings.segment_threshold,
        actor=actor,
        now=now,
    )
