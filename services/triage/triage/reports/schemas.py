"""Response models of the reports."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class OverrideGroupRead(BaseModel):
    """Override figures of one office, coach or triage analyst (or the total)."""

    key: str = Field(description="Office code, the person's subject, or `all`")
    role: str | None = Field(description="coach or triage_analyst when grouped by person")
    scored_claims: int | None = Field(description="Claims scored in the period (a coach: theirs)")
    overrides: int
    overridden_claims: int
    override_rate: float | None = Field(description="overridden_claims / scored_claims")
    to_personal: int
    to_digital: int
    by_reason: dict[str, int]


class OverrideReportRead(BaseModel):
    """Override rates over a period of local days."""

    from_date: dt.date = Field(serialization_alias="from")
    to_date: dt.date = Field(serialization_alias="to")
    group_by: Literal["coach", "office"]
    office_code: str | None = Field(description="Set when the report is limited to one office")
    groups: list[OverrideGroupRead]
    total: OverrideGroupRead


class MonitoringGroupRead(BaseModel):
    """One group's figures in one week."""

    dimension: Literal["all", "age_band", "region", "education"]
    key: str
    claims: int = Field(description="Claims scored in the week (latest score each)")
    personal: int
    digital: int
    personal_share: float | None
    overridden: int
    override_rate: float | None
    mean_probability: float | None
    drift: float | None = Field(
        description="mean_probability - the group's mean in the first week of the range"
    )


class MonitoringWeekRead(BaseModel):
    """One ISO week."""

    week: str
    week_start: dt.date
    groups: list[MonitoringGroupRead]


class MonitoringRead(BaseModel):
    """Segment distribution, override rate and score drift per group, per week."""

    from_week: str
    to_week: str
    baseline_week: str
    weeks: list[MonitoringWeekRead]
