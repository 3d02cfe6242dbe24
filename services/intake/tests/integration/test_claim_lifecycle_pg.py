"""The life of a claim on PostgreSQL through the API (issue 12, items 1 and 10).

- `case.closed` closes the claim with the case result and day, cancels its future intake by
  the service (`claim_closed`, the row kept, the slot free), and the same BSN registers again;
- `case.reopened` reopens it, unless the person has a newer open claim (ADR 0015);
- the claimant withdraws (staff on their behalf), idempotently; impossible transitions 409;
- `GET /v1/claims?status=` filters open/closed/withdrawn, 422 naming `status` otherwise;
- `PATCH /v1/claims/{id}` changes details (validated, audited old/new, `claim.updated` with
  field names only), refused on a closed claim; a move re-plans the intake at the new office.
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

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from intake.calendar.rules import WorkingDays
from intake.claims.handlers import handle_case_closed, reopen_handler
from shared.clock import local_today
from shared.events.coaching import CaseClosed, CaseReopened
from shared.events.envelope import Event, EventPayload
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.intake import add_roster_coach, intake_on_pg
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1 = WorkingDays().add_working_days(TODAY, 1)
ME = "claimant-lotte"


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random
    coach_id: uuid.UUID

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def me(self) -> dict[str, str]:
        return self.as_("claimant", sub=ME)

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin")

    def register(self, bsn: str | None = None, postcode: str = "1011 AB") -> dict[str, Any]:
        body = {
            "bsn": bsn or synthetic_bsn(self.rng),
            "given_name": "Lotte",
            "family_name": "Visser",
            "date_of_birth": "1988-03-04",
            "first_ww_day": TODAY.isoformat(),
            "postcode": postcode,
            "phone": "06 12345678",
        }
        r = self.client.post(
            "/v1/claims", json=body, headers=self.tokens.signed_in(self.me, body["bsn"])
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def appointments(self, claim_id: str) -> list[dict[str, Any]]:
        r = self.client.get(f"/v1/claims/{claim_id}/appointments", headers=self.admin)
        assert r.status_code == 200, r.text
        return list(r.json())

    def claim(self, claim_id: str) -> dict[str, Any]:
        r = self.client.get(f"/v1/claims/{claim_id}", headers=self.admin)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def deliver(self, payload: EventPayload) -> None:
        handler = (
            handle_case_closed
            if isinstance(payload, CaseClosed)
            else reopen_handler(self.container.settings)  # type: ignore[arg-type]
        )
        with self.container.uow() as uow:
            handler(Event.create(payload), uow)
            uow.commit()

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0]) for r in rows]


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    c = intake_on_pg(pg, state_dir)
    coach_id = add_roster_coach(c.engine)
    it = Intake(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        random.Random(12),
        coach_id,
    )
    _agenda(it, it.coach_id, "AMS")
    yield it
    c.stop()


def _agenda(intake: Intake, coach_id: uuid.UUID, office: str) -> None:
    block = {"weekday": D1.weekday(), "start_time": "09:00", "end_time": "12:00"}
    r = intake.client.put(
        f"/v1/coaches/{coach_id}/agenda",
        json={"blocks": [{**block, "office_code": office}]},
        headers=intake.as_("team_lead", sub=f"lead-{office}", office=office),
    )
    assert r.status_code == 200, r.text


def _closed(claim_id: str, result: str = "work_resumed") -> CaseClosed:
    return CaseClosed(
        claim_id=uuid.UUID(claim_id),
        case_id=uuid.uuid4(),
        result=result,
        closed_at=dt.datetime.now(dt.UTC),
        closed_on=TODAY,
        reported_by="coach",
    )


def _reopened(claim_id: str) -> CaseReopened:
    return CaseReopened(
        claim_id=uuid.UUID(claim_id),
        case_id=uuid.uuid4(),
        coach_id=None,
        reason="the job ended in the trial period",
        reopened_at=dt.datetime.now(dt.UTC),
    )


def test_case_closed_closes_the_claim_cancels_the_intake_and_the_bsn_may_claim_again(
    intake: Intake,
) -> None:
    bsn = synthetic_bsn(intake.rng)
    claim = intake.register(bsn)
    [booked] = intake.appointments(claim["id"])
    assert booked["status"] == "booked"

    intake.deliver(_closed(claim["id"]))
    intake.deliver(_closed(claim["id"]))  # a redelivery changes nothing

    got = intake.claim(claim["id"])
    assert (got["status"], got["close_reason"], got["closed_on"]) == (
        "closed",
        "work_resumed",
        TODAY.isoformat(),
    )
    assert got["allowed_actions"] == ["reopen"]
    [kept] = intake.appointments(claim["id"])  # the history stays
    assert kept["status"] == "cancelled_by_service"
    [cancelled] = intake.events("intake.cancelled")
    assert (cancelled["data"]["by"], cancelled["data"]["reason_code"]) == (
        "service",
        "claim_closed",
    )
    [closed] = intake.events("claim.closed")
    assert closed["data"]["reason"] == "work_resumed"
    assert bsn not in json.dumps(closed)

    again = intake.register(bsn)
    [rebooked] = intake.appointments(again["id"])
    # The freed slot is bookable again: the new claim takes the same, earliest one.
    assert rebooked["starts_at"] == booked["starts_at"]
    assert rebooked["status"] == "booked"


def test_case_reopened_reopens_unless_a_newer_claim_is_open(intake: Intake) -> None:
    first = intake.register()
    intake.deliver(_closed(first["id"]))
    intake.deliver(_reopened(first["id"]))
    got = intake.claim(first["id"])
    assert (got["status"], got["close_reason"]) == ("open", None)
    assert len(intake.events("claim.reopened")) == 1

    bsn = synthetic_bsn(intake.rng)
    old = intake.register(bsn)
    intake.deliver(_closed(old["id"]))
    new = intake.register(bsn)
    intake.deliver(_reopened(old["id"]))  # no unique-index 500: recorded and visible
    got = intake.claim(old["id"])
    assert got["status"] == "closed"
    assert got["reopen_refused_at"] is not None
    [refused] = intake.events("claim.reopen_refused")
    assert refused["data"]["open_claim_id"] == new["id"]
    assert intake.claim(new["id"])["status"] == "open"


def test_a_reopened_claim_whose_intake_was_never_held_is_booked_again(intake: Intake) -> None:
    claim = intake.register()
    [booked] = intake.appointments(claim["id"])
    intake.deliver(_closed(claim["id"]))
    intake.deliver(_reopened(claim["id"]))
    intake.deliver(_reopened(claim["id"]))  # a redelivery books nothing more

    history = intake.appointments(claim["id"])
    assert sorted(a["status"] for a in history) == ["booked", "cancelled_by_service"]
    [again] = [a for a in history if a["status"] == "booked"]
    # The slot freed by the closure is the earliest again.
    assert again["starts_at"] == booked["starts_at"]
    [scheduled_after_reopen] = intake.events("intake.scheduled")[1:]
    assert scheduled_after_reopen["data"]["appointment_id"] == again["id"]


def test_a_reopened_claim_whose_intake_was_held_gets_no_new_one(intake: Intake) -> None:
    claim = intake.register()
    [booked] = intake.appointments(claim["id"])
    intake.sql("UPDATE appointments SET status = 'completed' WHERE id = :i", i=booked["id"])
    intake.deliver(_closed(claim["id"]))
    intake.deliver(_reopened(claim["id"]))
    assert intake.claim(claim["id"])["status"] == "open"
    assert [a["status"] for a in intake.appointments(claim["id"])] == ["completed"]


def test_withdraw_by_the_claimant_is_idempotent_and_final(intake: Intake) -> None:
    claim = intake.register()
    url = f"/v1/claims/{claim['id']}/withdraw"
    stranger = intake.as_("claimant", sub="someone-else")
    assert (
        intake.client.post(url, json={"reason_code": "found_work"}, headers=stranger).status_code
        == 404
    )
    bad = intake.client.post(url, json={"reason_code": "bored"}, headers=intake.me)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "reason_code"

    r = intake.client.post(url, json={"reason_code": "found_work"}, headers=intake.me)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["close_reason"]) == ("withdrawn", "found_work")
    again = intake.client.post(url, json={"reason_code": "found_work"}, headers=intake.me)
    assert again.status_code == 200
    [withdrawn] = intake.events("claim.withdrawn")
    assert withdrawn["data"]["by"] == "claimant"
    [appointment] = intake.appointments(claim["id"])
    assert appointment["status"] == "cancelled_by_service"
    assert intake.events("intake.cancelled")[0]["data"]["reason_code"] == "claim_withdrawn"

    # The echo from coaching (case.closed after the withdrawal) changes nothing.
    intake.deliver(_closed(claim["id"], "other"))
    assert intake.claim(claim["id"])["status"] == "withdrawn"
    assert intake.events("claim.closed") == []
    # Withdrawn is final.
    intake.deliver(_reopened(claim["id"]))
    assert intake.claim(claim["id"])["status"] == "withdrawn"
    patch = intake.client.patch(
        f"/v1/claims/{claim['id']}", json={"phone": "0612345679"}, headers=intake.me
    )
    assert patch.status_code == 409
    assert patch.json()["current_status"] == "withdrawn"
    assert patch.json()["allowed"] == []


def test_staff_withdraw_on_behalf_and_a_closed_claim_cannot_be_withdrawn(intake: Intake) -> None:
    claim = intake.register()
    officer = intake.as_("benefits_officer", sub="officer-1")
    r = intake.client.post(
        f"/v1/claims/{claim['id']}/withdraw",
        json={"reason_code": "mistake", "reason_text": "registered twice by phone"},
        headers=officer,
    )
    assert r.status_code == 200, r.text
    assert intake.events("claim.withdrawn")[0]["data"]["by"] == "staff"

    other = intake.register()
    intake.deliver(_closed(other["id"]))
    r = intake.client.post(
        f"/v1/claims/{other['id']}/withdraw", json={"reason_code": "found_work"}, headers=intake.me
    )
    assert r.status_code == 409
    assert (r.json()["current_status"], r.json()["allowed"]) == ("closed", ["reopen"])


def test_status_filter(intake: Intake) -> None:
    opened, closed, withdrawn = intake.register(), intake.register(), intake.register()
    intake.deliver(_closed(closed["id"]))
    intake.client.post(
        f"/v1/claims/{withdrawn['id']}/withdraw", json={"reason_code": "other"}, headers=intake.me
    )
    for status, expected in (("open", opened), ("closed", closed), ("withdrawn", withdrawn)):
        r = intake.client.get("/v1/claims", params={"status": status}, headers=intake.admin)
        assert r.status_code == 200, r.text
        assert [c["id"] for c in r.json()["items"]] == [expected["id"]]
    r = intake.client.get("/v1/claims", params={"status": "ended"}, headers=intake.admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "status"


def test_patch_changes_details_audited_with_an_event_without_personal_data(intake: Intake) -> None:
    claim = intake.register()
    url = f"/v1/claims/{claim['id']}"
    bad = intake.client.patch(url, json={"phone": "call me"}, headers=intake.me)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "phone")
    bad = intake.client.patch(url, json={"postcode": "99"}, headers=intake.me)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "postcode")
    bad = intake.client.patch(url, json={"preferred_language": None}, headers=intake.me)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "preferred_language")
    bad = intake.client.patch(url, json={"bsn": "111222333"}, headers=intake.me)
    assert bad.status_code == 422
    assert (
        intake.client.patch(
            url, json={"phone": "0612345679"}, headers=intake.as_("claimant", sub="x")
        ).status_code
        == 404
    )

    body = {
        "phone": "06 98765432",
        "email": "lotte@example.nl",
        "preferred_language": "en",
        "unavailable": [{"weekday": 4}],
    }
    r = intake.client.patch(url, json=body, headers=intake.me)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["phone"], got["email"], got["preferred_language"]) == (
        "+31698765432",
        "lotte@example.nl",
        "en",
    )
    assert got["unavailable"][0]["weekday"] == 4
    [updated] = intake.events("claim.updated")
    assert updated["data"]["changed_fields"] == [
        "email",
        "phone",
        "preferred_language",
        "unavailable",
    ]
    assert updated["data"]["preferred_language"] == "en"
    assert updated["data"]["office_code"] is None
    assert "98765432" not in json.dumps(updated)
    assert "lotte@" not in json.dumps(updated)
    [(old, new)] = intake.sql(
        "SELECT old_values, new_values FROM audit_log WHERE action = 'claim.update' AND resource_id = :id",
        id=claim["id"],
    )
    assert (old["phone"], new["phone"]) == ("+31612345678", "+31698765432")
    assert "bsn" not in json.dumps([old, new]).lower()

    staff = intake.client.patch(
        url,
        json={"email": None},
        headers=intake.as_("coach", sub=str(intake.coach_id), office="AMS"),
    )
    assert staff.status_code == 200
    assert staff.json()["email"] is None

    intake.deliver(_closed(claim["id"]))
    refused = intake.client.patch(url, json={"phone": "0612345670"}, headers=intake.me)
    assert refused.status_code == 409
    assert (refused.json()["current_status"], refused.json()["allowed"]) == ("closed", ["reopen"])


def test_a_move_replans_the_intake_at_the_new_office(intake: Intake) -> None:
    rotterdam = add_roster_coach(intake.container.engine, office="RTD", name="Kees Bakker")
    _agenda(intake, rotterdam, "RTD")
    claim = intake.register()
    [before] = intake.appointments(claim["id"])
    assert before["office_code"] == "AMS"

    r = intake.client.patch(
        f"/v1/claims/{claim['id']}", json={"postcode": "3011 AA"}, headers=intake.me
    )
    assert r.status_code == 200, r.text
    assert (r.json()["office_code"], r.json()["postcode"]) == ("RTD", "3011 AA")
    [updated] = intake.events("claim.updated")
    assert updated["data"]["office_code"] == "RTD"
    assert updated["data"]["changed_fields"] == ["office_code", "postcode"] or updated["data"][
        "changed_fields"
    ] == ["postcode", "office_code"]
    by_status = {a["status"]: a for a in intake.appointments(claim["id"])}
    assert by_status["cancelled_by_service"]["id"] == before["id"]
    assert by_status["booked"]["office_code"] == "RTD"
    assert by_status["booked"]["coach_id"] == str(rotterdam)
    [cancelled] = intake.events("intake.cancelled")
    assert cancelled["data"]["reason_code"] == "claimant_moved"


def test_a_move_without_capacity_at_the_new_office_is_a_shortfall(intake: Intake) -> None:
    claim = intake.register()
    r = intake.client.patch(
        f"/v1/claims/{claim['id']}", json={"postcode": "3011 AA"}, headers=intake.me
    )
    assert r.status_code == 200, r.text
    [appointment] = intake.appointments(claim["id"])
    assert appointment["status"] == "cancelled_by_service"
    [shortfall] = intake.events("intake.capacity_shortfall")
    assert shortfall["data"]["office_code"] == "RTD"
    assert intake.sql(
        "SELECT office_code FROM unplanned_claims WHERE claim_id = :id", id=claim["id"]
    ) == [("RTD",)]


def test_after_a_withdrawal_the_same_bsn_registers_again(intake: Intake) -> None:
    bsn = synthetic_bsn(intake.rng)
    first = intake.register(bsn)
    refused = intake.client.post(
        "/v1/claims",
        json={
            "bsn": bsn,
            "given_name": "Lotte",
            "family_name": "Visser",
            "date_of_birth": "1988-03-04",
            "first_ww_day": TODAY.isoformat(),
            "postcode": "1011 AB",
        },
        headers=intake.tokens.signed_in(intake.me, bsn),
    )
    assert refused.status_code == 409  # still open: one open claim per BSN
    r = intake.client.post(
        f"/v1/claims/{first['id']}/withdraw", json={"reason_code": "mistake"}, headers=intake.me
    )
    assert r.status_code == 200, r.text
    second = intake.register(bsn)
    assert second["id"] != first["id"]
    assert second["status"] == "open"


def test_another_office_team_lead_may_not_change_or_withdraw(intake: Intake) -> None:
    claim = intake.register()
    lead = intake.as_("team_lead", sub="lead-RTD", office="RTD")
    r = intake.client.patch(f"/v1/claims/{claim['id']}", json={"phone": "0612345679"}, headers=lead)
    assert r.status_code == 404
    r = intake.client.post(
        f"/v1/claims/{claim['id']}/withdraw", json={"reason_code": "other"}, headers=lead
    )
    assert r.status_code == 404
    analyst = intake.as_("triage_analyst")
    r = intake.client.patch(
        f"/v1/claims/{claim['id']}", json={"phone": "0612345679"}, headers=analyst
    )
    assert r.status_code == 403
    assert intake.claim(claim["id"])["phone"] == "+31612345678"
