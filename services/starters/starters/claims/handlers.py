"""Keep the claims read model current."""

from __future__ import annotations

from typing import Any

from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from starters.claims.models import KnownClaim


def _get_or_new(uow: UnitOfWork, claim_id: Any) -> KnownClaim:
    claim = uow.session.get(KnownClaim, claim_id)
    if claim is None:
        claim = KnownClaim(claim_id=claim_id)
        uow.session.add(claim)
    return claim


def handle_claim_registered(event: Event[Any], uow: UnitOfWork) -> None:
    """Remember the claim's first WW day (applications must start on or after it)."""
    claim = _get_or_new(uow, event.data.claim_id)
    claim.office_code = event.data.office_code
    claim.first_ww_day = event.data.first_ww_day
    claim.claimant_subject = event.data.claimant_subject
    claim.updated_at = utcnow()


def handle_case_closed(event: Event[Any], uow: UnitOfWork) -> None:
    """A closed case ends new applications for the claim."""
    claim = _get_or_new(uow, event.data.claim_id)
    claim.case_closed_at = event.data.closed_at
    claim.case_result = event.data.result
    claim.updated_at = utcnow()


def handle_case_reopened(event: Event[Any], uow: UnitOfWork) -> None:
    """A reopened case (e.g. after a revival) runs again."""
    claim = _get_or_new(uow, event.data.claim_id)
    claim.case_closed_at = None
    claim.case_result = None
    if event.data.coach_id is not None:
        claim.coach_id = event.data.coach_id
    claim.updated_at = utcnow()


def handle_case_coach(event: Event[Any], uow: UnitOfWork) -> None:
    """case.assigned / case.transferred: the case's coach reads the claim's applications."""
    claim = _get_or_new(uow, event.data.claim_id)
    coach = getattr(event.data, "to_coach_id", None) or getattr(event.data, "coach_id", None)
    if coach is not None:
        claim.coach_id = coach
    claim.updated_at = utcnow()
