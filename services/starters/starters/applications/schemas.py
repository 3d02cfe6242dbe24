"""Request and response models of the starters API.

Every decimal in a response is `Decimal2`: a string with exactly two places ("1234.50");
inputs take a number or a string with at most two places, so nothing is rounded away on
the way back (ADR 0019)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.decimals import Decimal2
from shared.web.validation import MultiLine, RequestModel


class Training(RequestModel):
    """Proof of the online training "Zelfstandig ondernemen met een WW-uitkering"."""

    certificate: str = Field(min_length=1, max_length=100)
    completed_on: dt.date


class Variant(RequestModel):
    """NOT CURRENT LAW (issue 6 item 7, from the SER dialogues): only when the service's
    STARTERS_VARIANTS_ENABLED is true."""

    kind: Literal["group", "gradual"]
    group_reference: str | None = Field(
        default=None, max_length=100, description="group: the shared business plan's reference"
    )
    business_share: Decimal | None = Field(
        default=None,
        gt=0,
        lt=1,
        decimal_places=2,
        description="gradual: the share of the lost hours put into the business",
    )


class ApplicationCreate(RequestModel):
    """A claimant applies (or a benefits officer on their behalf)."""

    claim_id: uuid.UUID
    business_description: Annotated[str, MultiLine()] = Field(min_length=10, max_length=2000)
    expected_start_date: dt.date
    hours_per_week: Decimal = Field(gt=0, le=80, decimal_places=2)
    training: Training
    variant: Variant | None = None


class WwFactsIn(RequestModel):
    """The WW facts the schedule needs, recorded by the benefits officer.

    They must agree with the claim's first WW day (from `claim.registered`): the
    entitlement ends `entitlement_months` months from it (first WW day + months - 1 day),
    and the months are at most `entitlement_max_months` on that day; a mismatch is a 422
    naming `ww.entitlement_end` or `ww.entitlement_months`."""

    dagloon: Decimal = Field(gt=0, le=2000, decimal_places=2)
    entitlement_end: dt.date | None = Field(
        default=None,
        description="The last WW day; computed from the first WW day and the months when "
        "omitted, and checked against that computation when given",
    )
    entitlement_months: int = Field(ge=3, le=38)
    usual_hours_per_day: Decimal = Field(gt=0, le=12, decimal_places=2)


class _Step(RequestModel):
    reason: Annotated[str | None, MultiLine()] = Field(default=None, max_length=1000)


class StartResearch(_Step):
    action: Literal["start_research"]
    starts_on: dt.date
    ends_on: dt.date
    ww: WwFactsIn


class GrantStartPeriod(_Step):
    action: Literal["grant_start_period"]
    starts_on: dt.date
    ww: WwFactsIn | None = Field(
        default=None, description="Required unless given with the research period"
    )
    research_period_end_reason: Annotated[str | None, MultiLine()] = Field(
        default=None,
        min_length=5,
        max_length=1000,
        description="Required when the start period begins inside the research period: "
        "why the research period ends early (it then ends the day before; audited). "
        "Without it such a grant is a 409 `starters-research-period-running`",
    )


class Refuse(_Step):
    action: Literal["refuse"]
    reason_codes: list[
        Literal[
            "not_viable",
            "training_missing",
            "starts_before_first_ww_day",
            "no_prior_permission",
            "other",
        ]
    ] = Field(min_length=1, max_length=5)


class ContinueBusiness(_Step):
    action: Literal["continue_business"]
    continued_on: dt.date
    business_hours_per_month: Decimal = Field(ge=0, le=400, decimal_places=2)


class StopBusiness(_Step):
    action: Literal["stop_business"]
    stopped_on: dt.date


class Revive(_Step):
    action: Literal["revive"]
    revived_on: dt.date


class Withdraw(_Step):
    action: Literal["withdraw"]


TransitionBody = Annotated[
    StartResearch | GrantStartPeriod | Refuse | ContinueBusiness | StopBusiness | Revive | Withdraw,
    Field(discriminator="action"),
]


class IncomeStatementCreate(RequestModel):
    """The monthly statement during the start period."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    business_income: Decimal = Field(ge=-1_000_000, le=1_000_000, decimal_places=2)
    business_hours: Decimal = Field(ge=0, le=744, decimal_places=2)
    former_employer_assignment: bool = Field(
        default=False,
        description="An assignment for the employer that dismissed the claimant",
    )


class IncomeStatementRead(BaseModel):
    """A recorded statement."""

    month: str
    business_income: Decimal2
    business_hours: Decimal2
    former_employer_assignment: bool
    submitted_at: dt.datetime


class DecisionRead(BaseModel):
    """One transition."""

    action: str
    from_state: str
    to_state: str
    decided_by: str
    reason: str | None
    details: dict[str, object] | None
    parameter_versions: list[str]
    decided_at: dt.datetime


class SuspensionRead(BaseModel):
    """No benefit on these days."""

    reason: str
    starts_on: dt.date
    ends_on: dt.date


class ApplicationRead(BaseModel):
    """An application with its state, periods and the actions allowed next."""

    id: uuid.UUID
    claim_id: uuid.UUID
    state: str
    allowed_actions: list[str]
    business_description: str
    expected_start_date: dt.date
    hours_per_week: Decimal2
    training_certificate: str
    training_completed_on: dt.date
    variant: str | None
    group_reference: str | None
    gradual_business_share: Decimal2 | None
    dagloon: Decimal2 | None
    entitlement_end: dt.date | None
    entitlement_months: int | None
    usual_hours_per_day: Decimal2 | None
    research_start: dt.date | None
    research_end: dt.date | None
    start_period_start: dt.date | None
    start_period_end: dt.date | None
    refusal_reasons: list[str] | None
    outcome_on: dt.date | None
    business_hours_per_month: Decimal2 | None
    revival_deadline: dt.date | None
    revived_on: dt.date | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class MonthRead(BaseModel):
    """One month of the benefit schedule."""

    month: str
    phase: str
    gross_ww: Decimal2
    start_period_reduction: Decimal2
    fictitious_income_deduction: Decimal2
    suspended: Decimal2
    net: Decimal2
    income_statement_required: bool
    parameter_versions: list[str]


class ScheduleRead(BaseModel):
    """The monthly schedule and every parameter version it used."""

    application_id: uuid.UUID | None
    months: list[MonthRead]
    parameter_versions: list[str]
    not_current_law: bool = Field(
        default=False, description="True when a NOT CURRENT LAW variant shaped the schedule"
    )


class ReminderRun(BaseModel):
    """How many reminders were published."""

    reminders: int
