"""Which actions an appointment allows, by status, time and caller (pure rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from intake.appointments.rules import allowed_actions

START = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
CUTOFF = dt.timedelta(hours=4)


@pytest.mark.parametrize(
    ("status", "hours_before", "staff", "expected"),
    [
        ("booked", 5, False, ["reschedule", "cancel"]),
        ("booked", 3, False, ["cancel"]),
        ("rescheduled", 4, False, ["cancel"]),  # exactly at the cutoff: too late
        ("booked", -1, False, []),
        ("booked", 1, True, ["reschedule", "cancel_by_service"]),
        ("rescheduled", 0, True, ["cancel_by_service", "no_show", "complete"]),
        ("completed", -1, True, []),
        ("no_show", -1, True, []),
        ("cancelled_by_claimant", 5, False, []),
    ],
)
def test_allowed_actions(
    status: str, hours_before: float, staff: bool, expected: list[str]
) -> None:
    now = START - dt.timedelta(hours=hours_before)
    assert (
        allowed_actions(status=status, starts_at=START, now=now, staff=staff, cutoff=CUTOFF)
        == expected
    )
