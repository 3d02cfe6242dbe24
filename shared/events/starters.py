"""Events published by the starters service (topic `<prefix>.starters`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.events.envelope import EventPayload
from shared.events.registry import REGISTRY


class _StartersPayload(EventPayload):
    producer: ClassVar[str] = "starters"


@REGISTRY.register
class StartersApplied(_StartersPayload):
    """A claimant applied for the starters scheme."""

    event_type: ClassVar[str] = "starters.applied"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    expected_start_date: dt.date
    hours_per_week: float = Field(gt=0, le=80)
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
class StartersStartPeriodGranted(_StartersPayload):
    """The start period was granted: WW reduced, business income not deducted."""

    event_type: ClassVar[str] = "starters.start_period_granted"

    claim_id: uuid.UUID
    application_id: uuid.UUID
    starts_on: dt.date
    ends_on: dt.date
    reduction_percent: float = Field(ge=0, le=100)


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
    business_hours_per_month: float = Field(ge=0)
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
