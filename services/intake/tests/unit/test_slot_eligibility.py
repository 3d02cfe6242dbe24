"""The one slot-eligibility rule (issue 12, items 4-6 and 9; ADR 0017), without a database."""

from __future__ import annotations

import datetime as dt
import uuid

from hypothesis import given
from hypothesis import strategies as st

from intake.agendas.rules import local_day, local_to_utc
from intake.appointments import rules
from intake.appointments.rules import SlotView, Window, refusal

DAY = dt.date(2026, 12, 8)  # a Tuesday
NOW = local_to_utc(DAY, dt.time(10, 0))
CURRENT, CANCELLED = uuid.UUID(int=1), uuid.UUID(int=2)


def _window(**overrides: object) -> Window:
    values: dict[str, object] = {
        "reach": {"AMS": 0, "ZAA": 25},
        "now": NOW,
        "not_before": NOW,
        "last_day": DAY + dt.timedelta(days=3),
        "excluded": frozenset({CANCELLED}),
        "current": CURRENT,
    }
    values.update(overrides)
    return Window(**values)  # type: ignore[arg-type]


def _slot(hours: float = 24, **overrides: object) -> SlotView:
    values: dict[str, object] = {
        "slot_id": uuid.UUID(int=99),
        "office_code": "AMS",
        "starts_at": NOW + dt.timedelta(hours=hours),
    }
    values.update(overrides)
    return SlotView(**values)  # type: ignore[arg-type]


def test_each_reason() -> None:
    w = _window(not_before=local_to_utc(DAY + dt.timedelta(days=1), dt.time(0)))
    assert refusal(_slot(), w) is None
    assert refusal(_slot(office_code="RTD"), w) == rules.OUT_OF_REACH
    assert refusal(_slot(slot_id=CURRENT), w) == rules.CURRENT_SLOT
    assert refusal(_slot(open=False), w) == rules.NOT_OPEN
    assert refusal(_slot(hours=-1), w) == rules.IN_THE_PAST
    assert refusal(_slot(hours=0), w) == rules.IN_THE_PAST  # starting now is too late
    assert refusal(_slot(slot_id=CANCELLED), w) == rules.CANCELLED_BY_CLAIMANT_SLOT
    assert refusal(_slot(hours=2), w) == rules.TOO_EARLY  # later today, before the notice
    assert refusal(_slot(hours=24 * 5), w) == rules.BEYOND_DEADLINE
    assert refusal(_slot(taken=True), w) == rules.ALREADY_BOOKED
    assert set(rules.REFUSAL_DETAILS) >= {
        rules.OUT_OF_REACH,
        rules.NOT_OPEN,
        rules.IN_THE_PAST,
        rules.CURRENT_SLOT,
        rules.CANCELLED_BY_CLAIMANT_SLOT,
        rules.TOO_EARLY,
        rules.BEYOND_DEADLINE,
        rules.ALREADY_BOOKED,
        rules.JUST_TAKEN,
    }


def test_the_earliest_allowed_start_is_allowed() -> None:
    start = NOW + dt.timedelta(hours=3)
    assert refusal(_slot(hours=3), _window(not_before=start)) is None


def test_part_of_day_is_local_time() -> None:
    assert rules.part_of_day(local_to_utc(DAY, dt.time(11, 59))) == rules.MORNING
    assert rules.part_of_day(local_to_utc(DAY, dt.time(12, 0))) == rules.AFTERNOON
    summer = dt.date(2026, 7, 1)  # UTC+2: 11:30 local is 09:30 UTC
    assert rules.part_of_day(local_to_utc(summer, dt.time(11, 30))) == rules.MORNING


def test_a_cancelled_appointment_allows_only_picking_a_new_slot() -> None:
    kwargs = {
        "status": "cancelled_by_claimant",
        "starts_at": NOW + dt.timedelta(days=1),
        "now": NOW,
        "cutoff": dt.timedelta(hours=4),
    }
    assert rules.allowed_actions(staff=False, **kwargs) == []  # type: ignore[arg-type]
    for staff in (False, True):
        allowed = rules.allowed_actions(staff=staff, rebookable=True, **kwargs)  # type: ignore[arg-type]
        assert allowed == [rules.RESCHEDULE]
    service = {**kwargs, "status": "cancelled_by_service"}
    assert rules.allowed_actions(staff=True, rebookable=True, **service) == []  # type: ignore[arg-type]


_offices = st.sampled_from(["AMS", "ZAA", "RTD"])
_hours = st.integers(min_value=-48, max_value=24 * 8)
_ids = st.sampled_from([uuid.UUID(int=i) for i in range(1, 6)])


@given(
    slot_id=_ids,
    office=_offices,
    hours=_hours,
    is_open=st.booleans(),
    taken=st.booleans(),
    lead_hours=st.integers(min_value=0, max_value=24 * 4),
    days=st.integers(min_value=0, max_value=6),
    excluded=st.frozensets(_ids, max_size=3),
    current=st.one_of(st.none(), _ids),
)
def test_refused_exactly_when_a_condition_fails(
    slot_id: uuid.UUID,
    office: str,
    hours: int,
    is_open: bool,
    taken: bool,
    lead_hours: int,
    days: int,
    excluded: frozenset[uuid.UUID],
    current: uuid.UUID | None,
) -> None:
    """None iff every condition holds; a reason is always one with a detail."""
    window = _window(
        not_before=NOW + dt.timedelta(hours=lead_hours),
        last_day=DAY + dt.timedelta(days=days),
        excluded=excluded,
        current=current,
    )
    slot = SlotView(slot_id, office, NOW + dt.timedelta(hours=hours), open=is_open, taken=taken)
    ok = (
        office in window.reach
        and slot_id != current
        and is_open
        and slot.starts_at > NOW
        and slot_id not in excluded
        and slot.starts_at >= window.not_before
        and local_day(slot.starts_at) <= window.last_day
        and not taken
    )
    reason = refusal(slot, window)
    assert (reason is None) == ok
    assert reason is None or reason in rules.REFUSAL_DETAILS
