"""Work plan rules (issue 5 item 5): status transitions, trial placements, due dates, what
the claimant may change, and the request schemas."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from coaching.workplans.schemas import ActivityCreate, ActivityUpdate
from coaching.workplans.service import (
    TRANSITIONS,
    add_months,
    check_claimant_change,
    check_due_on,
    check_period,
    check_transition,
)
from shared.web.problems import Conflict, Forbidden, InvalidField

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("planned", "in_progress"),
        ("planned", "done"),
        ("planned", "cancelled"),
        ("in_progress", "done"),
        ("in_progress", "cancelled"),
    ],
)
def test_allowed_transitions(current: str, target: str) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("in_progress", "planned", ["cancelled", "done"]),
        ("done", "in_progress", []),
        ("done", "cancelled", []),
        ("cancelled", "planned", []),
        ("cancelled", "done", []),
    ],
)
def test_refused_transitions_name_the_allowed_ones(
    current: str, target: str, allowed: list[str]
) -> None:
    with pytest.raises(Conflict) as exc:
        check_transition(current, target)
    assert exc.value.extra["allowed_statuses"] == allowed
    assert exc.value.extra["current_status"] == current
    assert target in exc.value.detail


def test_final_statuses_have_no_way_out() -> None:
    assert TRANSITIONS["done"] == TRANSITIONS["cancelled"] == frozenset()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 15), 2, dt.date(2026, 3, 15)),
        (dt.date(2026, 12, 31), 2, dt.date(2027, 2, 28)),
        (dt.date(2027, 12, 31), 2, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 1), 2, dt.date(2027, 1, 1)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_trial_placement_of_two_months_minus_a_day_is_the_longest() -> None:
    check_period(
        kind="trial_placement",
        employer="Bakkerij De Graaf",
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2027, 1, 31),
    )
    with pytest.raises(InvalidField) as exc:
        check_period(
            kind="trial_placement",
            employer="Bakkerij De Graaf",
            starts_on=dt.date(2026, 12, 1),
            ends_on=dt.date(2027, 2, 1),
        )
    assert exc.value.extra["errors"][0]["field"] == "ends_on"
    assert "2027-01-31" in exc.value.detail


@pytest.mark.parametrize("missing", ["employer", "starts_on", "ends_on"])
def test_trial_placement_needs_employer_and_period(missing: str) -> None:
    fields: dict[str, object] = {
        "employer": "Bakkerij De Graaf",
        "starts_on": dt.date(2026, 12, 1),
        "ends_on": dt.date(2026, 12, 31),
    }
    fields[missing] = None
    with pytest.raises(InvalidField) as exc:
        check_period(kind="trial_placement", **fields)  # type: ignore[arg-type]
    assert exc.value.extra["errors"][0]["field"] == missing


def test_period_ends_after_it_starts_for_any_kind() -> None:
    check_period(kind="volunteer_work", employer=None, starts_on=None, ends_on=None)
    with pytest.raises(InvalidField) as exc:
        check_period(
            kind="volunteer_work",
            employer=None,
            starts_on=dt.date(2026, 12, 2),
            ends_on=dt.date(2026, 12, 1),
        )
    assert exc.value.extra["errors"][0]["field"] == "ends_on"


def test_due_on_bounds() -> None:
    check_due_on(TODAY - dt.timedelta(days=30), TODAY)
    check_due_on(TODAY + dt.timedelta(days=400), TODAY)
    for bad in (TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=800)):
        with pytest.raises(InvalidField) as exc:
            check_due_on(bad, TODAY)
        assert exc.value.extra["errors"][0]["field"] == "due_on"


def test_claimant_reports_progress_on_an_agreed_activity() -> None:
    check_claimant_change(
        activity_created_by="staff",
        changes={"status": "done", "outcome": "ok"},
        target_status="done",
    )
    check_claimant_change(
        activity_created_by="staff", changes={"status": "in_progress"}, target_status="in_progress"
    )


@pytest.mark.parametrize(
    ("changes", "target"),
    [
        ({"description": "other"}, None),
        ({"due_on": TODAY}, None),
        ({"employer": "X"}, None),
        ({"status": "cancelled"}, "cancelled"),
    ],
)
def test_claimant_may_not_rewrite_an_agreed_activity(
    changes: dict[str, object], target: str | None
) -> None:
    with pytest.raises(Forbidden):
        check_claimant_change(activity_created_by="staff", changes=changes, target_status=target)


def test_claimant_edits_and_cancels_their_own_activity_but_not_placement_terms() -> None:
    check_claimant_change(
        activity_created_by="claimant",
        changes={"description": "x", "due_on": TODAY, "status": "cancelled"},
        target_status="cancelled",
    )
    with pytest.raises(Forbidden):
        check_claimant_change(
            activity_created_by="claimant", changes={"starts_on": TODAY}, target_status=None
        )


def _create(**overrides: object) -> ActivityCreate:
    body: dict[str, object] = {
        "kind": "application",
        "description": "Apply at the library",
        "due_on": "2026-12-05",
    }
    body.update(overrides)
    return ActivityCreate.model_validate(body)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "holiday"}, "kind"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 501}, "description"),
        ({"description": "my BSN is 123456782"}, "description"),
        ({"due_on": "5 december"}, "due_on"),
        ({"due_on": None}, "due_on"),
        ({"employer": "e" * 201}, "employer"),
        ({"status": "done"}, "status"),  # a new activity always starts as planned
    ],
)
def test_create_schema_rejects(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(**overrides)
    assert [e["loc"][0] for e in exc.value.errors()] == [field]


def test_create_schema_strips_description() -> None:
    assert _create(description="  Apply  ").description == "Apply"


def test_update_schema_keeps_only_the_fields_sent() -> None:
    update = ActivityUpdate.model_validate({"version": 1, "outcome": None})
    assert update.model_fields_set == {"version", "outcome"}
    with pytest.raises(ValidationError):
        ActivityUpdate.model_validate({"version": 0})
    with pytest.raises(ValidationError):
        ActivityUpdate.model_validate({"version": 1, "status": "started"})
