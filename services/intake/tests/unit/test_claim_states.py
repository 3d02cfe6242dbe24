"""The claim's state machine (issue 12, item 1): which action each state allows."""

from __future__ import annotations

import pytest

from intake.claims import states


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        ("open", "close", "closed"),
        ("open", "withdraw", "withdrawn"),
        ("open", "update", "open"),
        ("closed", "reopen", "open"),
    ],
)
def test_allowed_transitions(status: str, action: str, after: str) -> None:
    assert states.next_status(status, action) == after


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("open", "reopen"),
        ("closed", "close"),
        ("closed", "withdraw"),
        ("closed", "update"),
        ("withdrawn", "reopen"),
        ("withdrawn", "update"),
        ("withdrawn", "close"),
    ],
)
def test_impossible_transitions_name_the_state_and_what_is_allowed(
    status: str, action: str
) -> None:
    with pytest.raises(states.TransitionNotAllowed) as exc:
        states.next_status(status, action)
    assert exc.value.status == status
    assert exc.value.allowed == states.allowed_actions(status)


def test_allowed_actions_per_state() -> None:
    assert states.allowed_actions("open") == ["close", "update", "withdraw"]
    assert states.allowed_actions("closed") == ["reopen"]
    assert states.allowed_actions("withdrawn") == []
    assert set(states.STATUSES) == {"open", "closed", "withdrawn"}
