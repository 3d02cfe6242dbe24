"""Work plans on PostgreSQL through the API (issue 5 item 5): activities with due dates and
status, updated by the claimant or the coach; row-level access, closed cases, optimistic
concurrency, idempotent retries, pagination and the audit trail."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.clock import local_today
from tests.support.coaching import CaseDesk, open_desk
from tests.support.concurrency import requests_on_barrier, serve
from tests.support.pg import PgDatabases

pytestmark = pytest.mark.integration

TODAY = local_today()


class Desk(CaseDesk):
    def url(self, claim_id: uuid.UUID | None = None, activity: str | None = None) -> str:
        base = f"/v1/cases/{claim_id or self.claim_id}/work-plan"
        if activity is None:
            return base
        return f"{base}/activities/{activity}" if activity else f"{base}/activities"

    def add(
        self, headers: dict[str, str] | None = None, claim_id: uuid.UUID | None = None, **body: Any
    ) -> dict[str, Any]:
        payload = {"kind": "application", "description": "Apply at the library", **body}
        payload.setdefault("due_on", (TODAY + dt.timedelta(days=7)).isoformat())
        resp = self.client.post(
            self.url(claim_id, ""), json=payload, headers=headers or self.coach()
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())


@pytest.fixture
def desk(pg: PgDatabases, state_dir: Path) -> Iterator[Desk]:
    yield from open_desk(Desk, pg, state_dir)


def test_coach_adds_lists_reads_and_completes_an_activity(desk: Desk) -> None:
    due = (TODAY + dt.timedelta(days=7)).isoformat()
    resp = desk.client.post(
        desk.url(activity=""),
        json={"kind": "workshop", "description": "  CV workshop  ", "due_on": due},
        headers=desk.coach(),
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["status"] == "planned"
    assert created["description"] == "CV workshop"
    assert created["version"] == 1
    assert created["created_by_kind"] == created["updated_by_kind"] == "staff"
    assert created["claim_id"] == str(desk.claim_id)
    assert created["overdue"] is False
    assert resp.headers["ETag"] == '"1"'
    assert resp.headers["Location"] == desk.url(activity=created["id"])

    listed = desk.client.get(desk.url(), headers=desk.coach())
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1
    assert body["open_activities"] == 1
    assert body["overdue_activities"] == 0
    assert [a["id"] for a in body["items"]] == [created["id"]]

    one = desk.client.get(desk.url(activity=created["id"]), headers=desk.coach())
    assert one.status_code == 200
    assert one.json()["kind"] == "workshop"
    assert one.headers["ETag"] == '"1"'

    started = desk.client.patch(
        desk.url(activity=created["id"]),
        json={"version": 1, "status": "in_progress"},
        headers=desk.coach(),
    )
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_progress"
    assert started.json()["version"] == 2
    assert started.json()["status_changed_at"] is not None

    done = desk.client.patch(
        desk.url(activity=created["id"]),
        json={"status": "done", "outcome": "Attended, CV rewritten"},
        headers={**desk.coach(), "If-Match": '"2"'},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["outcome"] == "Attended, CV rewritten"
    assert done.headers["ETag"] == '"3"'

    (create_audit,) = desk.audit("workplan.activity_create")
    assert create_audit["resource_type"] == "work_plan_activity"
    assert create_audit["resource_id"] == created["id"]
    assert create_audit["actor"] == str(desk.coach_id)
    assert create_audit["new_values"]["kind"] == "workshop"
    updates = desk.audit("workplan.activity_update")
    assert [u["new_values"].get("status") for u in updates] == ["in_progress", "done"]
    assert updates[0]["old_values"] == {"status": "planned", "version": 1}
    (read_audit,) = desk.audit("workplan.read")
    assert read_audit["resource_type"] == "case"
    assert len(desk.audit("workplan.activity_read")) == 1


def test_trial_placement_needs_employer_and_at_most_two_months(desk: Desk) -> None:
    start = TODAY + dt.timedelta(days=14)
    ok = desk.add(
        kind="trial_placement",
        description="Trial placement as a baker's assistant, benefit retained",
        employer="Bakkerij De Graaf",
        starts_on=start.isoformat(),
        ends_on=(start + dt.timedelta(days=45)).isoformat(),
        due_on=(start + dt.timedelta(days=45)).isoformat(),
    )
    assert ok["employer"] == "Bakkerij De Graaf"
    too_long = desk.client.post(
        desk.url(activity=""),
        json={
            "kind": "trial_placement",
            "description": "Too long",
            "employer": "Bakkerij De Graaf",
            "starts_on": start.isoformat(),
            "ends_on": (start + dt.timedelta(days=70)).isoformat(),
            "due_on": start.isoformat(),
        },
        headers=desk.coach(),
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "ends_on"


def _due() -> str:
    return (TODAY + dt.timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "x", "due_on": "2026-12-01"}, "kind"),
        ({"kind": "application", "due_on": "2026-12-01"}, "description"),
        ({"kind": "application", "description": "x" * 501, "due_on": "2026-12-01"}, "description"),
        ({"kind": "application", "description": "x"}, "due_on"),
        ({"kind": "sports", "description": "x", "due_on": "2026-12-01"}, "kind"),
        ({"kind": "application", "description": "x", "due_on": "tomorrow"}, "due_on"),
        (
            {"kind": "application", "description": "BSN 123456782", "due_on": "2026-12-01"},
            "description",
        ),
        ({"kind": "application", "description": "x", "due_on": "2026-12-01", "x": 1}, "x"),
        ({"kind": "application", "description": "x", "due_on": "2020-01-01"}, "due_on"),
        ({"kind": "trial_placement", "description": "x", "due_on": "2026-12-01"}, "employer"),
        (
            {
                "kind": "volunteer_work",
                "description": "x",
                "due_on": "2026-12-01",
                "starts_on": "2026-12-10",
                "ends_on": "2026-12-01",
            },
            "ends_on",
        ),
    ],
)
def test_create_422_names_the_field(desk: Desk, body: dict[str, Any], field: str) -> None:
    if body.get("due_on") == "2026-12-01":
        body = {**body, "due_on": _due()}
    resp = desk.client.post(desk.url(activity=""), json=body, headers=desk.coach())
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "urn:ww:problem:validation-error"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert "123456782" not in resp.text


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"status": "done"}, {}, "version"),
        ({"version": 1, "status": None}, {}, "status"),
        ({"version": 1, "description": None}, {}, "description"),
        ({"version": 1, "status": "finished"}, {}, "status"),
        ({"version": 0, "status": "done"}, {}, "version"),
        ({"version": 2, "status": "done"}, {"If-Match": '"1"'}, "version"),
        ({"status": "done"}, {"If-Match": "abc"}, "If-Match"),
        ({"version": 1, "due_on": "2031-01-01"}, {}, "due_on"),
    ],
)
def test_update_422_names_the_field(
    desk: Desk, body: dict[str, Any], headers: dict[str, str], field: str
) -> None:
    activity = desk.add()
    resp = desk.client.patch(
        desk.url(activity=activity["id"]), json=body, headers={**desk.coach(), **headers}
    )
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == [field]


def test_invalid_transitions_are_409_naming_the_allowed_statuses(desk: Desk) -> None:
    activity = desk.add()
    url = desk.url(activity=activity["id"])
    r = desk.client.patch(url, json={"version": 1, "status": "in_progress"}, headers=desk.coach())
    assert r.status_code == 200
    back = desk.client.patch(url, json={"version": 2, "status": "planned"}, headers=desk.coach())
    assert back.status_code == 409
    assert back.json()["type"] == "urn:ww:problem:conflict"
    assert back.json()["allowed_statuses"] == ["cancelled", "done"]
    done = desk.client.patch(url, json={"version": 2, "status": "done"}, headers=desk.coach())
    assert done.status_code == 200
    again = desk.client.patch(url, json={"version": 3, "status": "cancelled"}, headers=desk.coach())
    assert again.status_code == 409
    assert again.json()["allowed_statuses"] == []
    edit = desk.client.patch(url, json={"version": 3, "description": "x"}, headers=desk.coach())
    assert edit.status_code == 409
    # The outcome of a final activity can still be written down.
    outcome = desk.client.patch(
        url, json={"version": 3, "outcome": "Invited"}, headers=desk.coach()
    )
    assert outcome.status_code == 200, outcome.text
    assert outcome.json()["version"] == 4


def test_stale_version_is_409_and_a_repeated_update_is_harmless(desk: Desk) -> None:
    activity = desk.add()
    url = desk.url(activity=activity["id"])
    first = desk.client.patch(
        url, json={"version": 1, "status": "in_progress"}, headers=desk.coach()
    )
    assert first.json()["version"] == 2
    # The same request again (a retry after a lost response): the current state, no change.
    retry = desk.client.patch(
        url, json={"version": 1, "status": "in_progress"}, headers=desk.coach()
    )
    assert retry.status_code == 200
    assert retry.json()["version"] == 2
    # Another change based on version 1 lost the race.
    stale = desk.client.patch(
        url, json={"version": 1, "description": "Different"}, headers=desk.coach()
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert len(desk.audit("workplan.activity_update")) == 1
    assert len(desk.audit("workplan.activity_update_unchanged")) == 1


def test_idempotency_key_replays_the_activity(desk: Desk) -> None:
    body = {"kind": "application", "description": "Apply at Albert Heijn", "due_on": _due()}
    headers = {**desk.coach(), "Idempotency-Key": "wp-1"}
    first = desk.client.post(desk.url(activity=""), json=body, headers=headers)
    second = desk.client.post(desk.url(activity=""), json=body, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    other = desk.client.post(
        desk.url(activity=""), json={**body, "description": "Other"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:ww:problem:idempotency-key-reuse"
    assert desk.client.get(desk.url(), headers=desk.coach()).json()["total"] == 1


def test_closed_case_is_read_only(desk: Desk) -> None:
    activity = desk.add()
    desk.close(desk.claim_id)
    post = desk.client.post(
        desk.url(activity=""),
        json={"kind": "application", "description": "x", "due_on": _due()},
        headers=desk.coach(),
    )
    assert post.status_code == 409
    assert "closed" in post.json()["detail"]
    patch = desk.client.patch(
        desk.url(activity=activity["id"]),
        json={"version": 1, "status": "done"},
        headers=desk.coach(),
    )
    assert patch.status_code == 409
    claimant_patch = desk.client.patch(
        desk.url(activity=activity["id"]),
        json={"version": 1, "status": "done"},
        headers=desk.claimant_h(),
    )
    assert claimant_patch.status_code == 409
    assert desk.client.get(desk.url(), headers=desk.coach()).status_code == 200


def test_who_sees_the_plan(desk: Desk) -> None:
    activity = desk.add()
    covering = uuid.uuid4()
    other_case = desk.case(coach_id=uuid.uuid4(), covering_coach_id=covering)
    desk.add(claim_id=other_case, headers=desk.as_("admin"))

    def status_of(headers: dict[str, str], claim_id: uuid.UUID | None = None) -> int:
        return desk.client.get(desk.url(claim_id), headers=headers).status_code

    assert status_of(desk.coach()) == 200
    assert status_of(desk.coach(), other_case) == 404
    assert status_of(desk.as_("coach", sub=str(covering)), other_case) == 200
    assert status_of(desk.as_("coach", sub=str(covering))) == 404
    assert status_of(desk.as_("team_lead", office="AMS")) == 200
    assert status_of(desk.as_("team_lead", office="RTD")) == 404
    assert status_of(desk.as_("admin")) == 200
    assert status_of(desk.claimant_h()) == 200
    assert status_of(desk.claimant_h(), other_case) == 404
    assert status_of(desk.as_("claimant", sub="someone-else")) == 404
    assert status_of(desk.as_("triage_analyst")) == 403
    assert status_of(desk.as_("benefits_officer")) == 403
    assert desk.client.get(desk.url()).status_code == 401
    assert desk.client.get(desk.url(uuid.uuid4()), headers=desk.as_("admin")).status_code == 404

    stranger = desk.as_("coach", sub=str(uuid.uuid4()))
    url = desk.url(activity=activity["id"])
    assert desk.client.get(url, headers=stranger).status_code == 404
    assert (
        desk.client.patch(url, json={"version": 1, "status": "done"}, headers=stranger).status_code
        == 404
    )
    assert (
        desk.client.post(
            desk.url(activity=""),
            json={"kind": "application", "description": "x", "due_on": _due()},
            headers=desk.as_("team_lead", office="RTD"),
        ).status_code
        == 404
    )
    # An activity of another case is not reachable through this case.
    other_activity = desk.add(claim_id=other_case, headers=desk.as_("admin"))
    assert (
        desk.client.get(desk.url(activity=other_activity["id"]), headers=desk.coach()).status_code
        == 404
    )


def test_claimant_adds_to_and_reports_on_their_own_plan(desk: Desk) -> None:
    agreed = desk.add(description="Apply at three employers")
    own = desk.add(headers=desk.claimant_h(), kind="volunteer_work", description="Food bank")
    assert own["created_by_kind"] == "claimant"
    placement = desk.client.post(
        desk.url(activity=""),
        json={
            "kind": "trial_placement",
            "description": "x",
            "due_on": _due(),
            "employer": "X",
            "starts_on": _due(),
            "ends_on": _due(),
        },
        headers=desk.claimant_h(),
    )
    assert placement.status_code == 403

    plan = desk.client.get(desk.url(), headers=desk.claimant_h())
    assert plan.status_code == 200
    assert plan.json()["total"] == 2

    agreed_url = desk.url(activity=agreed["id"])
    rewrite = desk.client.patch(
        agreed_url, json={"version": 1, "description": "Apply at one"}, headers=desk.claimant_h()
    )
    assert rewrite.status_code == 403
    cancel = desk.client.patch(
        agreed_url, json={"version": 1, "status": "cancelled"}, headers=desk.claimant_h()
    )
    assert cancel.status_code == 403
    done = desk.client.patch(
        agreed_url,
        json={"version": 1, "status": "done", "outcome": "Sent three letters"},
        headers=desk.claimant_h(),
    )
    assert done.status_code == 200, done.text
    assert done.json()["updated_by_kind"] == "claimant"
    assert done.json()["created_by_kind"] == "staff"

    own_url = desk.url(activity=own["id"])
    moved = desk.client.patch(
        own_url, json={"version": 1, "due_on": _due()}, headers=desk.claimant_h()
    )
    assert moved.status_code == 200, moved.text
    dropped = desk.client.patch(
        own_url, json={"version": 2, "status": "cancelled"}, headers=desk.claimant_h()
    )
    assert dropped.status_code == 200
    (claimant_update, *_) = desk.audit("workplan.activity_update")
    assert claimant_update["actor"] == desk.claimant


def test_pagination_sorting_and_filters(desk: Desk) -> None:
    ids = []
    for days in (5, 1, 9, 3, 7):
        ids.append(desk.add(due_on=(TODAY + dt.timedelta(days=days)).isoformat())["id"])
    overdue = desk.add(due_on=(TODAY - dt.timedelta(days=2)).isoformat(), kind="training")
    ids.append(overdue["id"])
    finished = desk.add(due_on=(TODAY - dt.timedelta(days=5)).isoformat())
    desk.client.patch(
        desk.url(activity=finished["id"]),
        json={"version": 1, "status": "done"},
        headers=desk.coach(),
    )

    page = desk.client.get(
        desk.url(), params={"limit": 3, "offset": 0}, headers=desk.coach()
    ).json()
    assert page["total"] == 7
    assert page["limit"] == 3
    assert page["open_activities"] == 6
    assert page["overdue_activities"] == 1
    dues = [a["due_on"] for a in page["items"]]
    assert dues == sorted(dues)
    assert page["items"][0]["id"] == finished["id"]
    assert page["items"][1]["overdue"] is True
    assert page["items"][0]["overdue"] is False  # done is never overdue

    rest = desk.client.get(
        desk.url(), params={"limit": 3, "offset": 6}, headers=desk.coach()
    ).json()
    assert len(rest["items"]) == 1

    newest_due = desk.client.get(
        desk.url(), params={"sort": "-due_on", "limit": 1}, headers=desk.coach()
    ).json()
    assert newest_due["items"][0]["due_on"] == (TODAY + dt.timedelta(days=9)).isoformat()

    open_only = desk.client.get(
        desk.url(), params=[("status", "planned"), ("status", "in_progress")], headers=desk.coach()
    ).json()
    assert open_only["total"] == 6
    trainings = desk.client.get(
        desk.url(), params={"kind": "training"}, headers=desk.coach()
    ).json()
    assert [a["id"] for a in trainings["items"]] == [overdue["id"]]

    bad = desk.client.get(desk.url(), params={"sort": "priority"}, headers=desk.coach())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "sort"
    bad_limit = desk.client.get(desk.url(), params={"limit": 0}, headers=desk.coach())
    assert bad_limit.status_code == 422
    assert len(desk.audit("workplan.read")) == 5  # the five successful reads


def test_concurrent_updates_of_one_version_cannot_both_win(desk: Desk) -> None:
    activity = desk.add()
    url = desk.url(activity=activity["id"])
    bodies = [{"version": 1, "description": f"Variant {i}", "due_on": _due()} for i in range(6)]
    headers = desk.coach()
    # Over HTTP, all six released by one barrier.
    with serve(desk.client.app) as base:
        responses = requests_on_barrier(
            base, [("PATCH", url, {"json": b, "headers": headers}) for b in bodies]
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409, 409, 409, 409, 409]
    final = desk.client.get(url, headers=desk.coach()).json()
    assert final["version"] == 2
    assert len(desk.audit("workplan.activity_update")) == 1
