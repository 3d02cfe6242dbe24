"""Slot cutting and the booking choice without I/O, including a brute-force property test.

Dates in 2026: Monday 1 June is a plain working week; Monday 25 May is Whit Monday; the
clocks go back on Sunday 25 October (CET from then on).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.agendas.rules import (
    BlockSpec,
    DayRange,
    SlotSpec,
    block_problems,
    cut_slots,
    local_day,
    local_to_utc,
)
from intake.appointments.rules import Candidate, UnavailableTime, choose, feasible, rank
from intake.calendar.rules import WorkingDays

T = dt.time
D = dt.date
UTC = dt.UTC
_WD = WorkingDays()


def _working(day: dt.date, office: str) -> bool:
    return _WD.is_working_day(day)


def _cut(
    blocks: list[BlockSpec], exceptions: Sequence[DayRange] = (), **kw: object
) -> list[SlotSpec]:
    args: dict[str, object] = {
        "first": D(2026, 5, 25),
        "last": D(2026, 6, 7),
        "is_working_day": _working,
        "slot_minutes": 45,
        "buffer_minutes": 15,
    }
    args.update(kw)
    return cut_slots(blocks, exceptions, **args)  # type: ignore[arg-type]


def test_a_block_is_cut_on_one_grid_of_slot_plus_buffer_in_local_time() -> None:
    slots = _cut([BlockSpec(0, T(9), T(12), "AMS")])
    # 25 May is Whit Monday: only Monday 1 June; 09:00, 10:00, 11:00 CEST = 07, 08, 09 UTC.
    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (dt.datetime(2026, 6, 1, h, tzinfo=UTC), dt.datetime(2026, 6, 1, h, 45, tzinfo=UTC))
        for h in (7, 8, 9)
    ]
    assert {s.office_code for s in slots} == {"AMS"}


def test_a_remainder_shorter_than_a_slot_is_not_a_slot() -> None:
    # Two Tuesdays in the range.
    assert len(_cut([BlockSpec(1, T(9), T(10, 40), "AMS")])) == 2  # 09:00-09:45 only
    assert len(_cut([BlockSpec(1, T(9), T(10, 45), "AMS")])) == 4  # 10:00-10:45 fits exactly


def test_exceptions_and_non_working_days_have_no_slots() -> None:
    blocks = [BlockSpec(d, T(9), T(10), "AMS") for d in range(7)]
    slots = _cut(blocks, [DayRange(D(2026, 6, 2), D(2026, 6, 3))])
    days = sorted({local_day(s.starts_at) for s in slots})
    # Week of 25 May without Whit Monday and the weekends; week of 1 June without 2-3 June.
    assert days == [D(2026, 5, d) for d in (26, 27, 28, 29)] + [D(2026, 6, d) for d in (1, 4, 5)]


def test_office_closures_come_from_the_calendar_per_block_office() -> None:
    def closed_ams(day: dt.date, office: str) -> bool:
        return _working(day, office) and not (office == "AMS" and day == D(2026, 6, 1))

    slots = _cut(
        [BlockSpec(0, T(9), T(10), "AMS"), BlockSpec(0, T(13), T(14), "ZAA")],
        is_working_day=closed_ams,
    )
    assert [(local_day(s.starts_at), s.office_code) for s in slots] == [(D(2026, 6, 1), "ZAA")]


def test_slots_follow_the_local_clock_across_the_dst_change() -> None:
    slots = _cut(
        [BlockSpec(4, T(9), T(10), "AMS"), BlockSpec(0, T(9), T(10), "AMS")],
        first=D(2026, 10, 23),
        last=D(2026, 10, 26),
    )
    assert [s.starts_at for s in slots] == [
        dt.datetime(2026, 10, 23, 7, tzinfo=UTC),  # CEST
        dt.datetime(2026, 10, 26, 8, tzinfo=UTC),  # CET
    ]


def test_block_validation_refuses_empty_and_overlapping_blocks() -> None:
    blocks = [
        BlockSpec(0, T(9), T(12), "AMS"),
        BlockSpec(0, T(11), T(13), "ZAA"),  # overlaps block 0
        BlockSpec(1, T(11), T(11), "AMS"),  # empty
        BlockSpec(0, T(12), T(14), "AMS"),  # touches block 0: fine, overlaps block 1
        BlockSpec(2, T(9), T(12), "AMS"),
    ]
    assert [i for i, _ in block_problems(blocks)] == [1, 2, 3]
    assert (
        block_problems([BlockSpec(0, T(9), T(12), "AMS"), BlockSpec(0, T(12), T(13), "AMS")]) == []
    )


NOW = dt.datetime(2026, 6, 1, 6, tzinfo=UTC)


def _cand(hours: int, travel: int = 0, office: str = "AMS") -> Candidate:
    start = NOW + dt.timedelta(hours=hours)
    return Candidate(
        uuid.uuid4(), uuid.uuid4(), office, start, start + dt.timedelta(minutes=45), travel
    )


def test_home_office_first_then_nearer_offices_earliest_within_each() -> None:
    home_late, near_early, far_earliest = _cand(50), _cand(2, 25, "ZAA"), _cand(1, 40, "HLM")
    past = _cand(-1)
    assert rank([far_earliest, near_early, home_late, past], now=NOW, deadline=D(2026, 6, 5)) == [
        home_late,
        near_early,
        far_earliest,
    ]


def test_candidates_after_the_deadline_day_or_not_in_the_future_are_infeasible() -> None:
    deadline = D(2026, 6, 2)
    assert feasible(_cand(39), now=NOW, deadline=deadline)  # 2 June 23:00 CEST
    assert not feasible(_cand(40), now=NOW, deadline=deadline)  # 3 June 00:00 CEST
    assert not feasible(_cand(0), now=NOW, deadline=deadline)
    only = _cand(3)
    assert choose([only], now=NOW, deadline=deadline, taken={only.slot_id}) is None


# Property: a small booking model, checked against brute force ---------------------------------

slot_strategy = st.tuples(st.integers(0, 240), st.sampled_from([("AMS", 0), ("ZAA", 25)]))
arrival_strategy = st.tuples(st.integers(0, 200), st.integers(0, 10))


@settings(max_examples=300, deadline=None)
@given(
    slots=st.lists(slot_strategy, max_size=25),
    arrivals=st.lists(arrival_strategy, max_size=30),
)
def test_booking_model_never_double_books_and_books_whenever_possible(
    slots: list[tuple[int, tuple[str, int]]], arrivals: list[tuple[int, int]]
) -> None:
    candidates = [_cand(h, travel, office) for h, (office, travel) in slots]
    taken: set[uuid.UUID] = set()
    for arrival_hours, deadline_days in sorted(arrivals):
        now = NOW + dt.timedelta(hours=arrival_hours)
        deadline = local_day(now) + dt.timedelta(days=deadline_days)
        free = [c for c in candidates if c.slot_id not in taken]
        any_feasible = any(c.starts_at > now and local_day(c.starts_at) <= deadline for c in free)
        chosen = choose(candidates, now=now, deadline=deadline, taken=taken)
        if chosen is None:
            assert not any_feasible  # a shortfall only when nothing fitted
            continue
        assert chosen.slot_id not in taken  # no slot twice
        assert chosen.starts_at > now
        assert local_day(chosen.starts_at) <= deadline
        # Nothing better was free: no feasible slot nearer, or as near and earlier.
        assert not any(
            c.starts_at > now
            and local_day(c.starts_at) <= deadline
            and (c.travel_minutes, c.starts_at) < (chosen.travel_minutes, chosen.starts_at)
            for c in free
        )
        taken.add(chosen.slot_id)


# Preferences: declared unavailable times and coaches met before ------------------------------


def _at(
    hh: int, mm: int = 0, *, day: dt.date = D(2026, 6, 1), travel: int = 0, office: str = "AMS"
) -> Candidate:
    """A 45-minute candidate at a local (Europe/Amsterdam) time; 1 June 2026 is a Monday."""
    start = local_to_utc(day, T(hh, mm))
    return Candidate(
        uuid.uuid4(), uuid.uuid4(), office, start, start + dt.timedelta(minutes=45), travel
    )


def _hits(u: UnavailableTime, c: Candidate) -> bool:
    return u.overlaps(c.starts_at, c.ends_at)


def test_unavailable_times_overlap_on_local_wall_clock_time() -> None:
    monday_morning = UnavailableTime(start=T(9), end=T(12), weekday=0)
    assert _hits(monday_morning, _at(9))
    assert _hits(monday_morning, _at(11, 30))
    assert _hits(monday_morning, _at(8, 30))  # 08:30-09:15 reaches into the morning
    assert not _hits(monday_morning, _at(12))  # starts when it ends
    assert not _hits(monday_morning, _at(8, 15))  # 08:15-09:00 ends when it starts
    assert not _hits(monday_morning, _at(9, day=D(2026, 6, 2)))  # a Tuesday
    one_day = UnavailableTime(start=T(0), end=T(23, 59, 59), date=D(2026, 6, 2))
    assert _hits(one_day, _at(15, day=D(2026, 6, 2)))
    assert not _hits(one_day, _at(15))
    # After the clocks go back (25 October 2026) 09:00 local is 08:00 UTC, not 07:00.
    autumn = _at(9, day=D(2026, 10, 26))
    assert autumn.starts_at == dt.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert _hits(monday_morning, autumn)
    assert not _hits(monday_morning, _at(8, day=D(2026, 10, 26)))


def test_booking_skips_unavailable_times_and_prefers_a_known_coach_at_the_same_distance() -> None:
    now, deadline = dt.datetime(2026, 6, 1, 5, tzinfo=UTC), D(2026, 6, 5)
    morning = UnavailableTime(start=T(9), end=T(12), weekday=0)
    at_nine, at_one = _at(9), _at(13)
    assert rank([at_nine, at_one], now=now, deadline=deadline, unavailable=[morning]) == [at_one]
    known = _at(10, day=D(2026, 6, 3))
    assert rank([at_nine, known], now=now, deadline=deadline, known_coaches={known.coach_id}) == [
        known,
        at_nine,
    ]
    # Continuity never beats distance: a known coach at a neighbour office comes after home.
    known_far = _at(8, travel=25, office="ZAA")
    assert rank(
        [known_far, at_one], now=now, deadline=deadline, known_coaches={known_far.coach_id}
    ) == [at_one, known_far]
    # Nor the deadline: a known coach's slot after it is not a candidate.
    late_known = _at(9, day=D(2026, 6, 8))
    assert rank([late_known], now=now, deadline=deadline, known_coaches={late_known.coach_id}) == []


unavailable_strategy = st.lists(
    st.builds(
        lambda wd, start, length: UnavailableTime(
            start=T(start), end=T(min(start + length, 23)), weekday=wd
        ),
        st.integers(0, 6),
        st.integers(0, 20),
        st.integers(1, 6),
    ),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(
    slots=st.lists(slot_strategy, max_size=25),
    arrivals=st.lists(arrival_strategy, max_size=20),
    unavailable=unavailable_strategy,
)
def test_with_preferences_a_booking_is_feasible_whenever_a_feasible_slot_existed(
    slots: list[tuple[int, tuple[str, int]]],
    arrivals: list[tuple[int, int]],
    unavailable: list[UnavailableTime],
) -> None:
    candidates = [_cand(h, travel, office) for h, (office, travel) in slots]
    known = {c.coach_id for c in candidates[::3]}
    taken: set[uuid.UUID] = set()
    for arrival_hours, deadline_days in sorted(arrivals):
        now = NOW + dt.timedelta(hours=arrival_hours)
        deadline = local_day(now) + dt.timedelta(days=deadline_days)
        free = [c for c in candidates if c.slot_id not in taken]

        def ok(c: Candidate, now: dt.datetime = now, deadline: dt.date = deadline) -> bool:
            return (
                c.starts_at > now
                and local_day(c.starts_at) <= deadline
                and not any(u.overlaps(c.starts_at, c.ends_at) for u in unavailable)
            )

        chosen = choose(
            candidates,
            now=now,
            deadline=deadline,
            taken=taken,
            unavailable=unavailable,
            known_coaches=known,
        )
        if chosen is None:
            assert not any(ok(c) for c in free)
            continue
        assert chosen.slot_id not in taken
        assert ok(chosen)
        nearest = min(c.travel_minutes for c in free if ok(c))
        assert chosen.travel_minutes == nearest  # continuity never costs distance
        taken.add(chosen.slot_id)
