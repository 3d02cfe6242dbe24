"""Events published by the starters service (topic `<prefix>.starters`).

Decimals are `Decimal2`: written as strings with two places ("29.00"). Until ADR 0019 the
three decimal fields (`hours_per_week`, `reduction_percent`, `business_hours_per_month`)
were JSON numbers; the change is within v1 because reading accepts both, so events
already on the topics still parse.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from shared.decimals import Decimal2
from shared.events.envelope import EventPayload
from shared.events.registry import REGISTRY

# The three decimal fields changed type within v1 (ADR 0019); the AsyncAPI says so here.
_DECIMAL_SINCE_0019 = (
    'Written as a string with exactly two places ("29.00", pattern ^-?\\d+\\.\\d{2}$) '
    "since ADR 0019, a change within v1: events written before carry a JSON number, and "
    "consumers accept both"
)


class _StartersPayload(EventPayload):
    producer: ClassVar[str] = "starters"


@REGISTRY.register
class StartersApplied(_StartersPayload):
    """A claimant applied for the starters scheme."""

    event_type: ClassVar[str] = "starters.applied"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    expected_start_date: dt.date
    hours_per_week: Decimal2 = Field(gt=0, le=80, description=_DECIMAL_SINCE_0019)
    applied_at: AwareDatetime


@REGISTRY.register
class StartersResearchPeriodStarted(_StartersPayload):
    """The research period began: normal WW, no job-search obligation."""

    event_type: ClassVar[str] = "starters.research_period_started"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    starts_on: dt.date
    ends_on: dt.date


@REGISTRY.register
class StartersResearchPeriodEnded(_StartersPayload):
    """The research period ended before its planned end, because the start period was
    granted to begin inside it (added within v1, ADR 0019).

    `ends_on` is its new last day (inclusive); None when the start period begins on the
    research period's first day, so it had no day of its own. Consumers that keep the
    research period (coaching's exemption) may shorten it; one that ignores this event
    only keeps the research exemption up to `planned_ends_on`, which overlaps the start
    period's exemption and changes no obligation.
    """

    event_type: ClassVar[str] = "starters.research_period_ended"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    starts_on: dt.date
    ends_on: dt.date | None
    planned_ends_on: dt.date
    cause: Literal["start_period_granted"] = "start_period_granted"


@REGISTRY.register
class StartersStartPeriodGranted(_StartersPayload):
    """The start period was granted: WW reduced, business income not deducted."""

    event_type: ClassVar[str] = "starters.start_period_granted"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    starts_on: dt.date
    ends_on: dt.date
    reduction_percent: Decimal2 = Field(ge=0, le=100, description=_DECIMAL_SINCE_0019)


@REGISTRY.register
class StartersStartPeriodRefused(_StartersPayload):
    """The start period was refused, with reason codes."""

    event_type: ClassVar[str] = "starters.start_period_refused"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    reason_codes: list[str]
    decided_at: AwareDatetime


@REGISTRY.register
class StartersContinued(_StartersPayload):
    """After the start period the claimant continues the business."""

    event_type: ClassVar[str] = "starters.continued"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    business_hours_per_month: Decimal2 = Field(ge=0, description=_DECIMAL_SINCE_0019)
    continued_on: dt.date


@REGISTRY.register
class StartersStopped(_StartersPayload):
    """The claimant stopped the business; revival possible until the given date."""

    event_type: ClassVar[str] = "starters.stopped"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    stopped_on: dt.date
    revival_possible_until: dt.date


@REGISTRY.register
class StartersRevived(_StartersPayload):
    """WW rights were revived after the business stopped."""

    event_type: ClassVar[str] = "starters.revived"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    revived_on: dt.date


@REGISTRY.register
class StartersIncomeStatementMissing(_StartersPayload):
    """A monthly income statement during the start period is overdue (reminder)."""

    event_type: ClassVar[str] = "starters.income_statement_missing"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$")


@REGISTRY.register
class StartersSchemeEnded(_StartersPayload):
    """The claimant's use of the scheme ended: refused, withdrawn, continued or stopped.

    Consumers end what the scheme started on `ended_on` (coaching: the job-search
    exemption). `continued`: the business goes on after the start period (hours reported,
    fictitious income deducted); `stopped`: WW may be revived until `revival_possible_until`.
    """

    event_type: ClassVar[str] = "starters.scheme_ended"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    outcome: Literal["refused", "withdrawn", "continued", "stopped"]
    ended_on: dt.date
    revival_possible_until: dt.date | None = None


@REGISTRY.register
class StartersBenefitSuspended(_StartersPayload):
    """The former employer rule: an assignment for the employer that dismissed the claimant
    during the start period; no benefit from `starts_on` until the start period ends."""

    event_type: ClassVar[str] = "starters.benefit_suspended"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    reason: str
    starts_on: dt.date
    ends_on: dt.date
