"""Need to know in intake on PostgreSQL (ADR 0022, issue 12 item 11).

- a coach sees the claims of their roster office, of their caseload (learnt from coaching's
  case.assigned / case.transferred / case.unassigned, late events ignored) and those whose
  intake they hold; nothing else exists for them (404);
- a team lead sees their office's; one without an office is refused (403);
- a coach whose subject is unknown to the roster replica, or deactivated, is refused (403);
- break-glass (`X-Break-Glass-Reason`) reads outside the scope, audited with the reason per
  claim, and the claimant's access log shows it.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.clock import local_today
from shared.events.coaching import CaseAssigned, CaseTransferred, CaseUnassigned
from shared.events.common import Segment
from shared.messaging.consumer import Outcome
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.fakes import coach_deactivated, coach_registered, incoming
from tests.support.intake import intake_on_pg
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
REASON = "De klant belt over de afspraak; het eigen kantoor is niet bereikbaar"


@dataclass
class Desk:
    container: Any
    client: TestClient
    tokens: Tokens
    rng: random.Random

    def as_(self, *roles: str, sub: str | None = None, office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub or "user-1", office=office))

    def coach(self, coach_id: uuid.UUID) -> dict[str, str]:
        return self.as_("coach", sub=str(coach_id))

    def deliver(self, payload: Any) -> None:
        assert self.container.consumer.process(incoming(payload)) is Outcome.PROCESSED

    def new_coach(self, office: str) -> uuid.UUID:
        coach_id = uuid.uuid4()
        self.deliver(coach_registered(coach_id=coach_id, office_code=office, holds_intakes=False))
        return coach_id

    def register(self, postcode: str, claimant: str | None = None) -> str:
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": "Noor",
            "family_name": "Smit",
            "date_of_birth": "1990-02-02",
            "first_ww_day": local_today().isoformat(),
            "postcode": postcode,
        }
        headers = self.as_("claimant", sub=claimant) if claimant else self.as_("benefits_officer")
        r = self.client.post(
            "/v1/claims", json=body, headers=self.tokens.signed_in(headers, body["bsn"])
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def status(self, claim_id: str, headers: dict[str, str]) -> int:
        return int(self.client.get(f"/v1/claims/{claim_id}", headers=headers).status_code)

    def listed(self, headers: dict[str, str]) -> set[str]:
        r = self.client.get("/v1/claims", params={"limit": 200}, headers=headers)
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["items"]}

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []


@pytest.fixture
def desk(pg: PgDatabases, state_dir: Path) -> Iterator[Desk]:
    c = intake_on_pg(pg, state_dir)
    d = Desk(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        random.Random(11),
    )
    yield d
    c.stop()


def _assigned(claim_id: str, coach_id: uuid.UUID | None, at: dt.datetime) -> CaseAssigned:
    return CaseAssigned(
        claim_id=uuid.UUID(claim_id),
        case_id=uuid.uuid4(),
        coach_id=coach_id,
        segment=Segment.PERSONAL,
        assigned_at=at,
        rule="office_load",
    )


def test_coach_sees_office_and_caseload_from_case_events(desk: Desk) -> None:
    ams_coach, utr_coach = desk.new_coach("AMS"), desk.new_coach("UTR")
    ams_claim, rtd_claim = desk.register("1011 AB"), desk.register("3011 CD")
    ams, utr = desk.coach(ams_coach), desk.coach(utr_coach)

    assert desk.status(ams_claim, ams) == 200
    assert desk.status(rtd_claim, ams) == 404
    assert desk.status(ams_claim, utr) == 404
    assert desk.listed(ams) == {ams_claim}
    assert desk.listed(utr) == set()

    # Coaching gives the AMS coach the RTD case: in their caseload, so visible.
    desk.deliver(_assigned(rtd_claim, ams_coach, T0))
    assert desk.status(rtd_claim, ams) == 200
    assert desk.listed(ams) == {ams_claim, rtd_claim}
    rows = desk.sql("SELECT coach_id FROM caseload_claims WHERE claim_id = :c", c=rtd_claim)
    assert [r[0] for r in rows] == [ams_coach]

    # Transferred to the UTR coach: the AMS coach loses it, the UTR coach gains it.
    desk.deliver(
        CaseTransferred(
            claim_id=uuid.UUID(rtd_claim),
            case_id=uuid.uuid4(),
            from_coach_id=ams_coach,
            to_coach_id=utr_coach,
            reason_category="other",
            transferred_at=T0 + dt.timedelta(hours=1),
        )
    )
    assert desk.status(rtd_claim, ams) == 404
    assert desk.status(rtd_claim, utr) == 200
    assert desk.listed(utr) == {rtd_claim}
    # A late, older assignment changes nothing.
    desk.deliver(_assigned(rtd_claim, ams_coach, T0 - dt.timedelta(days=1)))
    assert desk.status(rtd_claim, utr) == 200
    assert desk.status(rtd_claim, ams) == 404
    # Back in the team lead's queue: no coach's caseload any more.
    desk.deliver(
        CaseUnassigned(
            claim_id=uuid.UUID(rtd_claim),
            case_id=uuid.uuid4(),
            office_code="RTD",
            segment=Segment.PERSONAL,
            reason="all_coaches_at_maximum",
            unassigned_at=T0 + dt.timedelta(hours=2),
        )
    )
    assert desk.status(rtd_claim, utr) == 404
    assert desk.listed(utr) == set()


def test_coach_sees_the_claims_whose_intake_they_hold(desk: Desk) -> None:
    utr_coach = desk.new_coach("UTR")
    rtd_claim = desk.register("3011 CD")
    headers = desk.coach(utr_coach)
    assert desk.status(rtd_claim, headers) == 404
    slot_id, starts = uuid.uuid4(), T0 + dt.timedelta(days=30)
    desk.sql(
        "INSERT INTO slots (id, coach_id, office_code, starts_at, ends_at, state) "
        "VALUES (:id, :coach, 'RTD', :s, :e, 'booked')",
        id=slot_id,
        coach=utr_coach,
        s=starts,
        e=starts + dt.timedelta(minutes=45),
    )
    desk.sql(
        "INSERT INTO appointments (id, claim_id, slot_id, coach_id, office_code, starts_at, "
        "ends_at, status, deadline, booked_at, summoned) VALUES (:id, :claim, :slot, :coach, "
        "'RTD', :s, :e, 'booked', :d, :s, false)",
        id=uuid.uuid4(),
        claim=uuid.UUID(rtd_claim),
        slot=slot_id,
        coach=utr_coach,
        s=starts,
        e=starts + dt.timedelta(minutes=45),
        d=starts.date(),
    )
    assert desk.status(rtd_claim, headers) == 200
    assert rtd_claim in desk.listed(headers)
    r = desk.client.get(f"/v1/claims/{rtd_claim}/appointments", headers=headers)
    assert r.status_code == 200, r.text


def test_team_leads_unknown_and_deactivated_coaches(desk: Desk) -> None:
    ams_claim, rtd_claim = desk.register("1011 AB"), desk.register("3011 CD")
    rtd_lead = desk.as_("team_lead", office="RTD")
    assert desk.status(rtd_claim, rtd_lead) == 200
    assert desk.status(ams_claim, rtd_lead) == 404
    assert desk.listed(rtd_lead) == {rtd_claim}
    for path in ("/v1/claims", f"/v1/claims/{rtd_claim}"):
        r = desk.client.get(path, headers=desk.as_("team_lead"))
        assert r.status_code == 403
        assert r.json()["type"] == "urn:ww:problem:team-lead-without-office"

    unknown = desk.coach(uuid.uuid4())
    r = desk.client.get(f"/v1/claims/{ams_claim}", headers=unknown)
    assert (r.status_code, r.json()["type"]) == (403, "urn:ww:problem:unknown-coach")
    leaving = desk.new_coach("AMS")
    assert desk.status(ams_claim, desk.coach(leaving)) == 200
    desk.deliver(coach_deactivated(coach_id=leaving))
    r = desk.client.get("/v1/claims", headers=desk.coach(leaving))
    assert (r.status_code, r.json()["type"]) == (403, "urn:ww:problem:deactivated-coach")
    assert "deactivated" in r.json()["detail"]


def test_break_glass_is_audited_per_claim_and_shown_in_the_access_log(desk: Desk) -> None:
    ams_coach = desk.new_coach("AMS")
    rtd_claim = desk.register("3011 CD", claimant="claimant-rtd")
    coach = desk.coach(ams_coach)
    glass = coach | {"X-Break-Glass-Reason": REASON}
    assert desk.status(rtd_claim, coach) == 404
    assert desk.status(rtd_claim, glass) == 200
    assert rtd_claim in desk.listed(glass)
    rows = desk.sql(
        "SELECT action, reason, actor FROM audit_log WHERE resource_id = :c "
        "AND action LIKE '%break_glass' ORDER BY occurred_at",
        c=rtd_claim,
    )
    assert [tuple(r) for r in rows] == [
        ("claim.read.break_glass", REASON, str(ams_coach)),
        ("claim.list.break_glass", REASON, str(ams_coach)),
    ]
    # An ordinary in-scope read is no break-glass, even with the header.
    ams_claim = desk.register("1011 AB")
    assert desk.status(ams_claim, glass) == 200
    assert desk.sql(
        "SELECT action FROM audit_log WHERE resource_id = :c AND action LIKE 'claim.read%'",
        c=ams_claim,
    ) == [("claim.read",)]

    log = desk.client.get(
        f"/v1/claims/{rtd_claim}/access-log", headers=desk.as_("claimant", sub="claimant-rtd")
    )
    assert log.status_code == 200, log.text
    page = log.json()
    actions = [e["action"] for e in page["items"]]
    assert {"claim.register", "claim.read.break_glass", "claim.list.break_glass"} <= set(actions)
    assert page["total"] == len(page["items"])
    shown = [e for e in page["items"] if e["break_glass"]]
    assert {e["reason"] for e in shown} == {REASON}
    assert all(e["actor"] is None and e["actor_roles"] == ["coach"] for e in shown)
    paged = desk.client.get(
        f"/v1/claims/{rtd_claim}/access-log",
        params={"limit": 1, "offset": 1},
        headers=desk.as_("claimant", sub="claimant-rtd"),
    ).json()
    assert (len(paged["items"]), paged["limit"], paged["offset"]) == (1, 1, 1)
    # Reading the log is itself audited (and shows up in the next read).
    assert desk.sql(
        "SELECT count(*) FROM audit_log WHERE resource_id = :c AND action = 'claim.access_log'",
        c=rtd_claim,
    ) == [(2,)]
