"""Request and response models of transfers and redistribution proposals."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from coaching.text import NoBsn
from shared.web.validation import MultiLine, RequestModel


class TransferReason(StrEnum):
    """Why a case moves to another coach (the audit and `case.transferred` carry it)."""

    COACH_LEAVES = "coach_leaves"
    COACH_ILL = "coach_ill"
    CASELOAD_BALANCE = "caseload_balance"
    SPECIALISM = "specialism"
    CLAIMANT_REQUEST = "claimant_request"
    OTHER = "other"


class TransferBody(RequestModel):
    """Move one case to another coach."""

    to_coach_id: uuid.UUID
    reason_category: TransferReason
    reason_text: Annotated[str, NoBsn, MultiLine()] = Field(
        min_length=1, max_length=500, description="Why, for the audit (no BSN)"
    )


class Move(RequestModel):
    """One case to one coach."""

    claim_id: uuid.UUID
    to_coach_id: uuid.UUID


class BatchTransferBody(RequestModel):
    """Move many cases at once (e.g. an accepted redistribution proposal): all or none."""

    reason_category: TransferReason
    reason_text: Annotated[str, NoBsn, MultiLine()] = Field(min_length=1, max_length=500)
    moves: list[Move] = Field(min_length=1, max_length=1000)


class TransferResult(BaseModel):
    """What happened to one case."""

    claim_id: uuid.UUID
    case_id: uuid.UUID
    from_coach_id: uuid.UUID | None
    to_coach_id: uuid.UUID
    outcome: str = Field(description="transferred, or unchanged when already with that coach")
    transferred_at: dt.datetime | None


class BatchTransferResult(BaseModel):
    """The outcome of a batch, in the order of the moves."""

    transferred: int
    unchanged: int
    results: list[TransferResult]


class RedistributionBody(RequestModel):
    """Ask for a proposal to move a coach's cases (nothing changes until it is applied)."""

    claim_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=1000,
        description="Only these of the coach's open cases (default: all of them)",
    )
    exclude_coach_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=200,
        description="Coaches who should not receive cases (e.g. also absent)",
    )


class ProposedMove(BaseModel):
    """One case's proposed new coach and the rule that chose them."""

    claim_id: uuid.UUID
    to_coach_id: uuid.UUID
    rule: str = Field(description="continuity, specialism or office_load")
    matched: list[str] = Field(description="The case's needs the coach holds")


class Unplaceable(BaseModel):
    """A case no remaining coach can take (all at maximum, or nobody qualifies)."""

    claim_id: uuid.UUID
    reason: str


class CoachLoadAfter(BaseModel):
    """A receiving coach's open cases before and after the proposal."""

    coach_id: uuid.UUID
    before: int
    after: int
    max_caseload: int


class RedistributionProposal(BaseModel):
    """The least disruptive redistribution: the same rules as assignment, applied to the
    cases of one coach over the office's other coaches, in the canonical order."""

    from_coach_id: uuid.UUID
    office_code: str
    moves: list[ProposedMove]
    unplaceable: list[Unplaceable]
    loads: list[CoachLoadAfter]


class CoverBody(RequestModel):
    """A colleague covers an absent coach's open cases until a date (inclusive)."""

    covering_coach_id: uuid.UUID
    until: dt.date = Field(description="Last day of the cover (inclusive), at most 183 days on")
    reason: Annotated[str, NoBsn, MultiLine()] = Field(min_length=1, max_length=500)


class CoverResult(BaseModel):
    """How many of the absent coach's open cases the cover applies to (or ended for)."""

    coach_id: uuid.UUID
    covering_coach_id: uuid.UUID | None
    until: dt.date | None
    cases: int
