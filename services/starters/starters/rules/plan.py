"""The facts and the plan a starters schedule is computed from, its phases and variants,
the errors of an inconsistent plan, and the rounding of money. Pure: no I/O.

The rules are in docs/starters-rules.md (and the summary at `starters.rules.schedule`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal, TypedDict

CENT = Decimal("0.01")
ZERO = Decimal(0)
NO_CENTS = Decimal("0.00")
ONE = Decimal(1)
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """Round to cents, half up (the only rounding of money in this module)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class PlanError(ValueError):
    """The facts or the plan are inconsistent (dates out of order, missing fields, ...)."""


class VariantNotEnabled(PlanError):
    """A NOT-CURRENT-LAW variant was asked for while its parameter does not enable it."""


class Phase(StrEnum):
    """The phase of one WW day."""

    NORMAL = "normal"
    RESEARCH = "research_period"
    START = "start_period"
    UNDECIDED = "after_start_undecided"
    CONTINUED = "continued"
    STOPPED = "stopped"


class Variant(StrEnum):
    """The rules variant of a plan. Only `standard` is current law."""

    STANDARD = "standard"
    GROUP_START = "group_start"  # NOT CURRENT LAW
    GRADUAL_START = "gradual_start"  # NOT CURRENT LAW


@dataclass(frozen=True)
class WwFacts:
    """The claimant's WW: dagloon (uncapped), first WW day, last WW day, usual hours a day."""

    dagloon: Decimal
    first_ww_day: dt.date
    entitlement_end: dt.date
    usual_hours_per_day: Decimal = Decimal(8)


@dataclass(frozen=True)
class StartersPlan:
    """The starters plan: the dated periods, the outcome, hours and suspensions.

    All date ranges are inclusive. `start_period_end` None: computed by
    `start_period_end()`. `outcome_on`: for `stopped` the first day without the business
    (normal WW from that day); for `continued` the day the outcome was recorded (it does
    not move any boundary). `suspended`: inclusive (first, last) day ranges without
    benefit (the former-employer rule). `variant` and `gradual_business_share`: see
    `Variant` (NOT CURRENT LAW except `standard`).
    """

    research_start: dt.date | None = None
    research_end: dt.date | None = None
    start_period_start: dt.date | None = None
    start_period_end: dt.date | None = None
    outcome: Literal["continued", "stopped"] | None = None
    outcome_on: dt.date | None = None
    business_hours_per_month: Decimal | None = None
    suspended: tuple[tuple[dt.date, dt.date], ...] = ()
    variant: Variant = Variant.STANDARD
    gradual_business_share: Decimal | None = None


_VARIANT_ALIASES = {
    None: Variant.STANDARD,
    "standard": Variant.STANDARD,
    "group": Variant.GROUP_START,
    "group_start": Variant.GROUP_START,
    "gradual": Variant.GRADUAL_START,
    "gradual_start": Variant.GRADUAL_START,
}


class VariantFields(TypedDict):
    """The variant keyword arguments of `StartersPlan`."""

    variant: Variant
    gradual_business_share: Decimal | None


def variant_fields(
    variant: str | None, gradual_business_share: Decimal | None = None
) -> VariantFields:
    """`StartersPlan` keyword arguments for a stored variant ("group", "gradual" or None).

    NOT CURRENT LAW variants still need their parameter (`group_start_enabled`,
    `gradual_start_enabled`) on the plan's start, or the schedule raises VariantNotEnabled.
    """
    try:
        kind = _VARIANT_ALIASES[variant]
    except KeyError:
        raise PlanError(f"unknown variant {variant!r}") from None
    share = gradual_business_share if kind == Variant.GRADUAL_START else None
    return VariantFields(variant=kind, gradual_business_share=share)
