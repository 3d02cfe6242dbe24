"""Who may see a claim's triage (ADR 0012): the row-level rule, without I/O."""

from __future__ import annotations

import uuid

import pytest

from shared.web.auth import Principal
from triage.claims.models import TriageClaim
from triage.claims.service import visible_to

COACH = uuid.uuid4()
CLAIM = TriageClaim(
    claim_id=uuid.uuid4(),
    registered=True,
    office_code="AMS",
    claimant_subject="claimant-noor",
    intake_coach_id=COACH,
)


def _p(*roles: str, sub: str = "someone", office: str | None = None) -> Principal:
    return Principal(subject=sub, kind="user", roles=frozenset(roles), office=office)


@pytest.mark.parametrize(
    ("principal", "visible"),
    [
        (_p("admin"), True),
        (_p("triage_analyst"), True),
        (_p("team_lead", office="AMS"), True),
        (_p("team_lead", office="RTD"), False),
        (_p("team_lead"), False),
        (_p("coach", sub=str(COACH)), True),
        (_p("coach", sub=str(uuid.uuid4())), False),
        (_p("claimant", sub="claimant-noor"), True),
        (_p("claimant", sub="claimant-piet"), False),
        (_p("benefits_officer"), False),
        (_p("coach", "claimant", sub="claimant-noor"), True),
        (_p(sub="claimant-noor"), False),
    ],
)
def test_visibility(principal: Principal, visible: bool) -> None:
    assert visible_to(principal, CLAIM) is visible


def test_a_claim_without_subject_or_coach_is_staff_only() -> None:
    claim = TriageClaim(claim_id=uuid.uuid4(), registered=True, office_code="AMS")
    assert not visible_to(_p("claimant", sub="claimant-noor"), claim)
    assert not visible_to(_p("coach", sub="None"), claim)
    assert visible_to(_p("triage_analyst"), claim)
