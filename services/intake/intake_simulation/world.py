"""The simulated world: coaches, slots, claims and the log of a run, and how they are built."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from intake.agendas.rules import BlockSpec
from intake_simulation.config import (
    DAY_BLOCKS,
    FULL_TIME_WEEKDAYS,
    Outcome,
    Purpose,
    Trigger,
    Weighting,
)
from shared.reference import OfficeDirectory

# Below this mean a Poisson count is drawn exactly (Knuth); above it, by the normal approximation.
_POISSON_EXACT_BELOW = 30.0


# The simulated world ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coach:
    """A coach holding intakes at one office on some weekdays."""

    no: int
    office_code: str
    part_time: bool
    weekdays: tuple[int, ...]


@dataclass(slots=True)
class Slot:
    """One intake slot of one coach; `claim_no` once booked (a slot is booked at most once)."""

    no: int
    coach_no: int
    office_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    day: dt.date
    claim_no: int | None = None


@dataclass(slots=True)
class Claim:
    """A registration and what became of its intake."""

    no: int
    office_code: str
    registered_at: dt.datetime
    registered_on: dt.date
    deadline: dt.date
    shortfall: bool = False
    shortfalls: int = 0
    no_shows: int = 0
    flagged: bool = False
    held_on: dt.date | None = None
    booked_late: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    """One booking attempt, in the order they happened: who, from when, until which day, result.

    `after` is the attempt's `now` (slots must start after it); `deadline` the last day
    searched (for an overdue claim the end of the planning run's window, not its missed
    deadline, which the booking keeps); `slot_no` is None when nothing fitted.
    """

    seq: int
    claim_no: int
    purpose: Purpose
    trigger: Trigger
    overdue: bool
    after: dt.datetime
    deadline: dt.date
    slot_no: int | None


@dataclass(slots=True)
class Booking:
    """An appointment in a slot, and its outcome once the slot has ended inside the run."""

    slot_no: int
    claim_no: int
    purpose: Purpose
    booked_at: dt.datetime
    deadline: dt.date
    outcome: Outcome | None = None


# Building the world ----------------------------------------------------------------------


def office_weights(
    offices: Sequence[str], directory: OfficeDirectory, how: Weighting
) -> list[float]:
    """Each office's share of the inflow: equal, or by the number of postcodes it serves."""
    if how == "uniform":
        return [1.0] * len(offices)
    weights = []
    for code in offices:
        office = directory.get(code)
        assert office is not None
        weights.append(float(sum(hi - lo + 1 for lo, hi in office.postcode_ranges)))
    return weights


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainder (ties: earlier first)."""
    mass = sum(weights)
    if total == 0 or mass <= 0:
        return [0] * len(weights)
    quotas = [total * w / mass for w in weights]
    counts = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def part_time_weekdays(ordinal: int) -> tuple[int, ...]:
    """Three days a week, the two free days rotating over the part-timers (never adjacent
    working days off for everyone at once): 0 -> Tue/Thu/Fri, 1 -> Mon/Wed/Fri, ..."""
    off = {ordinal % 5, (ordinal + 2) % 5}
    return tuple(d for d in FULL_TIME_WEEKDAYS if d not in off)


def make_coaches(
    offices: Sequence[str], counts: Sequence[int], part_time_share: float
) -> list[Coach]:
    """Coaches by office (office order), every k-th one part-time so the share is spread."""
    coaches: list[Coach] = []
    part_timers = 0
    for code, count in zip(offices, counts, strict=True):
        for _ in range(count):
            i = len(coaches)
            part = math.floor((i + 1) * part_time_share) > math.floor(i * part_time_share)
            weekdays = part_time_weekdays(part_timers) if part else FULL_TIME_WEEKDAYS
            part_timers += part
            coaches.append(Coach(i, code, part, weekdays))
    return coaches


def coach_blocks(coach: Coach) -> list[BlockSpec]:
    """The coach's weekly blocks (the agenda the service would store)."""
    return [
        BlockSpec(weekday, start, end, coach.office_code)
        for weekday in coach.weekdays
        for start, end in DAY_BLOCKS
    ]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count: exact for small means, the normal approximation for large ones."""
    if mean <= 0:
        return 0
    if mean < _POISSON_EXACT_BELOW:
        limit, k, p = math.exp(-mean), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))
