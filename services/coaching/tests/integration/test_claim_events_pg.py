"""Coaching follows intake's claim (issue 12, items 1 and 10): a withdrawn claim closes its
case (whose case.closed intake then ignores), a move changes the case's office."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from coaching.handlers import HANDLERS
from shared.clock import local_today
from shared.events.envelope import Event, EventPayload
from shared.events.intake import ClaimUpdated, ClaimWithdrawn
from tests.support.coaching import Office, office

pytestmark = pytest.mark.integration
__all__ = ["office"]


def _deliver(office: Office, payload: EventPayload) -> None:
    with office.container.uow() as uow:
        HANDLERS[type(payload).event_type](Event.create(payload), uow)
        uow.commit()


def _withdrawn(claim_id: uuid.UUID) -> ClaimWithdrawn:
    return ClaimWithdrawn(
        claim_id=claim_id,
        reason_code="found_work",
        withdrawn_at=dt.datetime.now(dt.UTC),
        by="claimant",
    )


def test_a_withdrawn_claim_closes_its_case_once(office: Office) -> None:
    coach = office.coach("Anouk", 36)
    (claim,) = office.cases(1, coach_id=coach, assignment_status="assigned", segment="personal")
    _deliver(office, _withdrawn(claim))
    _deliver(office, _withdrawn(claim))  # a redelivery closes nothing twice
    case = office.case(claim)
    assert (case.status, case.closure_result, case.closed_on) == ("closed", "other", local_today())
    assert "found_work" in (case.closure_note or "")
    (closed,) = office.published("case.closed")
    assert (closed["result"], closed["reported_by"]) == ("other", "claimant")


def test_a_withdrawal_before_the_first_ww_day_closes_on_that_day(office: Office) -> None:
    first = local_today() + dt.timedelta(days=10)
    (claim,) = office.cases(1, first_ww_day=first)
    _deliver(office, _withdrawn(claim))
    assert office.case(claim).closed_on == first


def test_a_move_changes_the_case_office(office: Office) -> None:
    (claim,) = office.cases(1, office="AMS")
    now = dt.datetime.now(dt.UTC)
    _deliver(office, ClaimUpdated(claim_id=claim, changed_fields=["phone"], updated_at=now))
    assert office.case(claim).office_code == "AMS"
    _deliver(
        office,
        ClaimUpdated(
            claim_id=claim,
            changed_fields=["office_code", "postcode"],
            office_code="RTD",
            updated_at=now,
        ),
    )
    assert office.case(claim).office_code == "RTD"
    ((old, new),) = office.sql(
        "SELECT old_values, new_values FROM audit_log WHERE action = 'case.office_changed'"
    )
    assert (old, new) == ({"office_code": "AMS"}, {"office_code": "RTD"})
