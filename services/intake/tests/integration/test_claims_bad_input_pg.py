"""Claim registration and search on PostgreSQL: bad input never stores anything or leaks a BSN.

Every rejected request must answer 4xx problem+json naming the offending field, must not echo
the BSN, and must leave claims, outbox and audit_log untouched. Duplicate and concurrent
registrations of one BSN are decided by the partial unique index.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.concurrency import requests_on_barrier, serve
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

BSN = "111222333"  # passes the 11-proef
OTHER_BSN = "123456782"
TODAY = local_today()
LIMIT = 1_048_576


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def staff(self) -> dict[str, str]:
        return Tokens.header(self.tokens.user("benefits_officer", sub="officer-1"))

    def count(self, table: str) -> int:
        with self.container.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def counts(self) -> dict[str, int]:
        # Outbox: claim.registered only (registration also books an intake or reports a
        # capacity shortfall, which the booking tests cover).
        return {
            "claims": self.count("claims"),
            "outbox": self.count("outbox WHERE event_type = 'claim.registered'"),
            "audit_log": self.count("audit_log WHERE action LIKE 'claim.%'"),
        }


def _intake(pg: PgDatabases, state_dir: Path) -> Intake:
    c = build_container(
        "intake",
        database_url=pg.create("intake"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    return Intake(
        c, TestClient(build_app(c, manage_lifecycle=False)), Tokens(state_dir / "dev-jwt-key.pem")
    )


@pytest.fixture(scope="module")
def shared_intake(pg: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    """One database for every bad-input case (nothing valid is ever sent to it before the end)."""
    intake = _intake(pg, tmp_path_factory.mktemp("intake-bad-input"))
    yield intake
    intake.container.stop()


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    """A fresh database per test."""
    i = _intake(pg, state_dir)
    yield i
    i.container.stop()


_DROP = object()  # marks a field to leave out


def _valid(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bsn": BSN,
        "given_name": "Jan",
        "family_name": "de Vries",
        "first_ww_day": TODAY.isoformat(),
        "postcode": "1011 AB",
        "date_of_birth": "1985-04-12",
        "years_work_history": 12,
        "hours_lost_per_week": 36,
        "education_level": "vocational",
        "sector": "logistics",
        "preferred_language": "nl",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


@dataclass(frozen=True)
class Bad:
    """One bad request: what to send and what must come back."""

    id: str
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    status: int = 422
    fields: tuple[str, ...] = ()
    secrets: tuple[str, ...] = (BSN,)


def _pad_over_limit(body: dict[str, Any]) -> bytes:
    raw = json.dumps(body).encode()
    return raw[:-1] + b" " * (LIMIT + 10) + b"}"


REGISTER_CASES = [
    Bad("bsn-fails-11-proef", _valid(bsn="123456789"), fields=("bsn",), secrets=("123456789",)),
    Bad("bsn-8-digits", _valid(bsn="12345678"), fields=("bsn",), secrets=("12345678",)),
    Bad("bsn-10-digits", _valid(bsn="1112223330"), fields=("bsn",), secrets=("1112223330",)),
    Bad("bsn-letters", _valid(bsn="11122233a"), fields=("bsn",), secrets=("11122233a",)),
    Bad("bsn-all-letters", _valid(bsn="abcdefghi"), fields=("bsn",), secrets=("abcdefghi",)),
    Bad("bsn-empty", _valid(bsn=""), fields=("bsn",)),
    Bad("missing-bsn", _valid(bsn=_DROP), fields=("bsn",)),
    Bad("missing-first-ww-day", _valid(first_ww_day=_DROP), fields=("first_ww_day",)),
    Bad("missing-postcode", _valid(postcode=_DROP), fields=("postcode",)),
    Bad("missing-date-of-birth", _valid(date_of_birth=_DROP), fields=("date_of_birth",)),
    Bad("missing-family-name", _valid(family_name=_DROP), fields=("family_name",)),
    Bad(
        # The BSN is optional in the schema (a claimant's comes from the sign-in, ADR
        # 0025); staff without one get `bsn` named once the schema passes (missing-bsn).
        "missing-everything",
        {},
        fields=("given_name", "family_name", "date_of_birth", "first_ww_day", "postcode"),
    ),
    Bad("bsn-is-list", _valid(bsn=[BSN]), fields=("bsn",)),
    Bad("bsn-is-object", _valid(bsn={"value": BSN}), fields=("bsn",)),
    Bad("bsn-is-bool", _valid(bsn=True), fields=("bsn",)),
    Bad("bsn-is-null", _valid(bsn=None), fields=("bsn",)),
    Bad("date-is-word", _valid(first_ww_day="next monday"), fields=("first_ww_day",)),
    Bad("date-is-bsn", _valid(first_ww_day=BSN), fields=("first_ww_day",)),
    Bad("date-is-number", _valid(first_ww_day=20260101), fields=("first_ww_day",)),
    Bad("date-impossible", _valid(first_ww_day="2026-02-30"), fields=("first_ww_day",)),
    Bad("dob-is-word", _valid(date_of_birth="long ago"), fields=("date_of_birth",)),
    Bad("postcode-is-number", _valid(postcode=1011), fields=("postcode",)),
    Bad("postcode-leading-zero", _valid(postcode="0123 AB"), fields=("postcode",)),
    Bad("postcode-never-issued-sa", _valid(postcode="1234 SA"), fields=("postcode",)),
    Bad("postcode-digits-only", _valid(postcode="1234"), fields=("postcode",)),
    Bad("postcode-swapped", _valid(postcode="AB 1234"), fields=("postcode",)),
    Bad("postcode-holds-bsn", _valid(postcode=BSN), fields=("postcode",)),
    Bad("years-is-word", _valid(years_work_history="many"), fields=("years_work_history",)),
    Bad("years-negative", _valid(years_work_history=-1), fields=("years_work_history",)),
    Bad("hours-too-many", _valid(hours_lost_per_week=100), fields=("hours_lost_per_week",)),
    Bad("education-unknown", _valid(education_level="phd"), fields=("education_level",)),
    Bad("language-unknown", _valid(preferred_language="de"), fields=("preferred_language",)),
    Bad("sector-too-long", _valid(sector="x" * 81), fields=("sector",)),
    Bad("unknown-field", _valid(nickname="Jan"), fields=("nickname",)),
    Bad("unknown-field-with-bsn", _valid(ssn=BSN), fields=("ssn",)),
    Bad(
        "first-ww-day-too-old",
        _valid(first_ww_day=(TODAY - dt.timedelta(days=93)).isoformat()),
        fields=("first_ww_day",),
    ),
    Bad(
        "first-ww-day-too-far-ahead",
        _valid(first_ww_day=(TODAY + dt.timedelta(days=62)).isoformat()),
        fields=("first_ww_day",),
    ),
    Bad("age-over-aow", _valid(date_of_birth="1900-01-01"), fields=("date_of_birth",)),
    Bad(
        "age-child",
        _valid(date_of_birth=(TODAY - dt.timedelta(days=365 * 10)).isoformat()),
        fields=("date_of_birth",),
    ),
    Bad(
        "born-in-the-future",
        _valid(date_of_birth=(TODAY + dt.timedelta(days=30)).isoformat()),
        fields=("date_of_birth",),
    ),
    Bad("malformed-json", raw=b'{"bsn": "111222333", "postcode": ', status=400, fields=("body",)),
    Bad("json-array", [_valid()], fields=("body",)),
    Bad("json-string", BSN, fields=("body",)),
    Bad("empty-body", raw=b"", fields=("body",)),
    Bad(
        "text-plain", raw=json.dumps(_valid()).encode(), content_type="text/plain", fields=("body",)
    ),
    Bad(
        "form-encoded",
        raw=f"bsn={BSN}&first_ww_day={TODAY.isoformat()}&postcode=1011AB".encode(),
        content_type="application/x-www-form-urlencoded",
        fields=("body",),
    ),
    Bad("over-1mb-declared", raw=_pad_over_limit(_valid()), status=413),
]

SEARCH_CASES = [
    Bad("bsn-fails-11-proef", {"bsn": "123456789"}, fields=("bsn",), secrets=("123456789",)),
    Bad("bsn-8-digits", {"bsn": "12345678"}, fields=("bsn",), secrets=("12345678",)),
    Bad("bsn-letters", {"bsn": "1112223x3"}, fields=("bsn",), secrets=("1112223x3",)),
    Bad("missing-bsn", {}, fields=("bsn",)),
    Bad("bsn-is-list", {"bsn": [BSN]}, fields=("bsn",)),
    Bad("bsn-is-null", {"bsn": None}, fields=("bsn",)),
    Bad("unknown-field", {"bsn": BSN, "postcode": "1011 AB"}, fields=("postcode",)),
    Bad("malformed-json", raw=b'{"bsn": 111222333', status=400, fields=("body",)),
    Bad(
        "text-plain",
        raw=json.dumps({"bsn": BSN}).encode(),
        content_type="text/plain",
        fields=("body",),
    ),
    Bad("over-1mb-declared", raw=_pad_over_limit({"bsn": BSN}), status=413),
]


def _send(intake: Intake, path: str, case: Bad) -> httpx.Response:
    headers = {**intake.staff(), "content-type": case.content_type}
    content = case.raw if case.raw is not None else json.dumps(case.body).encode()
    return intake.client.post(path, content=content, headers=headers)


def _check_rejected(intake: Intake, r: httpx.Response, case: Bad) -> None:
    assert r.status_code == case.status, f"{case.id}: {r.status_code} {r.text[:500]}"
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/problem+json"), case.id
    problem = r.json()
    assert problem["type"].startswith("urn:ww:problem:"), case.id
    assert problem["status"] == case.status
    if case.fields:
        named = {e["field"] for e in problem.get("errors", [])}
        assert set(case.fields) <= named, f"{case.id}: errors name {named}, expected {case.fields}"
    for secret in case.secrets:
        assert secret not in r.text, f"{case.id}: the response echoes {secret!r}"
    assert intake.counts() == {"claims": 0, "outbox": 0, "audit_log": 0}, case.id


@pytest.mark.parametrize("case", REGISTER_CASES, ids=[c.id for c in REGISTER_CASES])
def test_register_rejects_bad_input(shared_intake: Intake, case: Bad) -> None:
    _check_rejected(shared_intake, _send(shared_intake, "/v1/claims", case), case)


@pytest.mark.parametrize("case", SEARCH_CASES, ids=[c.id for c in SEARCH_CASES])
def test_search_rejects_bad_input(shared_intake: Intake, case: Bad) -> None:
    _check_rejected(shared_intake, _send(shared_intake, "/v1/claims/search", case), case)


@pytest.mark.parametrize("path", ["/v1/claims", "/v1/claims/search"])
def test_streamed_body_over_1mb_without_length_is_413(shared_intake: Intake, path: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"bsn": "' + BSN.encode() + b'", "pad": "'
        for _ in range(17):
            yield b"x" * 65_536
        yield b'"}'

    headers = {**shared_intake.staff(), "content-type": "application/json"}
    r = shared_intake.client.post(path, content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in r.request.headers}
    _check_rejected(shared_intake, r, Bad("streamed", status=413))


def test_after_all_bad_input_nothing_is_stored_and_the_service_answers(
    shared_intake: Intake,
) -> None:
    assert shared_intake.counts() == {"claims": 0, "outbox": 0, "audit_log": 0}
    assert shared_intake.client.get("/health").status_code == 200
    assert shared_intake.client.get("/ready").status_code == 200
    r = shared_intake.client.post("/v1/claims", json=_valid(), headers=shared_intake.staff())
    assert r.status_code == 201, r.text
    assert shared_intake.counts() == {"claims": 1, "outbox": 1, "audit_log": 1}


# --- the happy path and duplicates ----------------------------------------------------------


def test_registration_stores_claim_event_and_audit_without_the_bsn(intake: Intake) -> None:
    r = intake.client.post("/v1/claims", json=_valid(), headers=intake.staff())
    assert r.status_code == 201, r.text
    claim = r.json()
    assert r.headers["location"] == f"/v1/claims/{claim['id']}"
    assert claim["bsn_masked"] == "******333"
    assert claim["office_code"] == "AMS"
    assert claim["channel"] == "staff"
    assert BSN not in r.text

    with intake.container.engine.connect() as conn:
        outbox = conn.execute(
            text(
                "SELECT event_type, body, message_key, published_at FROM outbox "
                "WHERE event_type = 'claim.registered'"
            )
        ).all()
        stored = conn.execute(text("SELECT bsn_ciphertext, bsn_hash, status FROM claims")).one()
        audit = conn.execute(
            text("SELECT action, resource_id, CAST(new_values AS TEXT) FROM audit_log")
        ).all()
    assert len(outbox) == 1
    event_type, body, key, published_at = outbox[0]
    assert event_type == "claim.registered"
    assert published_at is None
    assert key == claim["id"]
    assert BSN not in body
    event = json.loads(body)
    assert event["type"] == "claim.registered"
    assert event["data"]["claim_id"] == claim["id"]
    assert "bsn" not in {k.lower() for k in event["data"]}
    assert BSN.encode() not in bytes(stored.bsn_ciphertext)
    assert BSN not in stored.bsn_hash
    assert stored.status == "open"
    assert [(a[0], a[1]) for a in audit] == [("claim.register", claim["id"])]
    assert BSN not in audit[0][2]

    got = intake.client.get(r.headers["location"], headers=intake.staff())
    assert got.status_code == 200
    assert got.json()["id"] == claim["id"]


def test_duplicate_open_claim_is_409_with_the_existing_id(intake: Intake) -> None:
    first = intake.client.post("/v1/claims", json=_valid(), headers=intake.staff())
    assert first.status_code == 201
    # The same person, written differently (separators), still has an open claim.
    again = intake.client.post(
        "/v1/claims",
        json=_valid(bsn="111.222.333", postcode="3011CD"),
        headers=intake.staff(),
    )
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    problem = again.json()
    assert problem["type"] == "urn:ww:problem:open-claim-exists"
    assert problem["existing_claim_id"] == first.json()["id"]
    assert BSN not in again.text
    assert intake.counts() == {"claims": 1, "outbox": 1, "audit_log": 1}
    # Another BSN is unaffected.
    other = intake.client.post("/v1/claims", json=_valid(bsn=OTHER_BSN), headers=intake.staff())
    assert other.status_code == 201


def test_concurrent_registrations_of_one_bsn_create_exactly_one_claim(intake: Intake) -> None:
    n = 20
    headers = intake.staff()
    # Over HTTP, every request on its own connection, all released by one barrier.
    with serve(intake.client.app) as base:
        results = requests_on_barrier(
            base, [("POST", "/v1/claims", {"json": _valid(), "headers": headers})] * n
        )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * (n - 1), statuses
    winner = next(r for r in results if r.status_code == 201).json()["id"]
    for r in results:
        if r.status_code == 409:
            assert r.json()["type"] == "urn:ww:problem:open-claim-exists"
            assert r.json().get("existing_claim_id") in (winner, None)
            assert BSN not in r.text
    assert intake.counts() == {"claims": 1, "outbox": 1, "audit_log": 1}

    # The service keeps answering.
    assert intake.client.get("/health").status_code == 200
    assert intake.client.get("/ready").status_code == 200
    more = intake.client.post("/v1/claims", json=_valid(bsn=OTHER_BSN), headers=intake.staff())
    assert more.status_code == 201
    listed = intake.client.get("/v1/claims", headers=intake.staff())
    assert listed.status_code == 200
    assert listed.json()["total"] == 2


def test_the_partial_unique_index_allows_one_open_claim_per_bsn(intake: Intake) -> None:
    """The database itself refuses a second open claim, and allows it once the first is closed."""
    insert = text(
        "INSERT INTO claims (id, bsn_ciphertext, bsn_hash, status, first_ww_day, postcode, "
        "office_code, channel, registered_by, registered_at) VALUES (:id, :ct, :h, :status, "
        ":day, '1011 AB', 'AMS', 'staff', 'test', now())"
    )
    params = {"ct": b"x", "h": "f" * 64, "day": TODAY}
    with intake.container.engine.begin() as conn:
        conn.execute(insert, {**params, "id": uuid.uuid4(), "status": "open"})
    with pytest.raises(IntegrityError, match="uq_claims_open_bsn"):
        with intake.container.engine.begin() as conn:
            conn.execute(insert, {**params, "id": uuid.uuid4(), "status": "open"})
    with intake.container.engine.begin() as conn:
        conn.execute(text("UPDATE claims SET status = 'closed'"))
        conn.execute(insert, {**params, "id": uuid.uuid4(), "status": "open"})
        conn.execute(insert, {**params, "id": uuid.uuid4(), "status": "closed"})
    assert intake.count("claims") == 3
