"""The coach roster on PostgreSQL: API, outbox events, audit trail, and intake's read model."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError

from intake.coaches.models import RosterCoach
from shared.messaging.consumer import Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.messaging.relay import drain
from shared.messaging.transport import IncomingMessage
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration


@dataclass
class Roster:
    coaching: ServiceContainer
    intake: ServiceContainer
    client: TestClient
    tokens: Tokens

    def admin(self) -> dict[str, str]:
        return Tokens.header(self.tokens.user("admin", sub="admin-1"))

    def lead(self, office: str = "AMS") -> dict[str, str]:
        return Tokens.header(self.tokens.user("team_lead", sub=f"lead-{office}", office=office))

    def create(self, name: str, office: str = "AMS", **extra: Any) -> dict[str, Any]:
        body = {"display_name": name, "office_code": office, "contract_hours": 32, **extra}
        r = self.client.post("/v1/coaches", json=body, headers=self.admin())
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result

    def outbox(self, coach_id: str) -> list[dict[str, Any]]:
        """The coach's events (the message key is the coach id), oldest first."""
        with self.coaching.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT event_type, message_key, body FROM outbox "
                    "WHERE message_key = :k ORDER BY seq"
                ),
                {"k": coach_id},
            ).all()
        return [{"type": t, "key": k, "event": json.loads(b), "raw": b} for t, k, b in rows]

    def count(self, table: str) -> int:
        with self.coaching.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def audit(self, resource_id: str) -> list[dict[str, Any]]:
        with self.coaching.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT action, actor, actor_roles, reason, old_values, new_values "
                    "FROM audit_log WHERE resource_id = :r ORDER BY occurred_at"
                ),
                {"r": resource_id},
            ).mappings()
            return [dict(r) for r in rows]

    def roster(self) -> dict[str, RosterCoach]:
        with self.intake.session_factory() as s:
            return {str(c.id): c for c in s.scalars(select(RosterCoach))}


def _roster(pg: PgDatabases, state_dir: Path) -> Roster:
    broker = EmbeddedBroker()
    common: dict[str, Any] = {
        "transport": "embedded",
        "state_dir": state_dir,
        "log_level": "WARNING",
    }
    coaching = build_container(
        "coaching", broker=broker, database_url=pg.create("coaching"), **common
    )
    intake = build_container("intake", broker=broker, database_url=pg.create("intake"), **common)
    intake.subscribe_embedded()  # intake consumes the coaching topic
    client = TestClient(build_app(coaching, manage_lifecycle=False))
    return Roster(coaching, intake, client, Tokens(state_dir / "dev-jwt-key.pem"))


@pytest.fixture(scope="module")
def roster(pg: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roster]:
    """Coaching and intake on PostgreSQL, shared by the tests of this module.

    Tests only look at the coaches they create (by id), so they do not depend on each other;
    the list test, which needs exact totals, gets its own databases.
    """
    r = _roster(pg, tmp_path_factory.mktemp("roster"))
    yield r
    r.coaching.stop()
    r.intake.stop()


@pytest.fixture
def fresh_roster(pg: PgDatabases, state_dir: Path) -> Iterator[Roster]:
    r = _roster(pg, state_dir)
    yield r
    r.coaching.stop()
    r.intake.stop()


# --- create, get, list ----------------------------------------------------------------------


def test_create_publishes_coach_registered_and_audits(roster: Roster) -> None:
    r = roster.client.post(
        "/v1/coaches",
        json={
            "display_name": "  Anouk de Vries ",
            "office_code": "ams",
            "specialisms": ["under_27", "sector_ict"],
            "contract_hours": 32,
            "holds_intakes": True,
        },
        headers=roster.lead("AMS"),
    )
    assert r.status_code == 201, r.text
    coach = r.json()
    assert r.headers["location"] == f"/v1/coaches/{coach['id']}"
    assert coach["display_name"] == "Anouk de Vries"
    assert coach["office_code"] == "AMS"
    assert coach["specialisms"] == ["under_27", "sector_ict"]
    assert coach["active"] is True
    assert coach["deactivated_at"] is None

    (row,) = roster.outbox(coach["id"])
    assert row["type"] == "coach.registered"
    assert row["key"] == coach["id"]
    data = row["event"]["data"]
    assert data == {
        "coach_id": coach["id"],
        "display_name": "Anouk de Vries",
        "office_code": "AMS",
        "specialisms": ["under_27", "sector_ict"],
        "contract_hours": 32.0,
        "holds_intakes": True,
    }
    (audit,) = roster.audit(coach["id"])
    assert audit["action"] == "coach.create"
    assert audit["actor"] == "lead-AMS"
    assert audit["actor_roles"] == ["team_lead"]
    assert audit["old_values"] is None
    assert audit["new_values"]["display_name"] == "Anouk de Vries"
    assert audit["new_values"]["active"] is True

    got = roster.client.get(f"/v1/coaches/{coach['id']}", headers=roster.admin())
    assert got.status_code == 200
    assert got.json() == coach


def test_get_unknown_coach_is_404(roster: Roster) -> None:
    r = roster.client.get(f"/v1/coaches/{uuid.uuid4()}", headers=roster.admin())
    assert r.status_code == 404
    assert r.json()["type"] == "urn:ww:problem:not-found"


def test_unknown_office_is_422_naming_office_code(roster: Roster) -> None:
    before = {t: roster.count(t) for t in ("coaches", "outbox", "audit_log")}
    r = roster.client.post(
        "/v1/coaches",
        json={"display_name": "X", "office_code": "XYZ", "contract_hours": 20},
        headers=roster.admin(),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["office_code"]
    assert {t: roster.count(t) for t in ("coaches", "outbox", "audit_log")} == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"office_code": "AMS", "contract_hours": 20}, "display_name"),
        ({"display_name": "", "office_code": "AMS", "contract_hours": 20}, "display_name"),
        ({"display_name": "X", "office_code": "AMS", "contract_hours": 0}, "contract_hours"),
        ({"display_name": "X", "office_code": "AMS", "contract_hours": 41}, "contract_hours"),
        (
            {"display_name": "X", "office_code": "AMS", "contract_hours": 8, "specialisms": ["x"]},
            "specialisms.0",
        ),
        ({"display_name": "X", "office_code": "AMS", "contract_hours": 8, "age": 3}, "age"),
    ],
)
def test_create_validation_names_the_field(
    roster: Roster, body: dict[str, Any], field: str
) -> None:
    before = {t: roster.count(t) for t in ("coaches", "outbox", "audit_log")}
    r = roster.client.post("/v1/coaches", json=body, headers=roster.admin())
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}
    assert {t: roster.count(t) for t in ("coaches", "outbox", "audit_log")} == before


@pytest.mark.parametrize(
    "form",
    [
        "123456782",
        "123 456 782",
        "1234 56 782",
        "123.456.782",
        "123-45-6782",
        "123/456/782",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff12",  # full-width digits
        "123\u00a0456\u00a0782",  # no-break spaces
    ],
)
def test_a_bsn_in_any_form_never_reaches_coach_registered(roster: Roster, form: str) -> None:
    """Issue 13 item 7: the free-text check normalises (NFKC, separators) before it looks."""
    before = {t: roster.count(t) for t in ("coaches", "outbox", "audit_log")}
    r = roster.client.post(
        "/v1/coaches",
        json={"display_name": f"Anouk {form}", "office_code": "AMS", "contract_hours": 20},
        headers=roster.admin(),
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["display_name"]
    assert form not in r.text
    assert {t: roster.count(t) for t in ("coaches", "outbox", "audit_log")} == before


def test_list_paginates_filters_and_sorts(fresh_roster: Roster) -> None:
    roster = fresh_roster
    names = ["Eva", "Bram", "Daan", "Anouk", "Cor"]
    offices = ["AMS", "AMS", "RTD", "AMS", "UTR"]
    ids = {n: roster.create(n, o)["id"] for n, o in zip(names, offices, strict=True)}
    r = roster.client.post(
        f"/v1/coaches/{ids['Bram']}/deactivate", json={"reason": "retired"}, headers=roster.admin()
    )
    assert r.status_code == 200
    # A coach on the roster (ADR 0022: a coach token of no roster coach is refused).
    coach_reader = Tokens.header(roster.tokens.user("coach", sub=ids["Eva"]))

    def page(headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        resp = roster.client.get("/v1/coaches", params=params, headers=headers or roster.admin())
        assert resp.status_code == 200, resp.text
        result: dict[str, Any] = resp.json()
        return result

    def names_of(p: dict[str, Any]) -> list[str]:
        return [c["display_name"] for c in p["items"]]

    everything = page()
    assert everything["total"] == 5
    assert names_of(everything) == sorted(names)  # default sort: display_name
    first = page(limit=2, offset=0)
    second = page(limit=2, offset=2)
    third = page(limit=2, offset=4)
    assert (first["limit"], first["offset"], first["total"]) == (2, 0, 5)
    assert names_of(first) + names_of(second) + names_of(third) == sorted(names)
    assert page(limit=2, offset=10)["items"] == []
    assert names_of(page(sort="-display_name")) == sorted(names, reverse=True)
    assert names_of(page(sort="created_at")) == names
    assert names_of(page(sort="-created_at")) == names[::-1]
    ams = page(office_code="AMS")
    assert (ams["total"], names_of(ams)) == (3, ["Anouk", "Bram", "Eva"])
    assert names_of(page(office_code="AMS", active="true")) == ["Anouk", "Eva"]
    assert names_of(page(active="false")) == ["Bram"]
    assert page(office_code="GRO")["total"] == 0
    assert page(coach_reader)["total"] == 5  # coaches may read the roster

    for bad in (
        {"limit": 0},
        {"limit": 201},
        {"offset": -1},
        {"sort": "salary"},
        {"active": "maybe"},
    ):
        resp = roster.client.get("/v1/coaches", params=bad, headers=roster.admin())
        assert resp.status_code == 422, bad
        assert {e["field"] for e in resp.json()["errors"]} == set(bad), bad


# --- update and deactivate ------------------------------------------------------------------


def test_patch_publishes_full_state_and_audits_old_and_new(roster: Roster) -> None:
    coach = roster.create("Lotte Visser", "AMS", specialisms=["over_55"])
    r = roster.client.patch(
        f"/v1/coaches/{coach['id']}",
        json={"contract_hours": 24, "specialisms": ["over_55", "starters"]},
        headers=roster.lead("AMS"),
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["contract_hours"] == 24
    assert updated["specialisms"] == ["over_55", "starters"]
    assert updated["display_name"] == "Lotte Visser"  # untouched fields keep their value
    assert updated["updated_at"] >= coach["updated_at"]

    events = roster.outbox(coach["id"])
    assert [e["type"] for e in events] == ["coach.registered", "coach.updated"]
    assert events[1]["event"]["data"] == {
        "coach_id": coach["id"],
        "display_name": "Lotte Visser",
        "office_code": "AMS",
        "specialisms": ["over_55", "starters"],
        "contract_hours": 24.0,
        "holds_intakes": True,
    }
    audit = roster.audit(coach["id"])
    assert [a["action"] for a in audit] == ["coach.create", "coach.update"]
    change = audit[1]
    assert change["actor"] == "lead-AMS"
    assert change["old_values"]["contract_hours"] == 32.0
    assert change["new_values"]["contract_hours"] == 24.0
    assert change["old_values"]["specialisms"] == ["over_55"]
    assert change["new_values"]["specialisms"] == ["over_55", "starters"]

    moved = roster.client.patch(
        f"/v1/coaches/{coach['id']}", json={"office_code": "utr"}, headers=roster.admin()
    )
    assert moved.status_code == 200
    assert moved.json()["office_code"] == "UTR"


def test_patch_validation(roster: Roster) -> None:
    coach = roster.create("Daan Smit")
    for body, field in (
        ({"office_code": "NOPE"}, "office_code"),
        ({"contract_hours": -2}, "contract_hours"),
        ({"nickname": "D"}, "nickname"),
    ):
        r = roster.client.patch(f"/v1/coaches/{coach['id']}", json=body, headers=roster.admin())
        assert r.status_code == 422, body
        assert [e["field"] for e in r.json()["errors"]] == [field]
    missing = roster.client.patch(
        f"/v1/coaches/{uuid.uuid4()}", json={"contract_hours": 8}, headers=roster.admin()
    )
    assert missing.status_code == 404
    assert [e["type"] for e in roster.outbox(coach["id"])] == ["coach.registered"]


def test_deactivate_publishes_event_audits_reason_and_twice_is_409(roster: Roster) -> None:
    coach = roster.create("Pieter Bakker", "AMS")
    url = f"/v1/coaches/{coach['id']}/deactivate"
    r = roster.client.post(url, json={"reason": "moved to another region"}, headers=roster.lead())
    assert r.status_code == 200, r.text
    gone = r.json()
    assert gone["active"] is False
    assert gone["deactivated_at"] is not None

    events = roster.outbox(coach["id"])
    assert [e["type"] for e in events] == ["coach.registered", "coach.deactivated"]
    assert events[1]["event"]["data"]["coach_id"] == coach["id"]
    assert events[1]["event"]["data"]["office_code"] == "AMS"
    audit = roster.audit(coach["id"])
    assert [a["action"] for a in audit] == ["coach.create", "coach.deactivate"]
    assert audit[1]["reason"] == "moved to another region"
    assert audit[1]["old_values"]["active"] is True
    assert audit[1]["new_values"]["active"] is False

    again = roster.client.post(url, json={"reason": "again"}, headers=roster.lead())
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["type"] == "urn:ww:problem:conflict"
    patched = roster.client.patch(
        f"/v1/coaches/{coach['id']}", json={"contract_hours": 8}, headers=roster.admin()
    )
    assert patched.status_code == 409
    short = roster.client.post(
        f"/v1/coaches/{roster.create('Sanne')['id']}/deactivate",
        json={"reason": "x"},
        headers=roster.admin(),
    )
    assert short.status_code == 422
    assert [e["field"] for e in short.json()["errors"]] == ["reason"]
    # Nothing more was published or audited by the refused calls.
    assert [e["type"] for e in roster.outbox(coach["id"])].count("coach.deactivated") == 1
    assert len(roster.audit(coach["id"])) == 2


# --- the audit log is append-only in the database -------------------------------------------


def test_postgres_trigger_refuses_update_and_delete_of_audit_rows(roster: Roster) -> None:
    coach = roster.create("Mohamed El Amrani")
    for statement in (
        "UPDATE audit_log SET actor = 'someone-else'",
        "UPDATE audit_log SET reason = 'covering tracks' WHERE resource_id = :r",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE resource_id = :r",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with roster.coaching.engine.begin() as conn:
                conn.execute(text(statement), {"r": coach["id"]})
    (row,) = roster.audit(coach["id"])
    assert row["actor"] == "admin-1"
    assert row["reason"] is None
    # Appending is still allowed.
    with roster.coaching.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (id, occurred_at, actor, actor_kind, actor_roles, action, "
                "resource_type, resource_id) VALUES (:id, now(), 'ops', 'system', '[]', "
                "'manual.note', 'coach', :r)"
            ),
            {"id": uuid.uuid4(), "r": coach["id"]},
        )
    assert len(roster.audit(coach["id"])) == 2


# --- intake's read model of the roster ------------------------------------------------------


def test_coach_events_maintain_intakes_roster_read_model(roster: Roster) -> None:
    anouk = roster.create("Anouk", "AMS", specialisms=["under_27"])
    sanne = roster.create("Sanne", "RTD", holds_intakes=False)
    drain(roster.coaching.relay)
    assert roster.coaching.relay.pending() == 0
    model = roster.roster()
    assert {anouk["id"], sanne["id"]} <= set(model)
    a = model[anouk["id"]]
    assert (a.display_name, a.office_code, a.specialisms, a.contract_hours) == (
        "Anouk",
        "AMS",
        ["under_27"],
        32.0,
    )
    assert (a.holds_intakes, a.active) == (True, True)
    assert model[sanne["id"]].holds_intakes is False

    r = roster.client.patch(
        f"/v1/coaches/{anouk['id']}",
        json={"display_name": "Anouk de Vries", "office_code": "UTR", "contract_hours": 20},
        headers=roster.admin(),
    )
    assert r.status_code == 200
    drain(roster.coaching.relay)
    a = roster.roster()[anouk["id"]]
    assert (a.display_name, a.office_code, a.contract_hours, a.active) == (
        "Anouk de Vries",
        "UTR",
        20.0,
        True,
    )

    r = roster.client.post(
        f"/v1/coaches/{sanne['id']}/deactivate", json={"reason": "left"}, headers=roster.admin()
    )
    assert r.status_code == 200
    drain(roster.coaching.relay)
    model = roster.roster()
    assert model[sanne["id"]].active is False
    assert model[anouk["id"]].active is True

    event_ids = [
        uuid.UUID(e["event"]["id"])
        for coach_id in (anouk["id"], sanne["id"])
        for e in roster.outbox(coach_id)
    ]
    with roster.intake.engine.connect() as conn:
        processed = conn.execute(
            text(
                "SELECT event_type, count(*) FROM processed_events "
                "WHERE event_id IN :ids GROUP BY event_type"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": event_ids},
        ).all()
    assert dict(processed) == {"coach.registered": 2, "coach.updated": 1, "coach.deactivated": 1}
    assert roster.intake.broker is not None
    assert roster.intake.broker.dead_letters == []


def test_redelivered_coach_events_are_applied_once(roster: Roster) -> None:
    coach = roster.create("Cor", "AMS")
    roster.client.post(
        f"/v1/coaches/{coach['id']}/deactivate", json={"reason": "left"}, headers=roster.admin()
    )
    events = roster.outbox(coach["id"])
    messages = [
        IncomingMessage(
            topic="ww.coaching",
            partition=0,
            offset=i,
            key=e["key"].encode(),
            value=e["raw"].encode(),
        )
        for i, e in enumerate(events)
    ]
    consumer = roster.intake.consumer
    assert [consumer.process(m) for m in messages] == [Outcome.PROCESSED, Outcome.PROCESSED]
    assert roster.roster()[coach["id"]].active is False
    # A late redelivery of coach.registered must not resurrect the coach.
    assert consumer.process(messages[0]) is Outcome.DUPLICATE
    assert roster.roster()[coach["id"]].active is False


def test_deactivation_arriving_before_registration_keeps_the_coach_inactive(
    roster: Roster,
) -> None:
    coach = roster.create("Eva", "AMS")
    roster.client.post(
        f"/v1/coaches/{coach['id']}/deactivate", json={"reason": "left"}, headers=roster.admin()
    )
    registered, deactivated = roster.outbox(coach["id"])
    consumer = roster.intake.consumer

    def msg(e: dict[str, Any]) -> IncomingMessage:
        return IncomingMessage(
            topic="ww.coaching", partition=0, offset=0, key=None, value=e["raw"].encode()
        )

    assert consumer.process(msg(deactivated)) is Outcome.PROCESSED
    row = roster.roster()[coach["id"]]
    assert (row.active, row.office_code) == (False, "AMS")
    assert consumer.process(msg(registered)) is Outcome.PROCESSED
    row = roster.roster()[coach["id"]]
    assert row.display_name == "Eva"
    assert row.active is False, "a late coach.registered must not reactivate a deactivated coach"
