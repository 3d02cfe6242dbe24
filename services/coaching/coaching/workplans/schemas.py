"""Request and response models of the work plan API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from coaching.text import NoBsn
from shared.web.pagination import Page
from shared.web.validation import MultiLine, RequestModel

ActivityKind = Literal[
    "application",
    "training",
    "trial_placement",
    "volunteer_work",
    "workshop",
    "walk_along_day",
    "other",
]
ActivityStatus = Literal["planned", "in_progress", "done", "cancelled"]
ActorKind = Literal["claimant", "staff"]


Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    NoBsn,
]
Outcome = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    NoBsn,
]
Employer = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    NoBsn,
]


class ActivityCreate(RequestModel):
    """A new activity of the work plan; it starts as `planned`."""

    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind
    description: Annotated[Description, MultiLine()] = Field(
        description="What was agreed (1-500 characters)"
    )
    due_on: dt.date = Field(description="When the activity is due (Dutch calendar day)")
    employer: Employer | None = Field(
        default=None, description="The employer; required for a trial placement"
    )
    starts_on: dt.date | None = Field(
        default=None, description="First day of the period; required for a trial placement"
    )
    ends_on: dt.date | None = Field(
        default=None,
        description="Last day of the period (inclusive); required for a trial placement, "
        "which lasts at most 2 calendar months",
    )


class ActivityUpdate(RequestModel):
    """A change to an activity: only the fields sent change (`null` clears an optional one).

    `version` is the version the caller last read; a stale version is 409. The `If-Match`
    header (`"<version>"`) may be sent instead of, or as well as, the field.
    """

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None, ge=1, description="The version last read (or send `If-Match`)"
    )
    status: ActivityStatus | None = None
    description: Annotated[Description | None, MultiLine()] = None
    due_on: dt.date | None = None
    outcome: Annotated[Outcome | None, MultiLine()] = Field(
        default=None, description="How it went (1-1000 characters); `null` clears it"
    )
    employer: Employer | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class ActivityRead(BaseModel):
    """An activity of the work plan."""

    id: uuid.UUID
    claim_id: uuid.UUID
    kind: ActivityKind
    description: str
    due_on: dt.date
    status: ActivityStatus
    outcome: str | None
    employer: str | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    overdue: bool = Field(
        description="Still planned or in progress after its due date (Dutch calendar day)"
    )
    created_by_kind: ActorKind
    updated_by_kind: ActorKind
    version: int = Field(description="Grows with every change; send it back when updating")
    created_at: dt.datetime
    updated_at: dt.datetime
    status_changed_at: dt.datetime | None


class WorkPlanPage(Page[ActivityRead]):
    """One page of a case's work plan, with counts over the whole plan."""

    open_activities: int = Field(description="Activities planned or in progress (whole plan)")
    overdue_activities: int = Field(description="Open activities past their due date")
