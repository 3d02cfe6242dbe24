"""Response models of the claim access log."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class AccessLogEntry(BaseModel):
    """Who did what with the claim, when, and (for break-glass) why."""

    occurred_at: dt.datetime
    action: str = Field(description="e.g. claim.read, claim.read.break_glass, claim.register")
    actor_kind: str = Field(description="user, application or system")
    actor_roles: list[str]
    actor: str | None = Field(
        None, description="The actor's subject; shown to staff, not to the claimant"
    )
    break_glass: bool = Field(description="Read outside the caller's need-to-know scope")
    reason: str | None = Field(None, description="The stated reason (break-glass)")
