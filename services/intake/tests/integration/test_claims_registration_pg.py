"""Claim registration on PostgreSQL: channels, personal data, validation, idempotency, listing.

Personal data (name, e-mail, phone, last employer) stays in intake: it is shown to staff and
to the claimant, never put in `claim.registered` and never logged. `Idempotency-Key` replays
the first successful response; its primary key decides between concurrent duplicates.
Every rejected request writes nothing at all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from intake.claims import service
from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.concurrency import requests_on_barrier, serve
from tests.support.intake import known_coach_sub
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens
from tests.support.triage import BASE as FULL_ANSWERS

pytestmark = pytest.mark.integration

BSN = "111222333"
OTHER_BSN = "123456782"
THIRD_BSN = "100000009"
TODAY = local_today()
TABLES = ("claims", "outbox", "audit_log", "idempotency_keys")
PERSONAL = ("Annemarie", "Oudshoorn", "annemarie.oudshoorn@example.nl", "+31612345678")


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def officer(self, sub: str = "officer-1") -> dict[str, str]:
        return Tokens.header(self.tokens.user("benefits_officer", sub=sub))

    def user(
        self, *roles: str, sub: str = "user-1", office: str | None = None, bsn: str | None = None
    ) -> dict[str, str]:
        if "coach" in roles:  # a coach on the roster: unknown coaches are refused (ADR 0022)
            sub = known_coach_sub(self.container.engine, sub, office or "AMS")
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office, bsn=bsn))

    def agency(self, client_id: str = "agency-randstad") -> dict[str, str]:
        return Tokens.header(self.tokens.app(client_id, "claims:register"))

    def register(
        self, body: dict[str, Any], headers: dict[str, str], key: str | None = None
    ) -> httpx.Response:
        if key is not None:
            headers = {**headers, "Idempotency-Key": key}
        return self.client.post("/v1/claims", json=body, headers=headers)

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def counts(self) -> dict[str, int]:
        # Outbox: claim.registered only (registration also books an intake or reports a
        # capacity shortfall, which the booking tests cover).
        where = {"outbox": " WHERE event_type = 'claim.registered'"}
        return {
            t: int(self.sql(f"SELECT count(*) FROM {t}{where.get(t, '')}")[0][0]) for t in TABLES
        }


def _intake(pg: PgDatabases, state_dir: Path, **settings: Any) -> Intake:
    settings.setdefault("log_level", "WARNING")
    c = build_container(
        "intake",
        database_url=pg.create("intake"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        **settings,
    )
    app = build_app(c, manage_lifecycle=False)
    return Intake(c, TestClient(app), Tokens(state_dir / "dev-jwt-key.pem"))


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    """A fresh database per test."""
    i = _intake(pg, state_dir)
    yield i
    i.container.stop()


@pytest.fixture(scope="module")
def shared_intake(pg: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    """One database for every rejected request (none of them may write anything)."""
    i = _intake(pg, tmp_path_factory.mktemp("intake-registration-bad"))
    yield i
    i.container.stop()


_DROP = object()


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bsn": BSN,
        "given_name": "Annemarie",
        "family_name": "Oudshoorn",
        "date_of_birth": "1984-02-29",
        "email": "annemarie.oudshoorn@example.nl",
        "phone": "06-1234 5678",
        "preferred_language": "nl",
        "first_ww_day": TODAY.isoformat(),
        "postcode": "1011 AB",
        "last_employer": "Bakkerij Oudshoorn B.V.",
        "sector": "retail",
        "hours_lost_per_week": 32,
        "years_work_history": 18,
        "education_level": "vocational",
        "questionnaire_answers": {
            "driving_licence": True,
            "previous_unemployment_spells": 3,
            "expectation": 4,
            "mobility": "public_transport",
        },
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


def _outbox_events(intake: Intake) -> list[dict[str, Any]]:
    return [
        json.loads(row[0])
        for row in intake.sql(
            "SELECT body FROM outbox WHERE event_type = 'claim.registered' ORDER BY seq"
        )
    ]


# --- channels and personal data ------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "employer_flag", "channel"),
    [
        ("claimant", False, "claimant"),
        ("coach", False, "staff"),
        ("benefits_officer", True, "employer"),
        ("temp_agency", False, "temp_agency"),
    ],
)
def test_each_channel_registers_and_is_recorded(
    intake: Intake, who: str, employer_flag: bool, channel: str
) -> None:
    headers = (
        intake.agency()
        if who == "temp_agency"
        else intake.user(who, sub=f"{who}-1", office="AMS")
        if who != "claimant"
        else intake.user(who, sub="claimant-1", bsn=BSN)
    )
    body = _body(registered_by_employer=True) if employer_flag else _body()
    r = intake.register(body, headers)
    assert r.status_code == 201, r.text
    claim = r.json()
    assert r.headers["location"] == f"/v1/claims/{claim['id']}"
    assert "idempotent-replayed" not in r.headers
    assert claim["channel"] == channel
    assert claim["bsn_masked"] == "******333"
    assert BSN not in r.text
    assert (claim["given_name"], claim["family_name"]) == ("Annemarie", "Oudshoorn")
    assert claim["email"] == "annemarie.oudshoorn@example.nl"
    assert claim["phone"] == "+31612345678"  # stored as E.164
    assert claim["date_of_birth"] == "1984-02-29"
    assert claim["last_employer"] == "Bakkerij Oudshoorn B.V."
    assert claim["office_code"] == "AMS"
    assert claim["questionnaire_answers"]["driving_licence"] is True

    stored = intake.sql("SELECT channel, registered_by, claimant_subject FROM claims")
    expected_subject = "claimant-1" if who == "claimant" else None
    expected_by = "agency-randstad" if who == "temp_agency" else f"{who}-1"
    if who == "coach":  # a coach token names a roster coach's id (ADR 0022)
        expected_by = known_coach_sub(intake.container.engine, "coach-1")
    assert [tuple(s) for s in stored] == [(channel, expected_by, expected_subject)]

    (event,) = _outbox_events(intake)
    data = event["data"]
    assert data["channel"] == channel
    assert data["questionnaire_answers"] == body["questionnaire_answers"]
    assert data["age_at_first_ww_day"] >= 40
    raw = json.dumps(event)
    for secret in (*PERSONAL, BSN, "Bakkerij", "1984-02-29", "06-1234"):
        assert secret not in raw, f"claim.registered carries {secret!r}"
    assert intake.counts() == {"claims": 1, "outbox": 1, "audit_log": 1, "idempotency_keys": 0}


def test_claimant_and_staff_read_the_personal_data_and_the_read_is_audited(intake: Intake) -> None:
    me = intake.user("claimant", sub="claimant-42", bsn=BSN)
    created = intake.register(_body(), me)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    own = intake.client.get(location, headers=me)
    assert own.status_code == 200
    assert own.json()["email"] == "annemarie.oudshoorn@example.nl"
    staff = intake.client.get(location, headers=intake.officer())
    assert staff.json()["phone"] == "+31612345678"
    other = intake.client.get(location, headers=intake.user("claimant", sub="claimant-43"))
    assert other.status_code == 404
    assert "Annemarie" not in other.text
    actions = [a for (a,) in intake.sql("SELECT action FROM audit_log ORDER BY occurred_at")]
    assert actions == ["claim.register", "claim.read", "claim.read"]


def test_personal_data_is_never_logged(
    pg: PgDatabases, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    intake = _intake(pg, tmp_path / "state", log_level="DEBUG")
    caplog.set_level(logging.DEBUG)
    try:
        assert intake.register(_body(), intake.officer(), key="log-check-1").status_code == 201
        assert intake.register(_body(), intake.officer(), key="log-check-1").status_code == 201
        assert intake.register(_body(), intake.officer()).status_code == 409
        bad = intake.register(_body(email="annemarie@", phone="+31 6 123"), intake.officer())
        assert bad.status_code == 422
        # A claimant's token carries the BSN of the sign-in (ADR 0025): neither the BSN
        # nor the token may reach the log, also when the registration is refused.
        token = intake.tokens.user("claimant", sub="claimant-log", bsn=THIRD_BSN)
        mine = intake.register(_body(bsn=_DROP, family_name="Bakker"), Tokens.header(token))
        assert mine.status_code == 201, mine.text
        assert intake.register(_body(bsn=_DROP), Tokens.header(token)).status_code == 409
        assert intake.register(_body(bsn=OTHER_BSN), Tokens.header(token)).status_code == 403
        listed = intake.client.get(
            "/v1/claims", params={"family_name": "Oudsh"}, headers=intake.officer()
        )
        assert listed.json()["total"] == 1
    finally:
        intake.container.stop()
    # The test client's own httpx logger prints the URLs it requests; that is the caller's
    # log, not the service's (whose access log names only the route template).
    output = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records if r.name != "httpx"
    )
    assert "http.request" in output, "no access log captured"
    for secret in (*PERSONAL, "annemarie@", "Bakkerij", "Oudsh", BSN, THIRD_BSN, OTHER_BSN):
        assert secret not in output, f"the log contains {secret!r}"
    assert token not in output
    assert token.split(".")[1] not in output  # the claims part, where the BSN is


# --- validation: 422 naming the field, nothing written -----------------------------------------


@dataclass(frozen=True)
class Bad:
    id: str
    body: dict[str, Any]
    field: str
    key: str | None = None
    headers: str = "officer"
    secrets: tuple[str, ...] = ()


BAD = [
    Bad("email-no-domain", _body(email="annemarie@"), "email"),
    Bad("email-no-at", _body(email="annemarie.example.nl"), "email"),
    Bad("email-spaces", _body(email="anne marie@example.nl"), "email"),
    Bad("email-not-string", _body(email=42), "email"),
    # issue 13 item 7: a BSN in the e-mail address, plain or typed with separators
    Bad("email-holds-bsn", _body(email=f"{BSN}@example.nl"), "email", secrets=(BSN,)),
    Bad("email-holds-dotted-bsn", _body(email="a.111.222.333@example.nl"), "email"),
    Bad("email-holds-bsn-claimant", _body(email=f"x{BSN}@example.nl"), "email", headers="claimant"),
    Bad("phone-too-short", _body(phone="06 1234"), "phone"),
    Bad("phone-dutch-too-long", _body(phone="+31 6 123456789"), "phone"),
    Bad("phone-letters", _body(phone="06-CALLME-NOW"), "phone"),
    Bad("phone-double-plus", _body(phone="++31612345678"), "phone"),
    Bad("phone-country-zero", _body(phone="+0612345678"), "phone"),
    Bad("phone-too-long-e164", _body(phone="+4412345678901234"), "phone"),
    Bad("phone-holds-bsn", _body(phone=BSN), "phone", secrets=(BSN,)),
    Bad("missing-given-name", _body(given_name=_DROP), "given_name"),
    Bad("missing-family-name", _body(family_name=_DROP), "family_name"),
    Bad("blank-family-name", _body(family_name="   "), "family_name"),
    Bad("name-with-digits", _body(given_name="Anne2"), "given_name"),
    Bad("name-symbols", _body(family_name="<script>"), "family_name"),
    Bad("name-too-long", _body(family_name="a" * 101), "family_name"),
    Bad("name-holds-bsn", _body(family_name=f"Oudshoorn {BSN}"), "family_name", secrets=(BSN,)),
    Bad("missing-date-of-birth", _body(date_of_birth=_DROP), "date_of_birth"),
    Bad("age-too-old", _body(date_of_birth="1930-01-01"), "date_of_birth"),
    Bad(
        "age-too-young",
        _body(date_of_birth=(TODAY - dt.timedelta(days=365 * 14)).isoformat()),
        "date_of_birth",
    ),
    Bad("language-unknown", _body(preferred_language="fr"), "preferred_language"),
    Bad(
        "last-employer-holds-bsn",
        _body(last_employer=f"Uitzendbureau {BSN[:3]}-{BSN[3:6]}-{BSN[6:]}"),
        "last_employer",
        secrets=(BSN,),
    ),
    Bad("last-employer-too-long", _body(last_employer="x" * 201), "last_employer"),
    Bad("sector-holds-bsn", _body(sector=f"bsn {BSN}"), "sector", secrets=(BSN,)),
    Bad(
        "questionnaire-41-keys",
        _body(questionnaire_answers={f"q{i}": i for i in range(41)}),
        "questionnaire_answers",
    ),
    Bad(
        "questionnaire-key-upper-case",
        _body(questionnaire_answers={"Driving": True}),
        "questionnaire_answers",
    ),
    Bad(
        "questionnaire-key-starts-with-digit",
        _body(questionnaire_answers={"1st_job": True}),
        "questionnaire_answers",
    ),
    Bad(
        "questionnaire-key-41-chars",
        _body(questionnaire_answers={"k" * 41: True}),
        "questionnaire_answers",
    ),
    Bad(
        "questionnaire-key-holds-bsn",
        _body(questionnaire_answers={f"q{BSN}": True}),
        "questionnaire_answers",
        secrets=(BSN,),
    ),
    # Keys and values the triage questionnaire does not know: refused, never dropped.
    Bad(
        "questionnaire-key-unknown",
        _body(questionnaire_answers={"has_driving_licence": True}),
        "questionnaire_answers.has_driving_licence",
    ),
    Bad(
        "questionnaire-value-not-a-choice",
        _body(questionnaire_answers={"mobility": "rocket"}),
        "questionnaire_answers.mobility",
    ),
    Bad(
        "questionnaire-value-out-of-range",
        _body(questionnaire_answers={"self_efficacy": 9}),
        "questionnaire_answers.self_efficacy",
    ),
    Bad(
        "questionnaire-value-201-chars",
        _body(questionnaire_answers={"notes": "x" * 201}),
        "questionnaire_answers",
    ),
    Bad(
        "questionnaire-value-holds-bsn",
        _body(questionnaire_answers={"notes": f"mijn bsn is {BSN}"}),
        "questionnaire_answers",
        secrets=(BSN,),
    ),
    Bad(
        "questionnaire-value-nested",
        _body(questionnaire_answers={"jobs": ["baker", "driver"]}),
        "questionnaire_answers",
    ),
    Bad(
        "questionnaire-value-null",
        _body(questionnaire_answers={"jobs": None}),
        "questionnaire_answers",
    ),
    Bad(
        "questionnaire-value-huge-number",
        _body(questionnaire_answers={"income": 10**12}),
        "questionnaire_answers",
    ),
    Bad("questionnaire-not-object", _body(questionnaire_answers=["a"]), "questionnaire_answers"),
    Bad(
        "employer-flag-by-claimant",
        _body(registered_by_employer=True),
        "registered_by_employer",
        headers="claimant",
    ),
    Bad(
        "employer-flag-by-agency",
        _body(registered_by_employer=True),
        "registered_by_employer",
        headers="agency",
    ),
    Bad("idempotency-key-empty", _body(), "Idempotency-Key", key=""),
    Bad("idempotency-key-101-chars", _body(), "Idempotency-Key", key="k" * 101),
    Bad("idempotency-key-space", _body(), "Idempotency-Key", key="two words"),
    Bad("idempotency-key-slash", _body(), "Idempotency-Key", key="a/b"),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_invalid_registration_is_422_naming_the_field_and_writes_nothing(
    shared_intake: Intake, case: Bad
) -> None:
    headers = {
        "officer": shared_intake.officer(),
        "claimant": shared_intake.user("claimant", sub="claimant-bad", bsn=BSN),
        "agency": shared_intake.agency(),
    }[case.headers]
    r = shared_intake.register(case.body, headers, key=case.key)
    assert r.status_code == 422, f"{case.id}: {r.status_code} {r.text[:400]}"
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"] == "urn:ww:problem:validation-error"
    named = {e["field"] for e in problem["errors"]}
    assert named == {case.field}, f"{case.id}: {named}"
    for secret in case.secrets:
        assert secret not in r.text, f"{case.id} echoes {secret!r}"
    assert shared_intake.counts() == dict.fromkeys(TABLES, 0), case.id


def test_valid_edge_values_are_accepted(intake: Intake) -> None:
    body = _body(
        given_name="Zoë-Élise",
        family_name="van 't Hoff",
        email="z@example.nl",
        phone="+32 (2) 123 45 67",
        preferred_language="en",
        # Every item of the questionnaire (unknown keys are refused: see BAD).
        questionnaire_answers={**FULL_ANSWERS, "months_since_last_training": 600},
        last_employer=_DROP,
    )
    r = intake.register(body, intake.officer())
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["phone"] == "+3221234567"
    assert claim["family_name"] == "van 't Hoff"
    assert claim["last_employer"] is None
    assert claim["questionnaire_answers"] == {**FULL_ANSWERS, "months_since_last_training": 600}


# --- idempotency ---------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_response(intake: Intake) -> None:
    first = intake.register(_body(), intake.officer(), key="reg-2026-0001")
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # The same request, written differently (separators, postcode case, key order).
    same = dict(reversed(list(_body(bsn="111.222.333", postcode="1011ab").items())))
    for body in (_body(), same):
        again = intake.register(body, intake.officer(), key="reg-2026-0001")
        assert again.status_code == 201, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["location"] == first.headers["location"]
        assert again.content == first.content
    assert intake.counts() == {"claims": 1, "outbox": 1, "audit_log": 3, "idempotency_keys": 1}
    actions = [a for (a,) in intake.sql("SELECT action FROM audit_log ORDER BY occurred_at")]
    assert actions == ["claim.register", "claim.register_replayed", "claim.register_replayed"]
    (stored,) = intake.sql("SELECT response_body, request_hash FROM idempotency_keys")
    assert BSN not in stored[0]
    assert "******333" in stored[0]


def test_same_key_with_another_body_is_422_and_writes_nothing(intake: Intake) -> None:
    assert intake.register(_body(), intake.officer(), key="k-1").status_code == 201
    before = intake.counts()
    for changed in (_body(phone="0201234567"), _body(bsn=OTHER_BSN), _body(email=_DROP)):
        r = intake.register(changed, intake.officer(), key="k-1")
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["type"] == "urn:ww:problem:idempotency-key-reuse"
        assert BSN not in r.text
        assert OTHER_BSN not in r.text
    assert intake.counts() == before


def test_twenty_concurrent_requests_with_one_key_create_one_claim(intake: Intake) -> None:
    """The key's primary key decides: every loser replays the winner's 201 (PostgreSQL
    reports the unique violation only once the winner committed, so there is always a
    response to replay; `idempotency-key-in-progress` cannot happen here)."""
    n = 20
    headers = {**intake.officer(), "Idempotency-Key": "burst-1"}
    # Over HTTP, every request on its own connection, all released by one barrier.
    with serve(intake.client.app) as base:
        results = requests_on_barrier(
            base, [("POST", "/v1/claims", {"json": _body(), "headers": headers})] * n
        )
    assert [r.status_code for r in results] == [201] * n, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert len({r.headers["location"] for r in results}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in results) == 1
    assert intake.counts() == {"claims": 1, "outbox": 1, "audit_log": n, "idempotency_keys": 1}


def test_keys_are_private_to_each_caller(intake: Intake) -> None:
    a = intake.register(_body(), intake.officer("officer-a"), key="shared-key")
    b = intake.register(_body(bsn=OTHER_BSN), intake.officer("officer-b"), key="shared-key")
    c = intake.register(_body(bsn=THIRD_BSN), intake.agency("agency-x"), key="shared-key")
    assert [r.status_code for r in (a, b, c)] == [201, 201, 201]
    assert len({r.json()["id"] for r in (a, b, c)}) == 3
    # Another caller sending A's exact request with A's key gets no replay of A's answer.
    d = intake.register(_body(), intake.officer("officer-d"), key="shared-key")
    assert d.status_code == 409
    assert "Annemarie" not in d.text
    assert d.json()["existing_claim_id"] == a.json()["id"]
    assert intake.counts()["idempotency_keys"] == 3


def test_an_expired_key_is_treated_as_new(intake: Intake) -> None:
    first = intake.register(_body(), intake.officer(), key="old-key")
    assert first.status_code == 201
    intake.sql("UPDATE idempotency_keys SET created_at = created_at - make_interval(hours => 25)")
    # Reusing the key with another body would be 422 within 24 h; now it is a new request.
    second = intake.register(_body(bsn=OTHER_BSN), intake.officer(), key="old-key")
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    rows = intake.sql("SELECT response_location FROM idempotency_keys")
    assert [r[0] for r in rows] == [second.headers["location"]]
    # Once expired, the first request itself is no longer replayed: the BSN's open claim
    # decides (409), and nothing is written.
    intake.sql("UPDATE idempotency_keys SET created_at = created_at - make_interval(hours => 25)")
    before = intake.counts()
    again = intake.register(_body(), intake.officer(), key="old-key")
    assert again.status_code == 409
    assert again.json()["existing_claim_id"] == first.json()["id"]
    assert intake.counts() == before


def test_keys_are_stored_as_a_keyed_hash_and_replay_still_works(intake: Intake) -> None:
    """Issue 13 item 7: a caller may put a BSN in its key; the table never holds it."""
    key = f"reg-{BSN}"
    first = intake.register(_body(), intake.officer(), key=key)
    assert first.status_code == 201, first.text
    ((stored,),) = intake.sql("SELECT key FROM idempotency_keys")
    assert stored == intake.container.idempotency_keys.digest(key)
    assert BSN not in stored
    assert len(stored) == 64
    dump = " ".join(str(v) for row in intake.sql("SELECT * FROM idempotency_keys") for v in row)
    assert key not in dump
    assert BSN not in dump
    again = intake.register(_body(), intake.officer(), key=key)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert intake.register(_body(phone="0201234567"), intake.officer(), key=key).status_code == 422


def test_the_ttl_is_configurable_and_expired_keys_can_be_purged(
    pg: PgDatabases, tmp_path: Path
) -> None:
    intake = _intake(pg, tmp_path / "state", idempotency_key_ttl_hours=1)
    try:
        assert intake.register(_body(), intake.officer(), key="a").status_code == 201
        assert intake.register(_body(bsn=OTHER_BSN), intake.officer(), key="b").status_code == 201
        intake.sql(
            "UPDATE idempotency_keys SET created_at = created_at - make_interval(mins => 61) "
            "WHERE key = :k",
            k=intake.container.idempotency_keys.digest("a"),
        )
        r = intake.register(_body(bsn=THIRD_BSN), intake.officer(), key="a")
        assert r.status_code == 201, r.text  # 61 minutes > the 1 h TTL: a new request
        intake.sql(
            "UPDATE idempotency_keys SET created_at = created_at - make_interval(mins => 61) "
            "WHERE key = :k",
            k=intake.container.idempotency_keys.digest("b"),
        )
        with intake.container.uow() as uow:
            purged = service.purge_idempotency_keys(
                uow=uow, now=dt.datetime.now(dt.UTC), ttl=dt.timedelta(hours=1)
            )
        assert purged == 1
        assert [k for (k,) in intake.sql("SELECT key FROM idempotency_keys")] == [
            intake.container.idempotency_keys.digest("a")
        ]
    finally:
        intake.container.stop()


def test_open_claim_exists_points_to_the_existing_claim_with_or_without_a_key(
    intake: Intake,
) -> None:
    first = intake.register(_body(), intake.officer("officer-first"), key="mine")
    assert first.status_code == 201
    before = intake.counts()
    for key in (None, "staff-key", "staff-key"):
        r = intake.register(_body(bsn="111 222 333"), intake.officer(), key=key)
        assert r.status_code == 409, r.text
        problem = r.json()
        assert problem["type"] == "urn:ww:problem:open-claim-exists"
        assert problem["existing_claim_id"] == first.json()["id"]
        assert BSN not in r.text
    # A rejected request stores no idempotent response: it wrote nothing to replay.
    assert intake.counts() == before


# --- listing for staff ---------------------------------------------------------------------

_CLAIMS = [
    # bsn, family name, postcode (office), channel headers, first WW day offset, hours ago
    ("111222333", "de Vries", "1011 AB", "officer", -10, 50),
    ("123456782", "De Jong", "1055 GH", "claimant", -5, 30),
    ("100000009", "Jansen", "3011 CD", "agency", 0, 20),
    ("100000010", "van Dijk", "3011 CD", "employer", 5, 10),
    ("100000022", "Dijkstra", "1011 AB", "officer", 1, 1),
]


@pytest.fixture
def listed(intake: Intake) -> tuple[Intake, dict[str, str]]:
    """Five claims in AMS and RTD, one per channel, with distinct dates; name -> id."""
    ids: dict[str, str] = {}
    for bsn, family, postcode, who, day, hours_ago in _CLAIMS:
        headers = {
            "officer": intake.officer(),
            "employer": intake.officer(),
            "claimant": intake.user("claimant", sub=f"claimant-{bsn}", bsn=bsn),
            "agency": intake.agency(),
        }[who]
        body = _body(
            bsn=bsn,
            family_name=family,
            postcode=postcode,
            first_ww_day=(TODAY + dt.timedelta(days=day)).isoformat(),
            registered_by_employer=who == "employer",
        )
        r = intake.register(body, headers)
        assert r.status_code == 201, r.text
        ids[family] = r.json()["id"]
        intake.sql(
            "UPDATE claims SET registered_at = now() - make_interval(hours => :h) WHERE id = :id",
            h=hours_ago,
            id=uuid.UUID(ids[family]),
        )
    intake.sql("UPDATE claims SET status = 'closed' WHERE id = :id", id=uuid.UUID(ids["Jansen"]))
    return intake, ids


def _names(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [c["family_name"] for c in r.json()["items"]]


def test_list_filters_and_sorting(listed: tuple[Intake, dict[str, str]]) -> None:
    intake, _ = listed
    staff = intake.officer()

    def get(**params: Any) -> httpx.Response:
        return intake.client.get("/v1/claims", params=params, headers=staff)

    # (names chosen so that C and linguistic collations sort them alike)
    by_name = ["De Jong", "de Vries", "Dijkstra", "Jansen", "van Dijk"]
    assert _names(get(sort="family_name")) == by_name
    assert _names(get(sort="-family_name")) == by_name[::-1]
    assert _names(get()) == ["Dijkstra", "van Dijk", "Jansen", "De Jong", "de Vries"]  # newest
    assert _names(get(office_code="RTD", sort="family_name")) == ["Jansen", "van Dijk"]
    assert _names(get(status="closed")) == ["Jansen"]
    assert len(_names(get(status="open"))) == 4
    assert _names(get(channel="employer")) == ["van Dijk"]
    assert _names(get(channel="claimant")) == ["De Jong"]
    assert _names(get(channel="temp_agency")) == ["Jansen"]
    assert _names(get(channel="staff", sort="family_name")) == ["de Vries", "Dijkstra"]
    # Case-insensitive prefix; LIKE wildcards in the input are literal.
    assert _names(get(family_name="DE", sort="family_name")) == ["De Jong", "de Vries"]
    assert _names(get(family_name="d", sort="family_name")) == ["De Jong", "de Vries", "Dijkstra"]
    assert _names(get(family_name="de v")) == ["de Vries"]
    assert _names(get(family_name="%")) == []
    assert _names(get(family_name="d_")) == []
    assert _names(get(family_name="Vries")) == []  # a prefix, not a substring
    first_ww = (TODAY - dt.timedelta(days=5)).isoformat()
    last_ww = TODAY.isoformat()
    assert _names(
        get(first_ww_day_from=first_ww, first_ww_day_to=last_ww, sort="first_ww_day")
    ) == [
        "De Jong",
        "Jansen",
    ]
    now = dt.datetime.now(dt.UTC)
    window = {
        "registered_from": (now - dt.timedelta(hours=35)).isoformat(),
        "registered_to": (now - dt.timedelta(hours=5)).isoformat(),
        "sort": "registered_at",
    }
    assert _names(get(**window)) == ["De Jong", "Jansen", "van Dijk"]
    page = get(sort="family_name", limit=2, offset=1).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [c["family_name"] for c in page["items"]] == ["de Vries", "Dijkstra"]
    combined = get(office_code="AMS", status="open", family_name="d", sort="-family_name")
    assert _names(combined) == ["Dijkstra", "de Vries", "De Jong"]


def test_list_by_ids_is_one_call_for_a_page_of_names(
    listed: tuple[Intake, dict[str, str]],
) -> None:
    """`id` (repeated) narrows the list to those claims, within the caller's scope: the web's
    caseload gets the names of a page of cases in one call."""
    intake, ids = listed
    wanted = [ids["Jansen"], ids["de Vries"], str(uuid.uuid4())]  # an unknown id is no error
    r = intake.client.get(
        "/v1/claims", params={"id": wanted, "sort": "family_name"}, headers=intake.officer()
    )
    assert _names(r) == ["de Vries", "Jansen"]
    assert r.json()["total"] == 2
    # Need to know still applies: an AMS coach sees the AMS claim only.
    coach = intake.user("coach", sub="coach-ids", office="AMS")
    assert _names(intake.client.get("/v1/claims", params={"id": wanted}, headers=coach)) == [
        "de Vries"
    ]
    too_many = [str(uuid.uuid4()) for _ in range(201)]
    bad = intake.client.get("/v1/claims", params={"id": too_many}, headers=intake.officer())
    assert bad.status_code == 422, bad.text
    assert {e["field"] for e in bad.json()["errors"]} == {"id"}
    bad = intake.client.get("/v1/claims", params={"id": "not-a-uuid"}, headers=intake.officer())
    assert bad.status_code == 422, bad.text


def test_list_audit_names_the_filters_but_not_their_values(
    listed: tuple[Intake, dict[str, str]],
) -> None:
    intake, _ = listed
    r = intake.client.get(
        "/v1/claims", params={"family_name": "Oudsh", "channel": "staff"}, headers=intake.officer()
    )
    assert r.status_code == 200
    (row,) = intake.sql(
        "SELECT CAST(new_values AS TEXT) FROM audit_log WHERE action = 'claim.list'"
    )
    assert json.loads(row[0]) == {"filters": ["channel", "family_name"]}
    assert "Oudsh" not in row[0]


def test_team_lead_with_an_office_sees_only_that_office(
    listed: tuple[Intake, dict[str, str]],
) -> None:
    intake, ids = listed
    ams_lead = intake.user("team_lead", sub="lead-ams", office="AMS")
    rtd_lead = intake.user("team_lead", sub="lead-rtd", office="RTD")
    r = intake.client.get("/v1/claims", params={"sort": "family_name"}, headers=ams_lead)
    assert _names(r) == ["De Jong", "de Vries", "Dijkstra"]
    assert r.json()["total"] == 3
    assert _names(intake.client.get("/v1/claims", headers=rtd_lead)) == ["van Dijk", "Jansen"]
    same = intake.client.get("/v1/claims", params={"office_code": "AMS"}, headers=ams_lead)
    assert len(_names(same)) == 3
    before = intake.counts()
    other = intake.client.get("/v1/claims", params={"office_code": "RTD"}, headers=ams_lead)
    assert other.status_code == 403
    assert other.json()["type"] == "urn:ww:problem:forbidden"
    # Reading or searching another office's claim looks like a claim that does not exist.
    assert intake.client.get(f"/v1/claims/{ids['Jansen']}", headers=ams_lead).status_code == 404
    hits = intake.client.post("/v1/claims/search", json={"bsn": "100000009"}, headers=ams_lead)
    assert hits.status_code == 200
    assert hits.json() == []
    assert intake.counts()["audit_log"] == before["audit_log"] + 1  # the (empty) search
    assert intake.client.get(f"/v1/claims/{ids['Jansen']}", headers=rtd_lead).status_code == 200
    found = intake.client.post("/v1/claims/search", json={"bsn": "100000009"}, headers=rtd_lead)
    assert [c["id"] for c in found.json()] == [ids["Jansen"]]
    # Need to know (ADR 0022): a team lead whose token names no office is refused; a coach
    # sees their roster office's claims (and their caseload's); national roles every office.
    nowhere = intake.client.get("/v1/claims", headers=intake.user("team_lead", sub="lead-none"))
    assert nowhere.status_code == 403
    assert nowhere.json()["type"] == "urn:ww:problem:team-lead-without-office"
    coach = intake.user("coach", sub="coach-1", office="AMS")
    assert intake.client.get("/v1/claims", headers=coach).json()["total"] == 3
    for headers in (
        intake.user("admin", sub="admin-1", office="AMS"),
        intake.user("team_lead", "benefits_officer", sub="lead-officer", office="AMS"),
    ):
        assert intake.client.get("/v1/claims", headers=headers).json()["total"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"registered_from": "2026-11-27T10:00:00"},  # no offset
        {"registered_to": "yesterday"},
        {"channel": "fax"},
        {"sort": "bsn"},
        {"family_name": ""},
        {"family_name": "x" * 101},
        {"status": "pending"},
    ],
    ids=lambda p: next(iter(p)) + "=" + str(next(iter(p.values())))[:12],
)
def test_bad_list_parameters_are_422_and_write_nothing(
    shared_intake: Intake, params: dict[str, str]
) -> None:
    r = shared_intake.client.get("/v1/claims", params=params, headers=shared_intake.officer())
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == set(params)
    assert shared_intake.counts() == dict.fromkeys(TABLES, 0)


# --- registration is no BSN oracle (issue 13 item 3, ADR 0025) ---------------------------------

STANDARD_MEMBERS = {"type", "title", "status", "detail", "instance"}


def test_a_claimant_registers_the_bsn_of_their_sign_in(intake: Intake) -> None:
    me = intake.user("claimant", sub="claimant-own", bsn=BSN)
    r = intake.register(_body(bsn=_DROP), me)  # the body need not repeat it
    assert r.status_code == 201, r.text
    assert r.json()["bsn_masked"] == "******333"
    ((stored,),) = intake.sql("SELECT bsn_hash FROM claims")
    assert stored == intake.container.bsn.lookup_hash(BSN)
    # The same BSN in another accepted form is the own BSN.
    other = intake.user("claimant", sub="claimant-own-2", bsn=OTHER_BSN)
    assert intake.register(_body(bsn="123 456 782"), other).status_code == 201


def test_a_claimant_may_not_register_another_persons_bsn(intake: Intake) -> None:
    """Before: any claimant token registered any BSN, and could so lock a stranger out."""
    me = intake.user("claimant", sub="claimant-mallory", bsn=BSN)
    r = intake.register(_body(bsn=OTHER_BSN), me, key="grab-1")
    assert r.status_code == 403, r.text
    problem = r.json()
    assert problem["type"] == "urn:ww:problem:not-own-bsn"
    assert [e["field"] for e in problem["errors"]] == ["bsn"]
    assert OTHER_BSN not in r.text
    assert BSN not in r.text
    assert intake.counts() == {"claims": 0, "outbox": 0, "audit_log": 1, "idempotency_keys": 0}
    ((action, actor, values),) = intake.sql("SELECT action, actor, new_values FROM audit_log")
    assert (action, actor) == ("claim.register_refused", "claimant-mallory")
    assert values == {"reason": "not_own_bsn", "channel": "claimant"}
    # The stranger can still register their own claim.
    stranger = intake.user("claimant", sub="claimant-stranger", bsn=OTHER_BSN)
    assert intake.register(_body(bsn=_DROP), stranger).status_code == 201


@pytest.mark.parametrize("bsn_claim", [None, "123456789", 123456782])
def test_a_claimant_token_without_a_valid_bsn_may_not_register(
    intake: Intake, bsn_claim: object
) -> None:
    claims = {"bsn": bsn_claim} if bsn_claim is not None else {}
    headers = intake.tokens.signed_in(intake.user("claimant", sub="claimant-nobsn"), "111222333")
    # Re-mint with exactly the claim under test (or none).
    token = headers["Authorization"].split(" ", 1)[1]
    payload = {
        k: v
        for k, v in jwt.decode(token, options={"verify_signature": False}).items()
        if k != "bsn"
    }
    headers = {
        "Authorization": "Bearer " + jwt.encode({**payload, **claims}, intake.tokens.key, "ES256")
    }
    r = intake.register(_body(), headers)
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "urn:ww:problem:forbidden"
    assert "123456789" not in r.text
    assert intake.counts()["claims"] == 0


def test_a_409_to_a_claimant_or_partner_reveals_nothing_about_the_claim(intake: Intake) -> None:
    first = intake.register(_body(), intake.officer())
    assert first.status_code == 201
    claim_id = first.json()["id"]
    answers = {
        "agency": intake.register(_body(), intake.agency()),
        "claimant": intake.register(
            _body(bsn=_DROP), intake.user("claimant", sub="claimant-late", bsn=BSN)
        ),
    }
    shapes = set()
    for who, r in answers.items():
        assert r.status_code == 409, (who, r.text)
        problem = r.json()
        assert problem["type"] == "urn:ww:problem:open-claim-exists", who
        assert set(problem) == STANDARD_MEMBERS, who  # no existing_claim_id, nothing extra
        assert claim_id not in r.text, who
        assert "Annemarie" not in r.text, who
        assert BSN not in r.text, who
        shapes.add((problem["title"], problem["detail"]))
    assert len(shapes) == 1  # the same answer whoever asks
    # Staff keep the pointer to the existing claim.
    staff = intake.register(_body(), intake.officer("officer-2"))
    assert staff.json()["existing_claim_id"] == claim_id
    refused = intake.sql(
        "SELECT actor, resource_id, new_values FROM audit_log "
        "WHERE action = 'claim.register_refused' ORDER BY occurred_at"
    )
    assert [(a, rid) for a, rid, _ in refused] == [
        ("agency-randstad", claim_id),
        ("claimant-late", claim_id),
    ]
    assert all(v["reason"] == "open_claim_exists" for _, _, v in refused)


def test_repeated_refusals_are_rate_limited_and_audited(pg: PgDatabases, tmp_path: Path) -> None:
    intake = _intake(
        pg,
        tmp_path / "state",
        registration_refusals_per_window=3,
        registration_refusal_window_minutes=10,
    )
    try:
        assert intake.register(_body(), intake.officer()).status_code == 201
        prober = intake.agency("agency-prober")
        assert [intake.register(_body(), prober).status_code for _ in range(3)] == [409] * 3
        r = intake.register(_body(), prober)
        assert r.status_code == 429, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"] == "urn:ww:problem:rate-limited"
        assert 1 <= int(r.headers["retry-after"]) <= 10 * 60 + 1
        # Throttled means throttled: also a request that would succeed waits.
        assert intake.register(_body(bsn=OTHER_BSN), prober).status_code == 429
        # Others are not affected: another agency, a claimant, staff.
        assert intake.register(_body(), intake.agency("agency-other")).status_code == 409
        assert (
            intake.register(_body(bsn=OTHER_BSN), intake.agency("agency-other")).status_code == 201
        )
        for _ in range(4):
            assert intake.register(_body(), intake.officer()).status_code == 409
        actions = intake.sql(
            "SELECT action, count(*) FROM audit_log WHERE actor = 'agency-prober' GROUP BY action"
        )
        assert dict(actions) == {"claim.register_refused": 3, "claim.register_throttled": 2}
        assert intake.counts()["claims"] == 2
        # A claimant's refusals count the same way.
        mallory = intake.user("claimant", sub="claimant-mallory", bsn=THIRD_BSN)
        statuses = [intake.register(_body(bsn=BSN), mallory).status_code for _ in range(4)]
        assert statuses == [403, 403, 403, 429]
    finally:
        intake.container.stop()
