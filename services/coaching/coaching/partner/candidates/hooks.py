"""Keeping partner profiles in step with their case (called from `coaching.cases.service`).

Kept apart from `service.py`, which imports the case rules: this module imports nothing
of `coaching.cases.service`, so the case rules can import it without a cycle.
"""

from __future__ import annotations

from coaching.cases.models import Case
from coaching.partner.candidates import repository
from coaching.partner.candidates.models import NONE
from coaching.partner.webhooks import service as webhooks
from coaching.partner.webhooks.models import CANDIDATE_UNAVAILABLE
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork


def on_case_status_changed(uow: UnitOfWork, case: Case) -> None:
    """After a case closed or reopened (same transaction, after the status change): the
    profile follows the case's status; a profile that stops being findable queues
    `candidate.unavailable` for the agencies that saw it. Idempotent."""
    profile = repository.profile_of_case(uow.session, case.id)
    if profile is None:
        return
    is_open = case.status == "open"
    searchable = is_open and profile.visibility != NONE
    if profile.case_open == is_open and profile.searchable == searchable:
        return
    was_searchable = profile.searchable
    now = utcnow()
    profile.case_open = is_open
    profile.searchable = searchable
    profile.updated_at = now
    if was_searchable and not searchable:
        webhooks.notify_viewers(
            uow=uow,
            candidate_ref=profile.candidate_ref,
            event_type=CANDIDATE_UNAVAILABLE,
            occurred_at=now,
        )
