"""Request and response models of the contact moments API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from coaching.text import NoBsn
from shared.web.pagination import Page
from shared.web.validation import MultiLine, RequestModel

Channel = Literal["face_to_face", "phone", "video"]
ContactStatus = Literal["planned", "held", "no_show", "cancelled"]


def _to_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # year 1 or 9999 at an offset: a 422 naming the field, not a 500
        raise ValueError("the time is out of range once converted to UTC") from None


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An aware time in any offset, kept and answered in UTC: one representation, whether the
moment was just written (the response of the POST) or read back from the database (ADR
0018). Dutch calendar days are derived from it where a rule counts days."""

Purpose = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    NoBsn,
]
Notes = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    NoBsn,
]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    NoBsn,
]


class ContactMomentCreate(RequestModel):
    """A contact moment to plan."""

    model_config = ConfigDict(extra="forbid")

    planned_at: UtcDateTime = Field(
        description="When, with a time zone offset (e.g. 2026-12-01T10:00:00+01:00); "
        "answered in UTC (2026-12-01T09:00:00Z)"
    )
    channel: Channel
    purpose: Annotated[Purpose, MultiLine()] = Field(
        description="What the contact is about (1-500 characters)"
    )


class _Transition(RequestModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None,
        ge=1,
        description="Optional: the version last read; another current version is 409",
    )


class ContactMomentHeld(_Transition):
    """The contact took place."""

    held_at: UtcDateTime | None = Field(
        default=None,
        description="When it took place (default: now), with an offset; not in the future; "
        "answered in UTC",
    )
    notes: Annotated[Notes | None, MultiLine()] = Field(
        default=None,
        description="The coach's notes (1-4000 characters); never shown to the claimant",
    )
    reason: Annotated[Reason | None, MultiLine()] = Field(
        default=None,
        description="Why it is recorded as held before its planned day (the Dutch calendar "
        "day of `planned_at`): required then (422 naming `reason`), audited and kept as "
        "`early_reason`; 1-500 characters, no BSN",
    )


class ContactMomentNoShow(_Transition):
    """The claimant did not appear (only from the planned time on)."""


class ContactMomentCancel(_Transition):
    """The contact moment will not take place."""

    reason: Annotated[Reason | None, MultiLine()] = Field(
        default=None, description="Why (1-500 characters)"
    )


class ClaimantContactMomentRead(BaseModel):
    """A contact moment as the claimant sees it: no coach notes, no staff ids."""

    id: uuid.UUID
    claim_id: uuid.UUID
    planned_at: dt.datetime = Field(description="UTC")
    channel: Channel
    purpose: str
    status: ContactStatus
    held_at: dt.datetime | None = Field(description="UTC")
    cancel_reason: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    status_changed_at: dt.datetime | None


class ContactMomentRead(ClaimantContactMomentRead):
    """A contact moment as staff see it, with the coach-only notes."""

    notes: str | None = Field(description="Coach-only; absent from the claimant's view")
    planned_by: str = Field(description="Who planned it (the coach id for a coach)")
    recorded_by: str | None = Field(description="Who recorded held, no-show or cancelled")
    early_reason: str | None = Field(
        default=None, description="Why it was recorded as held before its planned day"
    )


class ContactMomentPage(Page[ContactMomentRead]):
    """One page of a case's contact moments, with the case's no-show count."""

    no_shows: int = Field(description="No-shows recorded on the case (all contact moments)")


class ClaimantContactMomentPage(Page[ClaimantContactMomentRead]):
    """The claimant's view of a page of their contact moments."""

    no_shows: int
