"""Coaching follows intake's claim: a withdrawn claim closes its case, a move changes its office."""

from __future__ import annotations

from coaching.cases import repository
from coaching.cases import service as cases
from coaching.cases.schemas import ClosureResult
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.events.intake import ClaimUpdated, ClaimWithdrawn

INTAKE = Actor(subject="intake", kind="application", roles=())


def handle_claim_withdrawn(event: Event[ClaimWithdrawn], uow: UnitOfWork) -> None:
    """claim.withdrawn: close the open case (result `other`, reported by the claimant).

    The `case.closed` this publishes finds the claim already withdrawn in intake, which
    leaves it as it is: no loop.
    """
    withdrawn = event.data
    case = repository.by_claim(uow.session, withdrawn.claim_id)
    if case is None or case.status != "open":
        return
    today = withdrawn.withdrawn_at.date()
    closed_on = max(today, case.first_ww_day) if case.first_ww_day else today
    cases.close_case(
        uow=uow,
        case=case,
        result=ClosureResult.OTHER,
        closed_on=closed_on,
        reported_by="claimant",
        note=f"claim withdrawn ({withdrawn.reason_code})",
        actor=INTAKE,
        today=closed_on,
    )


def handle_claim_updated(event: Event[ClaimUpdated], uow: UnitOfWork) -> None:
    """claim.updated: a move to another office's area moves the case's office too."""
    updated = event.data
    if updated.office_code is None:
        return
    case = repository.by_claim(uow.session, updated.claim_id)
    if case is None or case.office_code == updated.office_code:
        return
    old = case.office_code
    case.office_code = updated.office_code
    uow.audit(
        actor=INTAKE,
        action="case.office_changed",
        resource_type="case",
        resource_id=case.id,
        old={"office_code": old},
        new={"office_code": case.office_code},
        reason="the claimant moved",
    )
