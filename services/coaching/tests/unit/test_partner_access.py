"""Partner API building blocks: secret hashing, the rate window's arithmetic, idempotency
keys and body hashes, vacancy validation, and the rate counter on SQLite (embedded mode)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from coaching.partner.access import rate_window
from coaching.partner.clients import repository
from coaching.partner.clients.models import PartnerClient
from coaching.partner.clients.secrets import (
    hash_secret,
    new_client_id,
    new_secret,
    verify_secret,
)
from coaching.partner.idempotency import body_hash, check_key
from coaching.partner.vacancies.schemas import VacancyCreate
from shared.messaging.embedded import EmbeddedBroker
from shared.web.app import build_app
from shared.web.problems import InvalidField
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

UTC = dt.UTC


# --- secrets ---------------------------------------------------------------------------------


def test_secrets_are_random_and_verified_against_salted_hashes() -> None:
    secret = new_secret()
    assert secret.startswith("pcs_")
    assert len(secret) >= 44
    assert new_secret() != secret
    assert new_client_id().startswith("pc_")
    assert len(new_client_id()) == 19
    stored = hash_secret(secret)
    assert secret not in stored
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret("", stored)
    # A per-secret salt: the same secret hashes differently each time, both verify.
    again = hash_secret(secret)
    assert again != stored
    assert verify_secret(secret, again)


def test_same_salt_gives_the_same_hash() -> None:
    salt = b"0123456789abcdef"
    assert hash_secret("s3cret", salt=salt) == hash_secret("s3cret", salt=salt)


@pytest.mark.parametrize(
    "stored",
    [None, "", "plain", "bcrypt$1$2$3$c2FsdA$aGFzaA", "scrypt$x$8$1$c2FsdA$aGFzaA", "scrypt$$$"],
)
def test_malformed_or_foreign_hashes_never_verify(stored: str | None) -> None:
    assert not verify_secret("anything", stored)


# --- rate window -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "start", "retry_after"),
    [
        (dt.datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC), "10:00:00", 60),
        (dt.datetime(2026, 11, 28, 10, 0, 10, tzinfo=UTC), "10:00:00", 50),
        (dt.datetime(2026, 11, 28, 10, 0, 59, 1, tzinfo=UTC), "10:00:00", 1),
        (dt.datetime(2026, 11, 28, 10, 0, 59, 999_999, tzinfo=UTC), "10:00:00", 1),
        (dt.datetime(2026, 11, 28, 10, 1, 0, tzinfo=UTC), "10:01:00", 60),
        (
            dt.datetime(2026, 11, 28, 11, 1, 0, 500_000, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "10:01:00",
            60,
        ),
    ],
)
def test_fixed_window_start_and_retry_after(now: dt.datetime, start: str, retry_after: int) -> None:
    window_start, seconds = rate_window(now)
    expected = dt.datetime.fromisoformat(f"2026-11-28T{start}+00:00")
    assert window_start == int(expected.timestamp())
    assert window_start % 60 == 0
    assert seconds == retry_after
    assert 1 <= seconds <= 60


def test_window_length_is_a_parameter() -> None:
    now = dt.datetime(2026, 11, 28, 10, 0, 7, tzinfo=UTC)
    start, seconds = rate_window(now, 10)
    assert start % 10 == 0
    assert seconds == 3


# --- idempotency helpers ---------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "x" * 200, "order-42/2026", "~!@#$%^&*()_+{}|:<>?"])
def test_valid_keys(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", [None, "", " ", "has space", "x" * 201, "caf\u00e9", "tab\t"])
def test_invalid_keys_name_the_header(key: str | None) -> None:
    with pytest.raises(InvalidField) as exc:
        check_key(key)
    assert exc.value.extra["errors"][0]["field"] == "Idempotency-Key"
    assert exc.value.extra["errors"][0]["location"] == "header"


def test_body_hash_is_canonical() -> None:
    assert body_hash({"a": 1, "b": [1, 2]}) == body_hash({"b": [1, 2], "a": 1})
    assert body_hash({"a": 1}) != body_hash({"a": 2})
    assert body_hash({"a": [1, 2]}) != body_hash({"a": [2, 1]})
    assert len(body_hash(None)) == 64


# --- vacancy validation ----------------------------------------------------------------------


def _vacancy(**overrides: object) -> VacancyCreate:
    body: dict[str, object] = {
        "title": "Magazijnmedewerker",
        "sector": "logistics",
        "postcode": "2511 cv",
        "hours_per_week": 36,
    }
    body.update(overrides)
    return VacancyCreate.model_validate(body)


def test_postcode_gives_the_region() -> None:
    v = _vacancy(skills=[" Heftruck  rijbewijs ", "heftruck rijbewijs"])
    assert v.postcode == "2511 CV"
    assert v.region == "25"
    assert v.skills == ["heftruck rijbewijs"]
    assert _vacancy(postcode=None, region="99").region == "99"
    assert _vacancy(wage_min=14.504, wage_max=16.2549).wage_min == 14.5
    assert _vacancy(wage_min=14.504, wage_max=16.2549).wage_max == 16.25
    assert _vacancy(postcode="2511CV", region="25").region == "25"


@pytest.mark.parametrize(
    "overrides",
    [
        {"postcode": None},
        {"postcode": "2511 SA"},
        {"postcode": "2511 CV", "region": "10"},
        {"postcode": None, "region": "05"},
        {"wage_min": 16, "wage_max": 15.99},
        {"hours_per_week": 81},
        {"unknown": 1},
    ],
)
def test_invalid_vacancies(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _vacancy(**overrides)


# --- SQLite (embedded mode) ------------------------------------------------------------------


def test_rate_counter_and_access_work_on_sqlite(tmp_path: Path) -> None:
    coaching = build_container(
        "coaching", broker=EmbeddedBroker(), transport="embedded", state_dir=tmp_path
    )
    coaching.migrate()
    try:
        with coaching.session_factory() as s:
            s.add(
                PartnerClient(
                    client_id="pc_5c11e0000000000a",
                    name="SQLite BV",
                    secret_hash=hash_secret("pcs_x"),
                    scopes=["vacancies:write"],
                    requests_per_minute=2,
                    daily_profile_cap=10,
                    status="active",
                    created_by="test",
                )
            )
            s.commit()
        with coaching.session_factory() as s:
            counts = [
                repository.hit_rate_window(s, client_id="pc_5c11e0000000000a", window_start=60)
                for _ in range(3)
            ]
            counts.append(
                repository.hit_rate_window(s, client_id="pc_5c11e0000000000a", window_start=120)
            )
            s.commit()
        assert counts == [1, 2, 3, 1]

        client = TestClient(build_app(coaching, manage_lifecycle=False))
        token = client.post(
            "/partner/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "pc_5c11e0000000000a",
                "client_secret": "pcs_x",
            },
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).json()["access_token"]
        headers = Tokens.header(token)
        now = dt.datetime.now(UTC).replace(second=5, microsecond=0) + dt.timedelta(minutes=2)
        coaching.state["partner_clock"] = lambda: now
        statuses = [client.get("/partner/v1/vacancies", headers=headers).status_code for _ in "abc"]
        assert statuses == [200, 200, 429]
    finally:
        coaching.stop()


# --- the partner signing key in production ---------------------------------------------------


def _prod(tmp_path: Path, **overrides: object) -> dict[str, object]:
    return {
        "environment": "prod",
        "auth_mode": "jwks",
        "auth_jwks_url": "https://idp.example.nl/jwks",
        "state_dir": tmp_path,
        "transport": "embedded",
        "idempotency_key_secret": "a-production-secret-of-the-test",
        **overrides,
    }


def test_production_requires_a_partner_signing_key_file(tmp_path: Path) -> None:
    from coaching.main import create_app
    from coaching.partner.access import PartnerConfigurationError, check_partner_configuration
    from coaching.settings import CoachingSettings

    with pytest.raises(PartnerConfigurationError, match="COACHING_PARTNER_SIGNING_KEY_FILE"):
        check_partner_configuration(CoachingSettings(**_prod(tmp_path)))  # type: ignore[arg-type]
    with pytest.raises(PartnerConfigurationError, match="COACHING_PARTNER_SIGNING_KEY_FILE"):
        create_app(CoachingSettings(**_prod(tmp_path)))  # type: ignore[arg-type]
    missing = tmp_path / "nope.pem"
    with pytest.raises(PartnerConfigurationError, match="does not exist"):
        check_partner_configuration(
            CoachingSettings(**_prod(tmp_path, partner_signing_key_file=missing))  # type: ignore[arg-type]
        )
    assert not missing.exists()  # production never creates one
    # Outside production the dev key is the default.
    check_partner_configuration(CoachingSettings(state_dir=tmp_path))


def test_the_token_endpoint_without_a_key_in_production_is_503_not_500(tmp_path: Path) -> None:
    coaching = build_container("coaching", broker=EmbeddedBroker(), **_prod(tmp_path))
    coaching.migrate()
    try:
        client = TestClient(build_app(coaching, manage_lifecycle=False))
        r = client.post(
            "/partner/v1/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "pc_x", "client_secret": "y"},
        )
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "COACHING_PARTNER_SIGNING_KEY_FILE" in r.json()["detail"]
        assert not (tmp_path / "dev-jwt-key.pem").exists()
    finally:
        coaching.stop()
