"""Partner clients on PostgreSQL: admin API, the OAuth2 token endpoint, secret rotation,
suspension, 401 vs 403, and the per-client rate limit (time is injected, never slept)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from coaching.partner.access import RATE_WINDOW_S
from coaching.partner.clients.service import ClientLimits, client_limits
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from shared.web.auth import principal_from_claims
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TOKEN = "/partner/v1/oauth/token"
PROBE = "/partner/v1/vacancies"  # a partner endpoint needing vacancies:write
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Partner:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    now: dt.datetime | None = None
    created: list[str] = field(default_factory=list)

    def admin(self) -> dict[str, str]:
        return Tokens.header(self.tokens.user("admin", sub="admin-1"))

    def register(
        self, scopes: tuple[str, ...] = ("vacancies:write",), **extra: Any
    ) -> tuple[str, str]:
        body = {"name": "Uitzendbureau Snel", "scopes": list(scopes), **extra}
        r = self.client.post("/v1/partner-clients", json=body, headers=self.admin())
        assert r.status_code == 201, r.text
        data = r.json()
        self.created.append(data["client_secret"])
        return data["client_id"], data["client_secret"]

    def token_response(self, client_id: str, secret: str, **form: str) -> Any:
        data = {"grant_type": "client_credentials", "client_id": client_id}
        data["client_secret"] = secret
        data.update(form)
        return self.client.post(TOKEN, data=data, headers=FORM)

    def token(self, client_id: str, secret: str, **form: str) -> str:
        r = self.token_response(client_id, secret, **form)
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    def bearer(self, client_id: str, secret: str, **form: str) -> dict[str, str]:
        return Tokens.header(self.token(client_id, secret, **form))

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.container.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]


@pytest.fixture(scope="module")
def module_partner(pg: PgDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Partner]:
    state_dir: Path = tmp_path_factory.mktemp("partner")
    coaching = build_container(
        "coaching",
        broker=EmbeddedBroker(),
        database_url=pg.create("coaching"),
        transport="embedded",
        state_dir=state_dir,
        log_level="WARNING",
    )
    p = Partner(
        coaching,
        TestClient(build_app(coaching, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
    )
    coaching.state["partner_clock"] = lambda: p.now or dt.datetime.now(dt.UTC)
    yield p
    coaching.stop()


@pytest.fixture
def partner(module_partner: Partner) -> Iterator[Partner]:
    """The shared app with the real clock; tests that move time restore it."""
    module_partner.now = None
    yield module_partner
    module_partner.now = None


# --- admin API -------------------------------------------------------------------------------


def test_create_returns_the_secret_once_and_stores_only_a_hash(partner: Partner) -> None:
    r = partner.client.post(
        "/v1/partner-clients",
        json={"name": "Flex BV", "scopes": ["vacancies:write", "candidates:read"]},
        headers=partner.admin(),
    )
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    created = r.json()
    client_id, secret = created["client_id"], created["client_secret"]
    assert client_id.startswith("pc_")
    assert secret.startswith("pcs_")
    assert len(secret) > 40
    assert r.headers["location"] == f"/v1/partner-clients/{client_id}"
    assert created["scopes"] == ["candidates:read", "vacancies:write"]
    assert created["requests_per_minute"] == 120
    assert created["daily_profile_cap"] == 200
    assert created["status"] == "active"

    got = partner.client.get(f"/v1/partner-clients/{client_id}", headers=partner.admin())
    assert got.status_code == 200
    assert "client_secret" not in got.json()
    assert secret not in got.text
    assert "hash" not in got.text

    [row] = partner.rows(
        "SELECT secret_hash FROM partner_clients WHERE client_id = :c", c=client_id
    )
    assert secret not in row["secret_hash"]
    assert row["secret_hash"].startswith("scrypt$")


def test_list_get_patch_and_limits(partner: Partner) -> None:
    client_id, _ = partner.register(requests_per_minute=30, daily_profile_cap=5)
    r = partner.client.get(
        "/v1/partner-clients", params={"limit": 1, "offset": 0}, headers=partner.admin()
    )
    assert r.status_code == 200
    page = r.json()
    assert page["limit"] == 1
    assert len(page["items"]) == 1
    assert page["total"] >= 1
    assert all("client_secret" not in item for item in page["items"])

    r = partner.client.patch(
        f"/v1/partner-clients/{client_id}",
        json={"name": "Snel Uitzenden", "daily_profile_cap": 50, "scopes": ["placements:write"]},
        headers=partner.admin(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Snel Uitzenden"
    assert r.json()["scopes"] == ["placements:write"]
    with partner.container.session_factory() as s:
        assert client_limits(s, client_id) == ClientLimits(
            requests_per_minute=30, daily_profile_cap=50
        )
        assert client_limits(s, "pc_nobody") is None

    assert (
        partner.client.get("/v1/partner-clients/pc_nobody", headers=partner.admin()).status_code
        == 404
    )
    bad = partner.client.patch(
        f"/v1/partner-clients/{client_id}", json={"scopes": ["root"]}, headers=partner.admin()
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/partner-clients", {"name": "X BV", "scopes": ["vacancies:write"]}),
        ("GET", "/v1/partner-clients", None),
        ("GET", "/v1/partner-clients/{id}", None),
        ("PATCH", "/v1/partner-clients/{id}", {"name": "Y BV"}),
        ("POST", "/v1/partner-clients/{id}/rotate-secret", {}),
        ("POST", "/v1/partner-clients/{id}/suspend", {"reason": "scraping"}),
        ("POST", "/v1/partner-clients/{id}/resume", None),
    ],
)
def test_client_management_is_admin_only(
    partner: Partner, method: str, path: str, body: dict[str, Any] | None
) -> None:
    client_id, secret = partner.register()
    url = path.format(id=client_id)
    assert partner.client.request(method, url, json=body).status_code == 401
    for role in ("coach", "team_lead", "claimant", "benefits_officer", "triage_analyst"):
        headers = Tokens.header(partner.tokens.user(role, office="AMS"))
        assert partner.client.request(method, url, json=body, headers=headers).status_code == 403
    app_headers = partner.bearer(client_id, secret)
    assert partner.client.request(method, url, json=body, headers=app_headers).status_code == 403


# --- the token endpoint ----------------------------------------------------------------------


def test_token_happy_path_maps_to_an_application_principal(partner: Partner) -> None:
    client_id, secret = partner.register(("vacancies:write", "placements:write"))
    r = partner.token_response(client_id, secret)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["scope"] == "placements:write vacancies:write"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    principal = principal_from_claims(claims)
    assert principal.kind == "application"
    assert principal.client_id == client_id
    assert principal.scopes == {"vacancies:write", "placements:write"}
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert partner.client.get(PROBE, headers=Tokens.header(body["access_token"])).status_code == 200

    # A subset of the scopes, and HTTP Basic authentication (RFC 6749 2.3.1).
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    r = partner.client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "placements:write"},
        headers={**FORM, "Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "placements:write"
    # The narrower token does not carry vacancies:write.
    narrow = Tokens.header(r.json()["access_token"])
    assert partner.client.get(PROBE, headers=narrow).status_code == 403


def _oauth_error(r: Any, status: int, error: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == error
    assert r.headers["cache-control"] == "no-store"


def test_token_errors_follow_rfc6749(partner: Partner) -> None:
    client_id, secret = partner.register(("vacancies:write",))
    _oauth_error(
        partner.client.post(TOKEN, data={"client_id": client_id}, headers=FORM),
        400,
        "invalid_request",
    )
    _oauth_error(
        partner.token_response(client_id, secret, grant_type="password"),
        400,
        "unsupported_grant_type",
    )
    wrong = partner.token_response(client_id, secret + "x")
    _oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    _oauth_error(partner.token_response("pc_unknown", secret), 401, "invalid_client")
    _oauth_error(
        partner.client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=FORM),
        401,
        "invalid_client",
    )
    _oauth_error(
        partner.token_response(client_id, secret, scope="vacancies:write candidates:read"),
        400,
        "invalid_scope",
    )
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    _oauth_error(
        partner.client.post(
            TOKEN,
            data={"grant_type": "client_credentials", "client_id": client_id},
            headers={**FORM, "Authorization": f"Basic {basic}"},
        ),
        400,
        "invalid_request",
    )
    _oauth_error(
        partner.client.post(
            TOKEN,
            json={"grant_type": "client_credentials", "client_id": client_id},
        ),
        400,
        "invalid_request",
    )
    _oauth_error(
        partner.client.post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            headers={**FORM, "Authorization": "Basic !!!"},
        ),
        401,
        "invalid_client",
    )
    partner.client.post(
        f"/v1/partner-clients/{client_id}/suspend",
        json={"reason": "contract ended"},
        headers=partner.admin(),
    )
    _oauth_error(partner.token_response(client_id, secret), 400, "invalid_grant")


# --- rotation --------------------------------------------------------------------------------


def test_rotation_overlap_window(partner: Partner) -> None:
    client_id, old = partner.register()
    t0 = dt.datetime.now(dt.UTC)
    partner.now = t0
    r = partner.client.post(
        f"/v1/partner-clients/{client_id}/rotate-secret",
        json={"overlap_hours": 2},
        headers=partner.admin(),
    )
    assert r.status_code == 200, r.text
    new = r.json()["client_secret"]
    assert new != old
    partner.created.append(new)
    assert dt.datetime.fromisoformat(r.json()["previous_secret_expires_at"]) == t0 + dt.timedelta(
        hours=2
    )

    partner.now = t0 + dt.timedelta(hours=1, minutes=59)
    assert partner.token_response(client_id, old).status_code == 200
    assert partner.token_response(client_id, new).status_code == 200
    partner.now = t0 + dt.timedelta(hours=2)
    assert partner.token_response(client_id, old).json()["error"] == "invalid_client"
    assert partner.token_response(client_id, new).status_code == 200

    # Default overlap (24 h); a second rotation ends the oldest secret at once.
    partner.now = t0
    r = partner.client.post(
        f"/v1/partner-clients/{client_id}/rotate-secret", headers=partner.admin()
    )
    newest = r.json()["client_secret"]
    partner.created.append(newest)
    partner.now = t0 + dt.timedelta(hours=23)
    assert partner.token_response(client_id, new).status_code == 200
    assert partner.token_response(client_id, old).status_code == 401
    partner.now = t0 + dt.timedelta(hours=24)
    assert partner.token_response(client_id, new).status_code == 401
    assert partner.token_response(client_id, newest).status_code == 200


def test_rotation_without_overlap_and_limits(partner: Partner) -> None:
    client_id, old = partner.register()
    r = partner.client.post(
        f"/v1/partner-clients/{client_id}/rotate-secret",
        json={"overlap_hours": 0},
        headers=partner.admin(),
    )
    assert r.status_code == 200
    partner.created.append(r.json()["client_secret"])
    assert r.json()["previous_secret_expires_at"] is None
    assert partner.token_response(client_id, old).status_code == 401
    too_long = partner.client.post(
        f"/v1/partner-clients/{client_id}/rotate-secret",
        json={"overlap_hours": 169},
        headers=partner.admin(),
    )
    assert too_long.status_code == 422
    missing = partner.client.post(
        "/v1/partner-clients/pc_nobody/rotate-secret", json={}, headers=partner.admin()
    )
    assert missing.status_code == 404


# --- partner_access: suspension, 401 vs 403 ---------------------------------------------------


def test_suspension_takes_effect_on_the_next_request(partner: Partner) -> None:
    client_id, secret = partner.register()
    headers = partner.bearer(client_id, secret)
    assert partner.client.get(PROBE, headers=headers).status_code == 200

    r = partner.client.post(
        f"/v1/partner-clients/{client_id}/suspend",
        json={"reason": "suspected scraping"},
        headers=partner.admin(),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "suspended"
    refused = partner.client.get(PROBE, headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "suspended" in refused.json()["detail"]
    again = partner.client.post(
        f"/v1/partner-clients/{client_id}/suspend",
        json={"reason": "twice"},
        headers=partner.admin(),
    )
    assert again.status_code == 409

    listed = partner.client.get(
        "/v1/partner-clients", params={"status": "suspended", "limit": 200}, headers=partner.admin()
    )
    assert client_id in {c["client_id"] for c in listed.json()["items"]}

    r = partner.client.post(f"/v1/partner-clients/{client_id}/resume", headers=partner.admin())
    assert r.status_code == 200
    assert r.json()["status"] == "active"
    assert partner.client.get(PROBE, headers=headers).status_code == 200
    assert (
        partner.client.post(
            f"/v1/partner-clients/{client_id}/resume", headers=partner.admin()
        ).status_code
        == 409
    )


def test_401_for_bad_tokens_403_for_a_missing_scope(partner: Partner) -> None:
    none = partner.client.get(PROBE)
    assert none.status_code == 401
    assert none.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert none.headers["content-type"] == "application/problem+json"
    for token in (partner.tokens.expired(), partner.tokens.bad_signature(), "not-a-jwt"):
        r = partner.client.get(PROBE, headers=Tokens.header(token))
        assert r.status_code == 401, token
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
    # A well-signed token of a client id that is not registered: 401, fetch a new token.
    ghost = partner.client.get(
        PROBE, headers=Tokens.header(partner.tokens.app("pc_ghost", "vacancies:write"))
    )
    assert ghost.status_code == 401

    client_id, secret = partner.register(("placements:write",))
    r = partner.client.get(PROBE, headers=partner.bearer(client_id, secret))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:ww:problem:forbidden"
    assert "vacancies:write" in r.json()["detail"]
    assert (
        r.headers["www-authenticate"]
        == 'Bearer error="insufficient_scope", scope="vacancies:write"'
    )
    # A person's token (even an admin's) is not a partner application.
    staff = partner.client.get(PROBE, headers=partner.admin())
    assert staff.status_code == 403


def test_a_scope_removed_by_an_admin_stops_working_with_existing_tokens(partner: Partner) -> None:
    client_id, secret = partner.register(("vacancies:write", "placements:write"))
    headers = partner.bearer(client_id, secret)
    assert partner.client.get(PROBE, headers=headers).status_code == 200
    partner.client.patch(
        f"/v1/partner-clients/{client_id}",
        json={"scopes": ["placements:write"]},
        headers=partner.admin(),
    )
    assert partner.client.get(PROBE, headers=headers).status_code == 403


# --- rate limit ------------------------------------------------------------------------------


def test_rate_limit_429_with_retry_after_and_recovery(partner: Partner) -> None:
    client_id, secret = partner.register(requests_per_minute=3)
    headers = partner.bearer(client_id, secret)  # minted at the real time
    real = dt.datetime.now(dt.UTC)
    start = real.replace(second=0, microsecond=0) + dt.timedelta(minutes=5)
    partner.now = start + dt.timedelta(seconds=10)
    for _ in range(3):
        assert partner.client.get(PROBE, headers=headers).status_code == 200
    limited = partner.client.get(PROBE, headers=headers)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "50"
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["type"] == "urn:ww:problem:rate-limited"
    partner.now = start + dt.timedelta(seconds=59, microseconds=500_000)
    assert partner.client.get(PROBE, headers=headers).headers["retry-after"] == "1"

    partner.now = start + dt.timedelta(seconds=RATE_WINDOW_S)
    assert partner.client.get(PROBE, headers=headers).status_code == 200
    windows = partner.rows(
        "SELECT window_start, hits FROM partner_rate_windows WHERE client_id = :c", c=client_id
    )
    # The first request of the new window purged the old one.
    assert windows == [{"window_start": int(partner.now.timestamp()), "hits": 1}]

    # Another client is not affected by this one's limit.
    partner.now = None  # tokens are minted at the real time
    other_id, other_secret = partner.register(requests_per_minute=3)
    other = partner.bearer(other_id, other_secret)
    partner.now = start + dt.timedelta(seconds=10)
    assert partner.client.get(PROBE, headers=other).status_code == 200


def test_raising_the_limit_applies_at_once(partner: Partner) -> None:
    client_id, secret = partner.register(requests_per_minute=1)
    headers = partner.bearer(client_id, secret)
    partner.now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(
        minutes=30
    )
    assert partner.client.get(PROBE, headers=headers).status_code == 200
    assert partner.client.get(PROBE, headers=headers).status_code == 429
    partner.client.patch(
        f"/v1/partner-clients/{client_id}",
        json={"requests_per_minute": 10},
        headers=partner.admin(),
    )
    assert partner.client.get(PROBE, headers=headers).status_code == 200


# --- audit and logs --------------------------------------------------------------------------


def test_audited_without_secrets_in_audit_rows_or_logs(
    pg: PgDatabases, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    coaching = build_container(
        "coaching",
        broker=EmbeddedBroker(),
        database_url=pg.create("coaching"),
        transport="embedded",
        state_dir=tmp_path,
        log_level="DEBUG",
    )
    p = Partner(
        coaching,
        TestClient(build_app(coaching, manage_lifecycle=False)),
        Tokens(tmp_path / "dev-jwt-key.pem"),
    )
    try:
        client_id, secret = p.register(("vacancies:write",))
        token = p.token(client_id, secret)
        p.token_response(client_id, "pcs_wrong-secret")
        r = p.client.post(
            f"/v1/partner-clients/{client_id}/rotate-secret", json={}, headers=p.admin()
        )
        new = r.json()["client_secret"]
        p.client.patch(f"/v1/partner-clients/{client_id}", json={"name": "Z BV"}, headers=p.admin())
        p.client.post(
            f"/v1/partner-clients/{client_id}/suspend", json={"reason": "audit"}, headers=p.admin()
        )
        p.client.post(f"/v1/partner-clients/{client_id}/resume", headers=p.admin())
        hashes = p.rows(
            "SELECT secret_hash, previous_secret_hash FROM partner_clients WHERE client_id = :c",
            c=client_id,
        )[0]
        audit = p.rows(
            "SELECT action, actor, old_values, new_values, reason FROM audit_log "
            "WHERE resource_id = :c ORDER BY occurred_at",
            c=client_id,
        )
    finally:
        coaching.stop()
    assert [a["action"] for a in audit] == [
        "partner_client.create",
        "partner_client.token_refused",  # the wrong secret (issue 13 item 8c)
        "partner_client.rotate_secret",
        "partner_client.update",
        "partner_client.suspend",
        "partner_client.resume",
    ]
    assert all(
        a["actor"] == "admin-1" for a in audit if a["action"] != "partner_client.token_refused"
    )
    assert audit[1]["actor"] == client_id
    dumped = json.dumps(audit, default=str)
    logged = "\n".join(f"{r.getMessage()} {r.msg!r} {r.args!r}" for r in caplog.records)
    assert "partner.token_issued" in logged
    for needle in (secret, new, token, hashes["secret_hash"], hashes["previous_secret_hash"]):
        assert needle not in dumped
        assert needle not in logged
    assert "secret_hash" not in dumped


def test_client_ids_are_unique(partner: Partner) -> None:
    ids = {partner.register()[0] for _ in range(3)}
    assert len(ids) == 3
    assert all(uuid.UUID(int=0) != i for i in ids)


@pytest.mark.parametrize(
    "bad_id",
    ["%00", "pc_%00", "pc_0123456789abcde%00", "pc_0123456789ABCDEF", "pc_0123456789abcdef%0A"],
)
def test_malformed_client_ids_are_unknown_clients_not_500(partner: Partner, bad_id: str) -> None:
    client_id, secret = partner.register(("vacancies:write",))
    form = f"grant_type=client_credentials&client_id={bad_id}&client_secret={secret}"
    _oauth_error(partner.client.post(TOKEN, content=form, headers=FORM), 401, "invalid_client")
    admin = partner.admin()
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"name": "Y BV"}),
        ("POST", "/rotate-secret", {}),
        ("POST", "/suspend", {"reason": "scraping"}),
        ("POST", "/resume", None),
    ]:
        r = partner.client.request(
            method, f"/v1/partner-clients/{bad_id}{suffix}", json=body, headers=admin
        )
        if "%0" in bad_id:  # a control character in any path parameter is a 422 (ADR 0024)
            assert r.status_code == 422, (method, suffix, r.text)
            assert r.json()["errors"][0]["field"] == "client_id", r.text
        else:
            assert r.status_code == 404, (method, suffix, r.text)
    # The real client is untouched and still works.
    assert partner.client.get(f"/v1/partner-clients/{client_id}", headers=admin).status_code == 200
