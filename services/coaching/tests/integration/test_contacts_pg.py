"""Contact moments on PostgreSQL through the API (issue 5 item 6): planned and held, the
channel, coach-only notes, no-shows; row-level access, closed cases, transitions, the
claimant's view without notes, pagination and the audit trail."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.coaching import CaseDesk, open_desk
from tests.support.pg import PgDatabases

pytestmark = pytest.mark.integration

NOTES = "Discussed motivation; coach's impression only"


def _at(hours: float) -> str:
    """An aware time `hours` from now, in Dutch winter time notation."""
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    return moment.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat()


class Desk(CaseDesk):
    def url(self, claim_id: uuid.UUID | None = None, moment: str | None = None) -> str:
        base = f"/v1/cases/{claim_id or self.claim_id}/contact-moments"
        return f"{base}/{moment}" if moment else base

    def plan(
        self, headers: dict[str, str] | None = None, claim_id: uuid.UUID | None = None, **body: Any
    ) -> dict[str, Any]:
        payload = {"planned_at": _at(24), "channel": "face_to_face", "purpose": "Work plan", **body}
        resp = self.client.post(self.url(claim_id), json=payload, headers=headers or self.coach())
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def act(self, moment: str, action: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", None) or self.coach()
        return self.client.post(
            f"{self.url(kw.pop('claim_id', None), moment)}/{action}", json=body, headers=headers
        )


@pytest.fixture
def desk(pg: PgDatabases, state_dir: Path) -> Iterator[Desk]:
    yield from open_desk(Desk, pg, state_dir)


def test_plan_hold_and_read_with_notes(desk: Desk) -> None:
    planned_at = _at(-1)  # held after the planned time: no reason needed
    resp = desk.client.post(
        desk.url(),
        json={"planned_at": planned_at, "channel": "video", "purpose": "  Review the plan "},
        headers=desk.coach(),
    )
    assert resp.status_code == 201, resp.text
    moment = resp.json()
    assert moment["status"] == "planned"
    assert moment["purpose"] == "Review the plan"
    assert moment["planned_by"] == str(desk.coach_id)
    assert moment["version"] == 1
    assert dt.datetime.fromisoformat(moment["planned_at"]) == dt.datetime.fromisoformat(planned_at)
    assert resp.headers["Location"] == desk.url(moment=moment["id"])

    held = desk.act(moment["id"], "held", {"notes": NOTES, "version": 1})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "held"
    assert held.json()["notes"] == NOTES
    assert held.json()["held_at"] is not None
    assert held.json()["recorded_by"] == str(desk.coach_id)
    assert held.json()["version"] == 2

    one = desk.client.get(desk.url(moment=moment["id"]), headers=desk.coach())
    assert one.status_code == 200
    assert one.json()["notes"] == NOTES
    listed = desk.client.get(desk.url(), headers=desk.as_("team_lead", office="AMS"))
    assert listed.status_code == 200
    assert listed.json()["items"][0]["notes"] == NOTES
    assert listed.json()["no_shows"] == 0

    (plan_audit,) = desk.audit("contact.plan")
    assert plan_audit["resource_type"] == "contact_moment"
    assert plan_audit["resource_id"] == moment["id"]
    assert plan_audit["new_values"]["channel"] == "video"
    (held_audit,) = desk.audit("contact.held")
    assert held_audit["old_values"]["status"] == "planned"
    # The notes themselves never enter the audit trail.
    assert held_audit["new_values"]["notes"] == "(recorded)"
    assert NOTES not in str(held_audit)
    assert len(desk.audit("contact.read")) == 1
    (list_audit,) = desk.audit("contact.list")
    assert list_audit["resource_type"] == "case"


def test_claimant_sees_own_moments_without_notes_and_cannot_write(desk: Desk) -> None:
    moment = desk.plan(planned_at=_at(-1))
    desk.act(moment["id"], "held", {"notes": NOTES, "held_at": _at(0)})
    listed = desk.client.get(desk.url(), headers=desk.claimant_h())
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["status"] == "held"
    assert "notes" not in item
    assert "planned_by" not in item
    assert "recorded_by" not in item
    assert NOTES not in listed.text
    one = desk.client.get(desk.url(moment=moment["id"]), headers=desk.claimant_h())
    assert one.status_code == 200
    assert "notes" not in one.json()
    assert NOTES not in one.text

    assert desk.client.get(desk.url(), headers=desk.as_("claimant", sub="other")).status_code == 404
    assert (
        desk.client.post(
            desk.url(),
            json={"planned_at": _at(3), "channel": "phone", "purpose": "x"},
            headers=desk.claimant_h(),
        ).status_code
        == 403
    )
    for action in ("held", "no-show", "cancel"):
        assert desk.act(moment["id"], action, {}, headers=desk.claimant_h()).status_code == 403
    assert len(desk.audit("contact.list")) == 1
    assert len(desk.audit("contact.read")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "phone", "purpose": "x"}, "planned_at"),
        ({"planned_at": "2026-12-01T10:00:00", "channel": "phone", "purpose": "x"}, "planned_at"),
        ({"planned_at": "next week", "channel": "phone", "purpose": "x"}, "planned_at"),
        ({"planned_at": "FUTURE", "channel": "letter", "purpose": "x"}, "channel"),
        ({"planned_at": "FUTURE", "purpose": "x"}, "channel"),
        ({"planned_at": "FUTURE", "channel": "phone"}, "purpose"),
        ({"planned_at": "FUTURE", "channel": "phone", "purpose": ""}, "purpose"),
        ({"planned_at": "FUTURE", "channel": "phone", "purpose": "p" * 501}, "purpose"),
        ({"planned_at": "FUTURE", "channel": "phone", "purpose": "111222333"}, "purpose"),
        ({"planned_at": "FAR", "channel": "phone", "purpose": "x"}, "planned_at"),
        ({"planned_at": "FUTURE", "channel": "phone", "purpose": "x", "notes": "x"}, "notes"),
    ],
)
def test_plan_422_names_the_field(desk: Desk, body: dict[str, Any], field: str) -> None:
    replace = {"FUTURE": _at(5), "FAR": _at(24 * 400)}
    body = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    resp = desk.client.post(desk.url(), json=body, headers=desk.coach())
    assert resp.status_code == 422, resp.text
    assert resp.json()["type"] == "urn:ww:problem:validation-error"
    assert [e["field"] for e in resp.json()["errors"]] == [field]
    assert "111222333" not in resp.text


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("held", {"held_at": "FUTURE"}, "held_at"),
        ("held", {"held_at": "2026-11-28T10:00:00"}, "held_at"),
        ("held", {"notes": ""}, "notes"),
        ("held", {"notes": "n" * 4001}, "notes"),
        ("held", {"version": 0}, "version"),
        ("cancel", {"reason": "r" * 501}, "reason"),
        ("cancel", {"why": "x"}, "why"),
        ("no-show", {"version": "one"}, "version"),
    ],
)
def test_transition_422_names_the_field(
    desk: Desk, action: str, body: dict[str, Any], field: str
) -> None:
    moment = desk.plan()
    body = {k: _at(3) if v == "FUTURE" else v for k, v in body.items()}
    resp = desk.act(moment["id"], action, body)
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == [field]


def test_no_show_cancel_and_transitions(desk: Desk) -> None:
    future = desk.plan(planned_at=_at(3))
    early = desk.act(future["id"], "no-show")
    assert early.status_code == 409
    assert "planned for" in early.json()["detail"]

    past = desk.plan(planned_at=_at(-1), channel="phone")
    first = desk.act(past["id"], "no-show")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "no_show"
    repeat = desk.act(past["id"], "no-show", {})
    assert repeat.status_code == 200
    assert repeat.json()["version"] == 2
    cancel_no_show = desk.act(past["id"], "cancel")
    assert cancel_no_show.status_code == 409
    assert cancel_no_show.json()["allowed_statuses"] == ["held"]

    another = desk.plan(planned_at=_at(-30))
    assert desk.act(another["id"], "no-show").status_code == 200
    listed = desk.client.get(desk.url(), headers=desk.coach()).json()
    assert listed["no_shows"] == 2

    # A no-show recorded in error is corrected by recording the contact as held.
    corrected = desk.act(another["id"], "held", {"notes": "Came 20 minutes late"})
    assert corrected.status_code == 200
    assert desk.client.get(desk.url(), headers=desk.coach()).json()["no_shows"] == 1

    cancelled = desk.act(future["id"], "cancel", {"reason": "Coach ill", "version": 1})
    assert cancelled.status_code == 200
    assert cancelled.json()["cancel_reason"] == "Coach ill"
    assert desk.act(future["id"], "cancel", {"reason": "Coach ill"}).status_code == 200
    held_after_cancel = desk.act(future["id"], "held", {})
    assert held_after_cancel.status_code == 409
    assert held_after_cancel.json()["allowed_statuses"] == []

    # Held is final; the same held request again is harmless, another one is 409.
    held = desk.plan(planned_at=_at(-2))
    at = _at(-2)
    assert desk.act(held["id"], "held", {"held_at": at, "notes": "ok"}).status_code == 200
    assert desk.act(held["id"], "held", {"held_at": at, "notes": "ok"}).status_code == 200
    assert desk.act(held["id"], "held", {"held_at": at, "notes": "changed"}).status_code == 409
    assert desk.act(held["id"], "no-show").status_code == 409
    assert desk.act(held["id"], "cancel").status_code == 409
    assert len(desk.audit("contact.held")) == 2
    assert len(desk.audit("contact.no_show")) == 2
    assert len(desk.audit("contact.no_show_unchanged")) == 1


def test_stale_version_is_409(desk: Desk) -> None:
    moment = desk.plan(planned_at=_at(-1))
    stale = desk.act(moment["id"], "held", {"version": 2})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
    assert desk.act(moment["id"], "held", {"version": 1}).status_code == 200


def test_idempotency_key_replays_the_plan(desk: Desk) -> None:
    body = {"planned_at": _at(48), "channel": "phone", "purpose": "Call"}
    headers = {**desk.coach(), "Idempotency-Key": "cm-1"}
    first = desk.client.post(desk.url(), json=body, headers=headers)
    second = desk.client.post(desk.url(), json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    other = desk.client.post(desk.url(), json={**body, "channel": "video"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "urn:ww:problem:idempotency-key-reuse"
    assert desk.client.get(desk.url(), headers=desk.coach()).json()["total"] == 1


def test_closed_case_is_read_only(desk: Desk) -> None:
    planned = desk.plan(planned_at=_at(-1))
    desk.close(desk.claim_id)
    plan = desk.client.post(
        desk.url(),
        json={"planned_at": _at(5), "channel": "phone", "purpose": "x"},
        headers=desk.coach(),
    )
    assert plan.status_code == 409
    assert "closed" in plan.json()["detail"]
    for action in ("held", "no-show", "cancel"):
        resp = desk.act(planned["id"], action, {})
        assert resp.status_code == 409, action
        assert "closed" in resp.json()["detail"]
    assert desk.client.get(desk.url(), headers=desk.coach()).status_code == 200
    assert desk.client.get(desk.url(), headers=desk.claimant_h()).status_code == 200


def test_who_reaches_the_contact_moments(desk: Desk) -> None:
    moment = desk.plan(planned_at=_at(-1))
    covering = uuid.uuid4()
    other_case = desk.case(coach_id=uuid.uuid4(), covering_coach_id=covering)

    def status_of(headers: dict[str, str], claim_id: uuid.UUID | None = None) -> int:
        return desk.client.get(desk.url(claim_id), headers=headers).status_code

    assert status_of(desk.coach()) == 200
    assert status_of(desk.coach(), other_case) == 404
    assert status_of(desk.as_("coach", sub=str(covering)), other_case) == 200
    assert status_of(desk.as_("team_lead", office="AMS")) == 200
    assert status_of(desk.as_("team_lead", office="RTD")) == 404
    assert status_of(desk.as_("admin")) == 200
    assert status_of(desk.as_("claimant", sub=desk.claimant), other_case) == 404
    assert status_of(desk.as_("triage_analyst")) == 403
    assert desk.client.get(desk.url()).status_code == 401

    stranger = desk.as_("coach", sub=str(uuid.uuid4()))
    other_lead = desk.as_("team_lead", office="RTD")
    body = {"planned_at": _at(5), "channel": "phone", "purpose": "x"}
    assert desk.client.post(desk.url(), json=body, headers=stranger).status_code == 404
    assert desk.client.post(desk.url(), json=body, headers=other_lead).status_code == 404
    assert desk.client.get(desk.url(moment=moment["id"]), headers=stranger).status_code == 404
    for action in ("held", "no-show", "cancel"):
        assert desk.act(moment["id"], action, {}, headers=stranger).status_code == 404
        assert desk.act(moment["id"], action, {}, headers=other_lead).status_code == 404
    # A contact moment of another case is not reachable through this case.
    assert (
        desk.act(
            moment["id"], "held", {}, claim_id=other_case, headers=desk.as_("admin")
        ).status_code
        == 404
    )
    # The covering coach plans on the case they cover; the team lead of the office too.
    desk.plan(headers=desk.as_("coach", sub=str(covering)), claim_id=other_case)
    desk.plan(headers=desk.as_("team_lead", office="AMS"))
    assert desk.act(moment["id"], "no-show", headers=desk.as_("admin")).status_code == 200


def test_pagination_and_sorting(desk: Desk) -> None:
    hours = [30, -5, 10, 50, 1]
    for h in hours:
        desk.plan(planned_at=_at(h))
    page = desk.client.get(desk.url(), params={"limit": 2}, headers=desk.coach()).json()
    assert page["total"] == 5
    assert page["limit"] == 2
    firsts = [dt.datetime.fromisoformat(m["planned_at"]) for m in page["items"]]
    assert firsts == sorted(firsts)
    everything = desk.client.get(desk.url(), params={"limit": 10}, headers=desk.coach()).json()
    all_times = [dt.datetime.fromisoformat(m["planned_at"]) for m in everything["items"]]
    assert all_times == sorted(all_times)
    last = desk.client.get(
        desk.url(), params={"limit": 2, "offset": 4}, headers=desk.coach()
    ).json()
    assert [m["id"] for m in last["items"]] == [everything["items"][4]["id"]]
    newest = desk.client.get(
        desk.url(), params={"sort": "-planned_at", "limit": 1}, headers=desk.coach()
    ).json()
    assert newest["items"][0]["id"] == everything["items"][-1]["id"]
    past = everything["items"][0]["id"]
    desk.act(past, "no-show")
    no_shows = desk.client.get(
        desk.url(), params={"status": "no_show"}, headers=desk.coach()
    ).json()
    assert [m["id"] for m in no_shows["items"]] == [past]
    bad = desk.client.get(desk.url(), params={"status": "missed"}, headers=desk.coach())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status.0"
    too_many = desk.client.get(desk.url(), params={"limit": 201}, headers=desk.coach())
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "limit"


# One time-zone representation; held before the planned day needs a reason (issue 12 item 9)


def test_times_are_kept_and_answered_in_utc_whatever_offset_was_sent(desk: Desk) -> None:
    """ADR 0018: the POST answered the offset it was sent, a GET the database's UTC; now
    both answer UTC, the same string."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    sent = past.astimezone(dt.timezone(dt.timedelta(hours=2))).replace(microsecond=0)
    created = desk.plan(planned_at=sent.isoformat())
    got = dt.datetime.fromisoformat(created["planned_at"])
    assert got == sent
    assert got.utcoffset() == dt.timedelta(0)
    read = desk.client.get(desk.url(moment=created["id"]), headers=desk.coach()).json()
    assert read["planned_at"] == created["planned_at"]
    held_sent = (past + dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    held = desk.act(created["id"], "held", {"held_at": held_sent.isoformat()})
    assert held.status_code == 200, held.text
    held_at = dt.datetime.fromisoformat(held.json()["held_at"])
    assert (held_at, held_at.utcoffset()) == (held_sent, dt.timedelta(0))
    listed = desk.client.get(desk.url(), headers=desk.claimant_h()).json()["items"]
    assert [(x["planned_at"], x["held_at"]) for x in listed] == [
        (created["planned_at"], held.json()["held_at"])
    ]


def test_held_before_the_planned_day_needs_a_reason(desk: Desk) -> None:
    moment = desk.plan(planned_at=_at(48))  # the day after tomorrow at the earliest
    refused = desk.act(moment["id"], "held", {"notes": NOTES})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    blank = desk.act(moment["id"], "held", {"reason": "   "})
    assert blank.status_code == 422
    assert [e["field"] for e in blank.json()["errors"]] == ["reason"]
    assert desk.audit("contact.held") == []  # nothing recorded

    reason = "The claimant came by the office two days early"
    held = desk.act(moment["id"], "held", {"notes": NOTES, "reason": reason})
    assert held.status_code == 200, held.text
    assert (held.json()["status"], held.json()["early_reason"]) == ("held", reason)
    (audit,) = desk.audit("contact.held")
    assert audit["new_values"]["early_reason"] == reason
    with desk.container.engine.connect() as conn:
        audited = conn.execute(
            text("SELECT reason FROM audit_log WHERE action = 'contact.held' AND resource_id = :r"),
            {"r": moment["id"]},
        ).scalar_one()
    assert audited == reason
    claimant = desk.client.get(desk.url(moment=moment["id"]), headers=desk.claimant_h()).json()
    assert "early_reason" not in claimant  # the staff's record, like the notes


def test_held_on_or_after_the_planned_day_needs_no_reason(desk: Desk) -> None:
    yesterday = desk.plan(planned_at=_at(-24))
    assert desk.act(yesterday["id"], "held", {}).status_code == 200
    # Correcting a no-show recorded in error needs none either (the time had come).
    missed = desk.plan(planned_at=_at(-2))
    assert desk.act(missed["id"], "no-show").status_code == 200
    corrected = desk.act(missed["id"], "held", {"notes": "Came late"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["early_reason"] is None
