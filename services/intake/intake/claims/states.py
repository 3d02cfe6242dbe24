"""The claim's life as a small pure state machine: which action is allowed in which state."""

from __future__ import annotations

OPEN = "open"
CLOSED = "closed"
WITHDRAWN = "withdrawn"
STATUSES = (OPEN, CLOSED, WITHDRAWN)

CLOSE = "close"
REOPEN = "reopen"
WITHDRAW = "withdraw"
UPDATE = "update"

# A withdrawn claim is final: the claimant registers a new claim instead (ADR 0015).
_TRANSITIONS: dict[str, dict[str, str]] = {
    OPEN: {CLOSE: CLOSED, WITHDRAW: WITHDRAWN, UPDATE: OPEN},
    CLOSED: {REOPEN: OPEN},
    WITHDRAWN: {},
}


class TransitionNotAllowed(Exception):
    """The action is impossible in the claim's current state."""

    def __init__(self, status: str, action: str) -> None:
        self.status = status
        self.action = action
        self.allowed = allowed_actions(status)
        super().__init__(f"'{action}' is not allowed on a {status} claim")


def allowed_actions(status: str) -> list[str]:
    """The actions a claim in this state allows, sorted."""
    return sorted(_TRANSITIONS.get(status, {}))


def next_status(status: str, action: str) -> str:
    """The state after the action; raises `TransitionNotAllowed` for an impossible one."""
    try:
        return _TRANSITIONS[status][action]
    except KeyError:
        raise TransitionNotAllowed(status, action) from None
