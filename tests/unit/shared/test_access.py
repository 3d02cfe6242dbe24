"""Need to know (ADR 0022): the staff identity checks and the break-glass reason."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.requests import Request

from shared.web.access import (
    CoachStatus,
    DeactivatedCoachError,
    TeamLeadWithoutOfficeError,
    UnknownCoachError,
    break_glass_reason,
    check_staff_identity,
    require_break_glass_role,
)
from shared.web.problems import Forbidden, InvalidField

KNOWN, GONE = uuid.uuid4(), uuid.uuid4()
ROSTER = {KNOWN: CoachStatus("AMS", True), GONE: CoachStatus("AMS", False)}


class _Session:
    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *_: Any) -> None:
        return None


def _check(*roles: str, subject: str = "x", office: str | None = "AMS") -> None:
    check_staff_identity(
        roles=frozenset(roles),
        subject=subject,
        office=office,
        directory=lambda _s, coach_id: ROSTER.get(coach_id),
        session_factory=_Session,  # type: ignore[arg-type]
    )


def test_a_known_active_coach_passes_and_others_are_refused() -> None:
    _check("coach", subject=str(KNOWN))
    with pytest.raises(UnknownCoachError, match="unknown"):
        _check("coach", subject=str(uuid.uuid4()))
    with pytest.raises(UnknownCoachError, match="unknown"):
        _check("coach", subject="not-a-uuid")
    with pytest.raises(DeactivatedCoachError, match="deactivated"):
        _check("coach", subject=str(GONE))
    with pytest.raises(UnknownCoachError):  # the coach role is checked whatever else it holds
        _check("coach", "benefits_officer", subject="officer-1")
    _check("benefits_officer", subject="officer-1")  # no coach role: no roster look-up


def test_a_team_lead_needs_an_office() -> None:
    _check("team_lead", office="RTD")
    with pytest.raises(TeamLeadWithoutOfficeError, match="office"):
        _check("team_lead", office=None)
    _check("team_lead", "admin", office=None)
    _check("admin", office=None)


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_break_glass_reason_is_validated() -> None:
    assert break_glass_reason(_request({})) is None
    reason = "  De klant   belt over zijn afspraak "
    assert break_glass_reason(_request({"X-Break-Glass-Reason": reason})) == (
        "De klant belt over zijn afspraak"
    )
    for bad in ("", "te kort", "x" * 501, "BSN 111 222 333 van de klant"):
        with pytest.raises(InvalidField) as exc:
            break_glass_reason(_request({"X-Break-Glass-Reason": bad}))
        assert exc.value.extra["errors"][0]["field"] == "header.X-Break-Glass-Reason"


def test_break_glass_is_for_coaches_and_team_leads_reading() -> None:
    require_break_glass_role(frozenset({"coach"}))
    require_break_glass_role(frozenset({"team_lead"}))
    for roles in ({"admin"}, {"benefits_officer"}, {"claimant"}, set()):
        with pytest.raises(Forbidden):
            require_break_glass_role(frozenset(roles))
    with pytest.raises(Forbidden, match="reads only"):
        require_break_glass_role(frozenset({"coach"}), read=False)
