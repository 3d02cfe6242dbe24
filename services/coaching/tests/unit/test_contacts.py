"""Contact moment rules (issue 5 item 6): transitions, time checks, the claimant's view."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pydantic import ValidationError

from coaching.cases.models import Case
from coaching.contacts.models import ContactMoment
from coaching.contacts.schemas import ContactMomentCreate, ContactMomentHeld
from coaching.contacts.service import (
    check_held_at,
    check_held_early,
    check_no_show,
    check_planned_at,
    check_transition,
    claimant_view,
    staff_view,
)
from shared.web.problems import Conflict, InvalidField

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("planned", "held"),
        ("planned", "no_show"),
        ("planned", "cancelled"),
        ("no_show", "held"),
    ],
)
def test_allowed_transitions(current: str, target: str) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("held", "cancelled", []),
        ("held", "no_show", []),
        ("cancelled", "held", []),
        ("no_show", "cancelled", ["held"]),
    ],
)
def test_refused_transitions(current: str, target: str, allowed: list[str]) -> None:
    with pytest.raises(Conflict) as exc:
        check_transition(current, target)
    assert exc.value.extra["allowed_statuses"] == allowed


def test_no_show_only_from_the_planned_time() -> None:
    check_no_show(NOW, NOW)
    check_no_show(NOW - dt.timedelta(minutes=1), NOW)
    with pytest.raises(Conflict):
        check_no_show(NOW + dt.timedelta(minutes=1), NOW)


def test_held_at_not_in_the_future() -> None:
    check_held_at(NOW + dt.timedelta(minutes=4), NOW)
    with pytest.raises(InvalidField) as exc:
        check_held_at(NOW + dt.timedelta(hours=1), NOW)
    assert exc.value.extra["errors"][0]["field"] == "held_at"


def test_planned_at_within_a_year() -> None:
    check_planned_at(NOW + dt.timedelta(days=300), NOW)
    check_planned_at(NOW - dt.timedelta(days=3), NOW)
    for bad in (NOW + dt.timedelta(days=400), NOW - dt.timedelta(days=400)):
        with pytest.raises(InvalidField) as exc:
            check_planned_at(bad, NOW)
        assert exc.value.extra["errors"][0]["field"] == "planned_at"


def test_create_schema_needs_an_aware_time_and_a_known_channel() -> None:
    ok = ContactMomentCreate.model_validate(
        {"planned_at": "2026-12-01T10:00:00+01:00", "channel": "video", "purpose": "Intake"}
    )
    # One representation (ADR 0018): kept and answered in UTC, the same instant.
    assert ok.planned_at.utcoffset() == dt.timedelta(0)
    assert ok.planned_at == dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    for body, field in (
        ({"planned_at": "2026-12-01T10:00:00", "channel": "video", "purpose": "x"}, "planned_at"),
        ({"planned_at": "2026-12-01T10:00:00Z", "channel": "letter", "purpose": "x"}, "channel"),
        ({"planned_at": "2026-12-01T10:00:00Z", "channel": "phone", "purpose": ""}, "purpose"),
    ):
        with pytest.raises(ValidationError) as exc:
            ContactMomentCreate.model_validate(body)
        assert [e["loc"][0] for e in exc.value.errors()] == [field]


def test_notes_refuse_a_bsn() -> None:
    with pytest.raises(ValidationError):
        ContactMomentHeld.model_validate({"notes": "BSN 111222333 discussed"})


def test_the_claimant_view_has_no_notes_or_staff_ids() -> None:
    case = Case(id=uuid.uuid4(), claim_id=uuid.uuid4())
    moment = ContactMoment(
        id=uuid.uuid4(),
        case_id=case.id,
        planned_at=NOW,
        channel="phone",
        purpose="Check-in",
        status="held",
        held_at=NOW,
        notes="coach only",
        planned_by="coach-1",
        recorded_by="coach-1",
        version=2,
        created_at=NOW,
        updated_at=NOW,
    )
    claimant = claimant_view(moment, case).model_dump()
    assert "notes" not in claimant
    assert "planned_by" not in claimant
    assert "recorded_by" not in claimant
    assert staff_view(moment, case).notes == "coach only"


def test_held_early_compares_dutch_calendar_days() -> None:
    """Held before the planned *day* needs a reason; earlier the same Dutch day does not.
    The days are Europe/Amsterdam's: 23:30 UTC on 30 November is 1 December in Amsterdam."""
    planned = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)  # 10:00 in Amsterdam
    check_held_early(planned, dt.datetime(2026, 12, 1, 7, tzinfo=dt.UTC), None)  # same day
    check_held_early(planned, dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC), None)
    check_held_early(planned, dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC), None)  # later
    with pytest.raises(InvalidField) as exc:
        check_held_early(planned, dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC), None)
    assert [e["field"] for e in exc.value.extra["errors"]] == ["reason"]
    with pytest.raises(InvalidField):
        check_held_early(planned, dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), "  ")
    check_held_early(planned, dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), "Came by early")


def test_held_schema_keeps_utc_and_takes_a_reason() -> None:
    held = ContactMomentHeld.model_validate(
        {"held_at": "2026-07-01T10:00:00+02:00", "reason": " Came early "}
    )
    assert held.held_at == dt.datetime(2026, 7, 1, 8, tzinfo=dt.UTC)
    assert held.held_at is not None
    assert held.held_at.utcoffset() == dt.timedelta(0)
    assert held.reason == "Came early"
    with pytest.raises(ValidationError) as exc:
        ContactMomentHeld.model_validate({"reason": "BSN 111222333"})
    assert [e["loc"][0] for e in exc.value.errors()] == ["reason"]
