"""Every free-text field of the coaching API refuses a BSN (it would reach the audit log,
and for some fields an event on Kafka), naming the field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from coaching.cases.schemas import CloseBody, ReopenBody
from coaching.obligations.schemas import ActivityCreate, RegimeUpdate, TaskDone
from coaching.resumptions.schemas import ResumptionBody
from coaching.text import no_bsn
from coaching.transfers.schemas import BatchTransferBody, CoverBody, TransferBody

BSN_TEXT = "claimant 123456782 called"
COACH = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (ReopenBody, {"reason": BSN_TEXT}, ("reason",)),
        (CloseBody, {"result": "other", "note": BSN_TEXT}, ("note",)),
        (
            TransferBody,
            {"to_coach_id": COACH, "reason_category": "other", "reason_text": BSN_TEXT},
            ("reason_text",),
        ),
        (
            BatchTransferBody,
            {
                "moves": [{"claim_id": str(uuid.uuid4()), "to_coach_id": COACH}],
                "reason_category": "other",
                "reason_text": BSN_TEXT,
            },
            ("reason_text",),
        ),
        (
            CoverBody,
            {"covering_coach_id": COACH, "until": "2026-12-01", "reason": BSN_TEXT},
            ("reason",),
        ),
        (RegimeUpdate, {"regime": "regular", "reason": BSN_TEXT}, ("reason",)),
        (TaskDone, {"note": BSN_TEXT}, ("note",)),
        (
            ActivityCreate,
            {"kind": "application", "activity_date": "2026-11-01", "employer": BSN_TEXT},
            ("employer",),
        ),
        (
            ActivityCreate,
            {"kind": "application", "activity_date": "2026-11-01", "description": BSN_TEXT},
            ("description",),
        ),
        (
            ResumptionBody,
            {
                "kind": "full",
                "start_date": "2026-12-01",
                "hours_per_week": 36,
                "employer": BSN_TEXT,
            },
            ("employer",),
        ),
    ],
)
def test_free_text_refuses_a_bsn(
    model: type[BaseModel], body: dict[str, Any], field: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(body)
    assert [e["loc"] for e in exc.value.errors()] == [field]
    ok = {**body, field[0]: "claimant called, number 12345"}
    model.model_validate(ok)  # an ordinary text (not 11-proof) passes


def test_no_bsn_passes_plain_text() -> None:
    assert no_bsn("job lost") == "job lost"
    with pytest.raises(ValueError, match="BSN"):
        no_bsn("BSN 111222333")
