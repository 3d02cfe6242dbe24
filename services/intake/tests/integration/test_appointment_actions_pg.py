"""Appointment actions on PostgreSQL: reschedule, cancel, no-show, complete (issue 3, 6 and 7).

Decisions tested here:
- A claimant rescheduling within `reschedule_cutoff_hours` of the start gets 409 (the state of
  the appointment, not the input, forbids it) with `allowed: ["cancel"]`; staff still may.
- Reschedule moves the slot on the same row (status `rescheduled`, still active), so the
  partial unique indexes guard the new slot and the old slot is free at once.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from intake.agendas.rules import local_to_utc
from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.concurrency import requests_on_barrier, serve
from tests.support.intake import add_roster_coach, intake_on_pg, known_coach_sub
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1 = WorkingDays().add_working_days(TODAY, 1)
ME = "claimant-noor"
COMPLETION = {
    "explained_topics": ["job_search_obligation", "income_reporting", "sanctions"],
    "obligation_regime": "regular",
    "claimant_view": "wants to retrain as a nurse",
    "questionnaire_answers": {"driving_licence": True, "hours_per_week": 32},
    "agreed_next_step": "apply for two vacancies a week",
}


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random
    coach_id: uuid.UUID

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        if "coach" in roles:  # a coach on the roster: unknown coaches are refused (ADR 0022)
            sub = known_coach_sub(self.container.engine, sub, office or "AMS")
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def me(self) -> dict[str, str]:
        return self.as_("claimant", sub=ME)

    @property
    def coach(self) -> dict[str, str]:
        return self.as_("coach", sub=str(self.coach_id), office="AMS")

    def lead(self, office: str = "AMS") -> dict[str, str]:
        return self.as_("team_lead", sub=f"lead-{office}", office=office)

    def register(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """Register a claim (as the claimant by default); its one appointment, or {}."""
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": "Noor",
            "family_name": "Smit",
            "date_of_birth": "1990-02-02",
            "first_ww_day": TODAY.isoformat(),
            "postcode": "1011 AB",
        }
        headers = self.tokens.signed_in(headers or self.me, body["bsn"])
        r = self.client.post("/v1/claims", json=body, headers=headers)
        assert r.status_code == 201, r.text
        listed = self.client.get(
            f"/v1/claims/{r.json()['id']}/appointments", headers=self.as_("admin")
        ).json()
        return dict(listed[0]) if listed else {"claim_id": r.json()["id"]}

    def post(self, appointment: dict[str, Any], action: str, body: Any, headers: Any) -> Any:
        return self.client.post(
            f"/v1/appointments/{appointment['id']}/{action}", json=body, headers=headers
        )

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0]) for r in rows]

    def move_to(self, appointment: dict[str, Any], starts_at: dt.datetime) -> None:
        """Put the appointment in a fresh slot of its coach at an arbitrary moment."""
        slot_id = uuid.uuid4()
        ends_at = starts_at + dt.timedelta(minutes=45)
        self.sql(
            "INSERT INTO slots (id, coach_id, office_code, starts_at, ends_at, state) "
            "VALUES (:id, :coach, 'AMS', :s, :e, 'open')",
            id=slot_id,
            coach=self.coach_id,
            s=starts_at,
            e=ends_at,
        )
        self.sql(
            "UPDATE appointments SET slot_id = :slot, starts_at = :s, ends_at = :e WHERE id = :id",
            slot=slot_id,
            s=starts_at,
            e=ends_at,
            id=uuid.UUID(appointment["id"]),
        )


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    c = intake_on_pg(pg, state_dir)
    coach_id = add_roster_coach(c.engine)
    it = Intake(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        random.Random(5),
        coach_id,
    )
    yield it
    c.stop()


def _agenda(intake: Intake, start: str = "09:00", end: str = "12:00") -> None:
    block = {
        "weekday": D1.weekday(),
        "start_time": start,
        "end_time": end,
        "office_code": "AMS",
    }
    r = intake.client.put(
        f"/v1/coaches/{intake.coach_id}/agenda", json={"blocks": [block]}, headers=intake.lead()
    )
    assert r.status_code == 200, r.text


def _local(hh: int) -> dt.datetime:
    return local_to_utc(D1, dt.time(hh))


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def _fields(r: httpx.Response) -> set[str]:
    return {e["field"].split(".")[0] for e in _problem(r, 422)["errors"]}


def _audit(intake: Intake, action: str) -> list[Any]:
    return intake.sql(
        "SELECT old_values, new_values, reason FROM audit_log WHERE action = :a", a=action
    )


# --- claimant self-service ------------------------------------------------------------------


def test_claimant_sees_alternatives_and_reschedules(intake: Intake) -> None:
    _agenda(intake)  # 09:00, 10:00, 11:00 on D1
    a = intake.register()
    assert dt.datetime.fromisoformat(a["starts_at"]) == _local(9)
    url = f"/v1/appointments/{a['id']}/alternatives"
    alts = intake.client.get(url, headers=intake.me)
    assert alts.status_code == 200, alts.text
    assert [dt.datetime.fromisoformat(s["starts_at"]) for s in alts.json()["items"]] == [
        _local(10),
        _local(11),
    ]
    assert (alts.json()["total"], alts.json()["limit"], alts.json()["offset"]) == (2, 50, 0)
    _problem(intake.client.get(url, headers=intake.as_("claimant", sub="someone-else")), 404)

    # Bad input names the field.
    assert _fields(intake.post(a, "reschedule", {"slot_id": "nope"}, intake.me)) == {"slot_id"}
    assert _fields(intake.post(a, "reschedule", {}, intake.me)) == {"slot_id"}
    assert _fields(intake.post(a, "reschedule", {"slot_id": str(uuid.uuid4())}, intake.me)) == {
        "slot_id"
    }
    current = _problem(intake.post(a, "reschedule", {"slot_id": a["slot_id"]}, intake.me), 409)
    assert (current["type"], current["reason"]) == (
        "urn:ww:problem:slot-unavailable",
        "current_slot",
    )
    other_claimant = intake.as_("claimant", sub="someone-else")
    target = alts.json()["items"][1]["slot_id"]
    _problem(intake.post(a, "reschedule", {"slot_id": target}, other_claimant), 404)

    r = intake.post(a, "reschedule", {"slot_id": target}, intake.me)
    assert r.status_code == 200, r.text
    moved = r.json()
    assert (moved["id"], moved["status"], moved["slot_id"]) == (a["id"], "rescheduled", target)
    assert dt.datetime.fromisoformat(moved["starts_at"]) == _local(11)
    # The old slot is free again, the new one taken.
    again = intake.client.get(url, headers=intake.me).json()["items"]
    assert [s["slot_id"] for s in again] == [a["slot_id"], alts.json()["items"][0]["slot_id"]]
    (event,) = intake.events("intake.rescheduled")
    assert event["data"]["by"] == "claimant"
    assert dt.datetime.fromisoformat(event["data"]["previous_starts_at"]) == _local(9)
    ((old, new, _),) = _audit(intake, "appointment.reschedule")
    assert (old["status"], new["status"], new["old_slot_id"]) == (
        "booked",
        "rescheduled",
        a["slot_id"],
    )

    # A taken slot: another claim's appointment holds it -> 409 saying it was already booked.
    b = intake.register(intake.as_("benefits_officer"))
    assert b["slot_id"] == a["slot_id"]
    body = _problem(intake.post(a, "reschedule", {"slot_id": b["slot_id"]}, intake.me), 409)
    assert (body["current_status"], body["reason"]) == ("rescheduled", "already_booked")


def test_claimant_reschedule_cutoff_is_409_but_staff_may(intake: Intake) -> None:
    _agenda(intake)
    a = intake.register()
    intake.move_to(a, dt.datetime.now(dt.UTC) + dt.timedelta(hours=3))
    free = intake.client.get(f"/v1/appointments/{a['id']}/alternatives", headers=intake.coach)
    free = free.json()["items"]
    body = _problem(intake.post(a, "reschedule", {"slot_id": free[0]["slot_id"]}, intake.me), 409)
    assert body["current_status"] == "booked"
    assert body["allowed"] == ["cancel"]
    r = intake.post(a, "reschedule", {"slot_id": free[0]["slot_id"]}, intake.coach)
    assert r.status_code == 200, r.text
    assert intake.events("intake.rescheduled")[0]["data"]["by"] == "service"


def test_concurrent_reschedules_into_one_slot_one_wins(intake: Intake) -> None:
    _agenda(intake)
    a, b = intake.register(), intake.register(intake.as_("benefits_officer"))
    (last,) = intake.sql(
        "SELECT id FROM slots WHERE id NOT IN (SELECT slot_id FROM appointments) "
        "AND office_code = 'AMS' ORDER BY starts_at LIMIT 1"
    )
    admin = intake.as_("admin", sub="admin-1")
    # Over HTTP, both released by one barrier.
    with serve(intake.client.app) as base:
        responses = requests_on_barrier(
            base,
            [
                (
                    "POST",
                    f"/v1/appointments/{x['id']}/reschedule",
                    {"json": {"slot_id": str(last[0])}, "headers": admin},
                )
                for x in (a, b)
            ],
        )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    lost = next(r for r in responses if r.status_code == 409).json()
    assert lost["reason"] in ("just_taken", "already_booked")
    holders = intake.sql(
        "SELECT count(*) FROM appointments WHERE slot_id = :s "
        "AND status IN ('booked', 'rescheduled')",
        s=last[0],
    )
    assert holders[0][0] == 1
    assert len(intake.events("intake.rescheduled")) == 1


def test_claimant_cancels_and_the_claim_goes_on_the_unplanned_list(intake: Intake) -> None:
    _agenda(intake)
    a = intake.register()
    assert _fields(intake.post(a, "cancel", {"reason_code": "bored"}, intake.me)) == {"reason_code"}
    bsn_text = {"reason_code": "other", "reason_text": "my bsn is 111222333"}
    assert _fields(intake.post(a, "cancel", bsn_text, intake.me)) == {"reason_text"}
    _problem(intake.post(a, "cancel", {"reason_code": "illness"}, intake.coach), 403)
    _problem(
        intake.post(a, "cancel", {"reason_code": "illness"}, intake.as_("claimant", sub="x")), 404
    )

    body = {"reason_code": "illness", "reason_text": "flu"}
    r = intake.post(a, "cancel", body, intake.me)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled_by_claimant"
    page = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    assert [i["claim_id"] for i in page["items"]] == [a["claim_id"]]
    assert page["items"][0]["deadline"] == a["deadline"]
    (event,) = intake.events("intake.cancelled")
    assert (event["data"]["by"], event["data"]["reason_code"]) == ("claimant", "illness")
    ((old, new, reason),) = _audit(intake, "appointment.cancel")
    assert (old["status"], new["status"], reason) == (
        "booked",
        "cancelled_by_claimant",
        "illness: flu",
    )
    # The slot is free: the next registration takes it.
    assert intake.register(intake.as_("benefits_officer"))["slot_id"] == a["slot_id"]
    again = _problem(intake.post(a, "cancel", body, intake.me), 409)
    assert (again["current_status"], again["allowed"]) == ("cancelled_by_claimant", [])


# --- staff actions --------------------------------------------------------------------------


def test_cancel_by_service_rebooks_or_lists_the_claim(intake: Intake) -> None:
    _agenda(intake, "09:00", "10:45")  # two slots
    a = intake.register()
    # A reason that says nothing about the coach: the same coach's next slot may be used.
    reason = {"reason_code": "planning_error", "reason_text": "double entry"}
    _problem(intake.post(a, "cancel-by-service", reason, intake.me), 403)
    stranger = intake.as_("coach", sub=str(uuid.uuid4()), office="RTD")
    _problem(intake.post(a, "cancel-by-service", reason, stranger), 404)
    _problem(intake.post(a, "cancel-by-service", reason, intake.lead("RTD")), 404)
    assert _fields(intake.post(a, "cancel-by-service", {}, intake.coach)) == {"reason_code"}

    r = intake.post(a, "cancel-by-service", reason, intake.lead())
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["appointment"]["status"] == "cancelled_by_service"
    assert result["unplanned"] is False
    rebooked = result["rebooked"]
    assert rebooked["slot_id"] != a["slot_id"]
    assert dt.datetime.fromisoformat(rebooked["starts_at"]) == _local(10)
    (cancelled,) = intake.events("intake.cancelled")
    assert cancelled["data"]["by"] == "service"
    assert intake.events("intake.scheduled")[-1]["data"]["appointment_id"] == rebooked["id"]

    # The 09:00 slot leaves the agenda; the rebooked 10:00 one is never offered again.
    intake.sql("UPDATE slots SET state = 'withdrawn' WHERE id = :s", s=uuid.UUID(a["slot_id"]))
    r = intake.client.post(
        f"/v1/appointments/{rebooked['id']}/cancel-by-service", json=reason, headers=intake.coach
    )
    assert r.status_code == 200, r.text
    assert (r.json()["rebooked"], r.json()["unplanned"]) == (None, True)
    page = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    assert [i["claim_id"] for i in page["items"]] == [a["claim_id"]]
    assert len(intake.events("intake.capacity_shortfall")) == 1


def test_no_show_only_after_the_start(intake: Intake) -> None:
    _agenda(intake)
    a = intake.register()
    body = _problem(intake.post(a, "no-show", None, intake.coach), 409)
    assert body["current_status"] == "booked"
    assert body["allowed"] == ["reschedule", "cancel_by_service"]
    _problem(intake.post(a, "no-show", None, intake.me), 403)

    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    r = intake.post(a, "no-show", None, intake.coach)
    assert r.status_code == 200, r.text
    assert r.json()["appointment"]["status"] == "no_show"
    (event,) = intake.events("intake.no_show")
    assert event["data"]["coach_id"] == str(intake.coach_id)
    assert (event["data"]["no_show_count"], event["data"]["flagged_for_coach"]) == (1, False)
    assert len(_audit(intake, "appointment.no_show")) == 1
    again = _problem(intake.post(a, "complete", COMPLETION, intake.coach), 409)
    assert (again["current_status"], again["allowed"]) == ("no_show", [])


def test_completion_emits_the_event_once(intake: Intake) -> None:
    _agenda(intake)
    a = intake.register()
    early = _problem(intake.post(a, "complete", COMPLETION, intake.coach), 409)
    assert early["current_status"] == "booked"
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=50))

    bad: list[tuple[dict[str, Any], str]] = [
        ({**COMPLETION, "explained_topics": ["income_reporting"]}, "explained_topics"),
        ({**COMPLETION, "explained_topics": []}, "explained_topics"),
        ({**COMPLETION, "explained_topics": ["job_search_obligation", "x"]}, "explained_topics"),
        ({**COMPLETION, "obligation_regime": "strict"}, "obligation_regime"),
        ({**COMPLETION, "agreed_next_step": ""}, "agreed_next_step"),
        ({k: v for k, v in COMPLETION.items() if k != "agreed_next_step"}, "agreed_next_step"),
        ({**COMPLETION, "claimant_view": "bsn 111222333"}, "claimant_view"),
        ({**COMPLETION, "questionnaire_answers": {"Bad Key": 1}}, "questionnaire_answers"),
    ]
    for body, field in bad:
        assert _fields(intake.post(a, "complete", body, intake.coach)) == {field}, field
    # An answer the questionnaire does not know is refused by name, not dropped by triage.
    unknown = {**COMPLETION, "questionnaire_answers": {"has_driving_licence": True}}
    errors = _problem(intake.post(a, "complete", unknown, intake.coach), 422)["errors"]
    assert [e["field"] for e in errors] == ["questionnaire_answers.has_driving_licence"]
    _problem(intake.post(a, "complete", COMPLETION, intake.me), 403)
    stranger = intake.as_("coach", sub=str(uuid.uuid4()), office="RTD")
    _problem(intake.post(a, "complete", COMPLETION, stranger), 404)

    r = intake.post(a, "complete", COMPLETION, intake.coach)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    (event,) = intake.events("intake.completed")
    data = event["data"]
    assert data["within_deadline"] is True
    assert data["explained_topics"] == ["income_reporting", "job_search_obligation", "sanctions"]
    assert data["agreed_next_step"] == COMPLETION["agreed_next_step"]
    assert data["obligation_regime"] == "regular"
    assert "claimant_view" not in data
    assert "wants to retrain" not in json.dumps(event)
    (row,) = intake.sql("SELECT claimant_view, within_deadline FROM appointment_completions")
    assert tuple(row) == ("wants to retrain as a nurse", True)

    twice = _problem(intake.post(a, "complete", COMPLETION, intake.coach), 409)
    assert (twice["current_status"], twice["allowed"]) == ("completed", [])
    assert len(intake.events("intake.completed")) == 1


def test_completion_after_the_deadline_is_not_within_it(intake: Intake) -> None:
    _agenda(intake)
    a = intake.register()
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=50))
    intake.sql(
        "UPDATE appointments SET deadline = :d WHERE id = :i",
        d=TODAY - dt.timedelta(days=3),
        i=uuid.UUID(a["id"]),
    )
    r = intake.post(a, "complete", COMPLETION, intake.lead())
    assert r.status_code == 200, r.text
    assert intake.events("intake.completed")[0]["data"]["within_deadline"] is False


# No-shows (item 8) ---------------------------------------------------------------------
#
# - The first no-show books a summons within `no_show_rebook_working_days` working days of the
#   day it is recorded (`summoned: true` on the appointment and in `intake.scheduled`).
# - No slot free for the summons: a capacity shortfall with the summons deadline, and the claim
#   on the unplanned list (never silently dropped).
# - The second no-show books nothing and flags the claim for the coach
#   (`attention_reason = repeated_no_show`, `intake.no_show.flagged_for_coach`), findable with
#   `GET /v1/claims?needs_attention=true`.


def _missed(intake: Intake, a: dict[str, Any]) -> dict[str, Any]:
    """Put the appointment ten minutes in the past and record a no-show by its coach."""
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    r = intake.post(a, "no-show", None, intake.coach)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _all_weekdays_agenda(intake: Intake) -> None:
    blocks = [
        {"weekday": d, "start_time": "09:00", "end_time": "12:00", "office_code": "AMS"}
        for d in range(5)
    ]
    r = intake.client.put(
        f"/v1/coaches/{intake.coach_id}/agenda", json={"blocks": blocks}, headers=intake.lead()
    )
    assert r.status_code == 200, r.text


def test_first_no_show_books_a_summons_within_three_working_days(intake: Intake) -> None:
    _all_weekdays_agenda(intake)
    a = intake.register()
    body = _missed(intake, a)

    assert body["appointment"]["status"] == "no_show"
    assert (body["no_show_count"], body["flagged_for_coach"], body["unplanned"]) == (
        1,
        False,
        False,
    )
    summons = body["summons"]
    assert summons is not None
    assert summons["summoned"] is True
    assert summons["claim_id"] == a["claim_id"]
    assert summons["id"] != a["id"]
    limit = WorkingDays().add_working_days(TODAY, 3)
    assert dt.date.fromisoformat(summons["deadline"]) == limit
    starts = dt.datetime.fromisoformat(summons["starts_at"])
    assert dt.datetime.now(dt.UTC) < starts
    assert starts.astimezone(dt.timezone(dt.timedelta(hours=1))).date() <= limit + dt.timedelta(1)

    scheduled = [e["data"] for e in intake.events("intake.scheduled")]
    assert [e["summoned"] for e in scheduled] == [False, True]
    (event,) = intake.events("intake.no_show")
    assert (event["data"]["no_show_count"], event["data"]["flagged_for_coach"]) == (1, False)
    # The claimant sees the summons among their appointments.
    listed = intake.client.get(f"/v1/claims/{a['claim_id']}/appointments", headers=intake.me)
    assert {x["status"] for x in listed.json()} == {"no_show", "booked"}
    claim = intake.client.get(f"/v1/claims/{a['claim_id']}", headers=intake.me).json()
    assert (claim["no_show_count"], claim["attention_reason"]) == (1, None)


def test_second_no_show_flags_the_claim_and_books_nothing(intake: Intake) -> None:
    _all_weekdays_agenda(intake)
    a = intake.register()
    summons = _missed(intake, a)["summons"]
    second = _missed(intake, summons)

    assert second["appointment"]["status"] == "no_show"
    assert (second["no_show_count"], second["flagged_for_coach"]) == (2, True)
    assert second["summons"] is None
    assert second["unplanned"] is False
    events = [e["data"] for e in intake.events("intake.no_show")]
    assert [(e["no_show_count"], e["flagged_for_coach"]) for e in events] == [(1, False), (2, True)]
    assert len(intake.events("intake.scheduled")) == 2  # the first booking and the summons
    claim = intake.client.get(f"/v1/claims/{a['claim_id']}", headers=intake.me).json()
    assert claim["attention_reason"] == "repeated_no_show"
    assert claim["attention_since"]
    flagged = intake.client.get("/v1/claims?needs_attention=true", headers=intake.lead()).json()
    assert [c["id"] for c in flagged["items"]] == [a["claim_id"]]
    other = intake.register()
    unflagged = intake.client.get("/v1/claims?needs_attention=false", headers=intake.lead())
    assert [c["id"] for c in unflagged.json()["items"]] == [other["claim_id"]]
    (_, audited, _) = _audit(intake, "appointment.no_show")[-1]
    assert audited["flagged_for_coach"] is True


def test_no_summons_slot_means_a_shortfall_and_the_unplanned_list(intake: Intake) -> None:
    _agenda(intake)  # one weekday only, three slots
    a = intake.register()
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    # Fill every slot (the moved appointment's old one too): nothing is free for the summons.
    while "id" in intake.register():
        pass
    before = len(intake.events("intake.capacity_shortfall"))
    r = intake.post(a, "no-show", None, intake.coach)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summons"] is None
    assert body["unplanned"] is True
    shortfalls = intake.events("intake.capacity_shortfall")
    assert len(shortfalls) == before + 1
    limit = WorkingDays().add_working_days(TODAY, 3)
    assert shortfalls[-1]["data"]["deadline"] == limit.isoformat()
    assert shortfalls[-1]["data"]["claim_id"] == a["claim_id"]
    unplanned = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    row = next(u for u in unplanned["items"] if u["claim_id"] == a["claim_id"])
    assert row["deadline"] == limit.isoformat()
    logged = intake.sql(
        "SELECT deadline FROM capacity_shortfalls WHERE claim_id = :c", c=uuid.UUID(a["claim_id"])
    )
    assert [r[0] for r in logged] == [limit]


def test_no_show_bad_input_and_roles(intake: Intake) -> None:
    _all_weekdays_agenda(intake)
    a = intake.register()
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    _problem(intake.post(a, "no-show", None, intake.me), 403)
    _problem(intake.post(a, "no-show", None, intake.lead("RTM")), 404)
    missing = {"id": str(uuid.uuid4())}
    _problem(intake.post(missing, "no-show", None, intake.coach), 404)
    r = intake.client.post("/v1/appointments/not-a-uuid/no-show", headers=intake.coach)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "appointment_id"
    assert _missed(intake, a)["no_show_count"] == 1
    again = _problem(intake.post(a, "no-show", None, intake.coach), 409)
    assert again["current_status"] == "no_show"
    assert len(intake.events("intake.no_show")) == 1


def test_one_appointment_says_what_the_caller_may_do_now(intake: Intake) -> None:
    """`GET /v1/appointments/{id}` carries the caller's `allowed_actions`: the rule each
    action checks, so a page offers no action the action would refuse (issue 15)."""
    _agenda(intake)
    a = intake.register()

    def allowed(headers: dict[str, str]) -> list[str]:
        r = intake.client.get(f"/v1/appointments/{a['id']}", headers=headers)
        assert r.status_code == 200, r.text
        actions: list[str] = r.json()["allowed_actions"]
        return actions

    # Days ahead: the claimant moves or cancels it, staff move or cancel it for the service.
    intake.move_to(a, dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert allowed(intake.me) == ["reschedule", "cancel"]
    assert allowed(intake.coach) == ["reschedule", "cancel_by_service"]
    # Within the claimant's cut-off: only cancelling is left to them.
    intake.move_to(a, dt.datetime.now(dt.UTC) + dt.timedelta(hours=3))
    assert allowed(intake.me) == ["cancel"]
    # After the start: staff record a no-show or the completion; the claimant nothing.
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    assert allowed(intake.me) == []
    assert allowed(intake.coach) == ["cancel_by_service", "no_show", "complete"]
    assert allowed(intake.lead()) == ["cancel_by_service", "no_show", "complete"]
    body = {
        "explained_topics": ["job_search_obligation"],
        "obligation_regime": "regular",
        "agreed_next_step": "Werkplan maken",
    }
    assert intake.post(a, "complete", body, intake.coach).status_code == 200
    assert allowed(intake.coach) == []
