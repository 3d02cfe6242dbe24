"""Cutting slots from weekly blocks: the pure part (no I/O), unit-testable on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from shared.clock import LOCAL_TZ


@dataclass(frozen=True)
class BlockSpec:
    """A weekly block: weekday (0 = Monday), local start and end time, office."""

    weekday: int
    start: dt.time
    end: dt.time
    office_code: str


@dataclass(frozen=True)
class DayRange:
    """An inclusive range of days without intakes (an agenda exception)."""

    first: dt.date
    last: dt.date

    def covers(self, day: dt.date) -> bool:
        """True when the day falls in the range."""
        return self.first <= day <= self.last


@dataclass(frozen=True, order=True)
class SlotSpec:
    """A slot to exist: UTC start and end, and the office it is held at."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    office_code: str


def block_problems(blocks: Sequence[BlockSpec]) -> list[tuple[int, str]]:
    """(index, message) for each block that ends before it starts or overlaps an earlier one."""
    problems: list[tuple[int, str]] = []
    for i, b in enumerate(blocks):
        if b.end <= b.start:
            problems.append((i, "end_time must be after start_time"))
            continue
        for j in range(i):
            o = blocks[j]
            if o.weekday == b.weekday and o.start < b.end and b.start < o.end and o.end > o.start:
                problems.append((i, f"overlaps block {j} on the same weekday"))
                break
    return problems


def local_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """A local Europe/Amsterdam wall-clock time as an aware UTC datetime."""
    return dt.datetime.combine(day, time, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def local_day(moment: dt.datetime) -> dt.date:
    """The Europe/Amsterdam calendar day of an aware datetime."""
    return moment.astimezone(LOCAL_TZ).date()


def cut_slots(
    blocks: Iterable[BlockSpec],
    exceptions: Iterable[DayRange],
    *,
    first: dt.date,
    last: dt.date,
    is_working_day: Callable[[dt.date, str], bool],
    slot_minutes: int,
    buffer_minutes: int,
) -> list[SlotSpec]:
    """Every slot from `first` to `last` inclusive: blocks on one grid (slot + buffer) per block,
    skipping exception days and the non-working days of the block's office; sorted by start."""
    length = dt.timedelta(minutes=slot_minutes)
    step = length + dt.timedelta(minutes=buffer_minutes)
    blocks = list(blocks)
    ranges = list(exceptions)
    out: list[SlotSpec] = []
    day = first
    while day <= last:
        if not any(r.covers(day) for r in ranges):
            for b in blocks:
                if b.weekday != day.weekday() or not is_working_day(day, b.office_code):
                    continue
                # Naive local arithmetic, then conversion: a slot keeps its wall-clock length.
                start = dt.datetime.combine(day, b.start)
                end = dt.datetime.combine(day, b.end)
                while start + length <= end:
                    out.append(
                        SlotSpec(
                            local_to_utc(day, start.time()),
                            local_to_utc(day, (start + length).time()),
                            b.office_code,
                        )
                    )
                    start += step
        day += dt.timedelta(days=1)
    return sorted(out)
