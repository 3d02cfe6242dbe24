"""Sessions, CSRF, settings refusals and the catalogue (no backends needed)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from web.app import create_app
from web.backend import Backend, BackendClient, BackendProblem, BackendUnavailable
from web.i18n import CATALOGUE, translate
from web.session import Session, SessionCodec
from web.settings import WebSettings


def _codec() -> SessionCodec:
    from cryptography.fernet import Fernet

    return SessionCodec(Fernet.generate_key(), ttl_s=3600)


def test_session_round_trip_and_tampering() -> None:
    codec = _codec()
    s = Session(subject="c1", roles=["coach"], access_token="tok", expires_at=time.time() + 60)
    value = codec.encode(s)
    back = codec.decode(value)
    assert back == s
    assert back.signed_in
    assert codec.decode(value[:-4] + "AAAA") is None
    assert _codec().decode(value) is None  # another key
    assert codec.decode("") is None
    assert codec.decode(None) is None


def test_session_expiry_is_enforced() -> None:
    codec = _codec()
    s = Session(subject="c1", roles=["coach"], access_token="t", expires_at=time.time() + 60)
    assert codec.decode(codec.encode(s), now=time.time() + 61) is None
    # The cookie's own age is bounded by the codec's ttl, even for an anonymous session.
    assert codec.decode(codec.encode(Session()), now=time.time() + 3601) is None
    assert not Session(subject="c1", access_token="t", expires_at=time.time() - 1).signed_in


def test_csrf_comparison() -> None:
    s = Session()
    assert s.check_csrf(s.csrf)
    assert not s.check_csrf(None)
    assert not s.check_csrf("")
    assert not s.check_csrf(s.csrf + "x")


def test_prod_refuses_dev_sign_in_and_requires_secret_and_oidc(tmp_path: Path) -> None:
    ok = {
        "environment": "prod",
        "state_dir": tmp_path,
        "dev_sign_in": False,
        "session_secret": "s" * 32,
        "oidc_issuer": "https://idp.example",
        "oidc_client_id": "ww-web",
    }
    WebSettings(**ok)  # type: ignore[arg-type]
    for drop, value in (
        ("dev_sign_in", True),
        ("session_secret", None),
        ("oidc_issuer", None),
    ):
        with pytest.raises(ValidationError, match=drop):
            WebSettings(**{**ok, drop: value})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="32"):
        WebSettings(**{**ok, "session_secret": "short"})  # type: ignore[arg-type]
    assert WebSettings(**ok).secure_cookies  # type: ignore[arg-type]


def test_settings_fall_back_to_ww_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WW_ENVIRONMENT", "test")
    monkeypatch.setenv("WEB_PORT", "8123")
    s = WebSettings()
    assert s.environment == "test"
    assert s.port == 8123
    assert s.intake_url == "http://127.0.0.1:8001"
    assert s.default_language == "nl"


def test_dev_session_key_is_kept_in_the_state_dir(tmp_path: Path) -> None:
    a = WebSettings(state_dir=tmp_path).session_key()
    assert a == WebSettings(state_dir=tmp_path).session_key()
    assert (tmp_path / "web-session.key").stat().st_mode & 0o077 == 0


def test_catalogue_has_every_key_in_both_languages() -> None:
    assert set(CATALOGUE["nl"]) == set(CATALOGUE["en"])
    assert translate("sign_in", "nl") == "Inloggen"
    assert translate("sign_in", "en") == "Sign in"
    assert translate("sign_in", "fr") == "Inloggen"
    assert translate("no-such-key", "en") == "no-such-key"


def test_backend_retries_get_only_and_maps_problems() -> None:
    asyncio.run(_retries_and_problems())


async def _retries_and_problems() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        assert request.headers["X-Correlation-ID"] == "cid-1"
        assert request.headers["Authorization"] == "Bearer tok"
        if request.url.path == "/flaky":
            return httpx.Response(503)
        return httpx.Response(
            422,
            json={"title": "Unprocessable", "detail": "bad", "errors": [{"field": "postcode"}]},
            headers={"content-type": "application/problem+json"},
        )

    client = BackendClient(
        {"intake": Backend("http://intake", httpx.MockTransport(handler))}, backoff_s=0
    )
    with pytest.raises(BackendUnavailable):
        await client.get("intake", "/flaky", token="tok", correlation_id="cid-1")
    assert calls == ["GET"] * 3
    calls.clear()
    with pytest.raises(BackendUnavailable):
        await client.post("intake", "/flaky", token="tok", correlation_id="cid-1")
    assert calls == ["POST"]
    with pytest.raises(BackendProblem) as info:
        await client.get("intake", "/bad", token="tok", correlation_id="cid-1")
    assert (info.value.status, info.value.title, info.value.detail) == (422, "Unprocessable", "bad")
    assert info.value.fields == ["postcode"]
    await client.aclose()


def _down_app(tmp_path: Path) -> TestClient:
    # Nothing listens on port 9 of loopback (discard): every backend is down.
    settings = WebSettings(state_dir=tmp_path, environment="test", backend_retries=0)
    down = dict.fromkeys(("intake", "triage", "coaching", "starters"), "http://127.0.0.1:9")
    return TestClient(create_app(settings, backends=down))


def test_cookie_flags_and_csrf_on_logout(tmp_path: Path) -> None:
    with _down_app(tmp_path) as web:
        r = web.get("/")
        assert r.status_code == 200
        assert '<html lang="nl">' in r.text
        assert 'href="#main"' in r.text
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/" in cookie
        assert "secure" not in cookie  # plain http in dev
        assert web.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        assert web.post("/logout", data={}).status_code == 403
        r = web.post("/language", data={"lang": "en", "csrf_token": "forged"})
        assert r.status_code == 403


def test_language_switch(tmp_path: Path) -> None:
    with _down_app(tmp_path) as web:
        page = web.get("/").text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        r = web.post("/language", data={"lang": "en", "csrf_token": csrf})
        assert r.status_code == 200  # followed the redirect home
        assert '<html lang="en">' in r.text
        assert "Sign in" in r.text


def test_backend_down_is_a_503_page(tmp_path: Path) -> None:
    with _down_app(tmp_path) as web:
        r = web.get("/dev/sign-in")
        assert r.status_code == 503
        assert "Tijdelijk niet beschikbaar" in r.text
        assert "Traceback" not in r.text


def test_dev_sign_in_is_404_when_disabled(tmp_path: Path) -> None:
    settings = WebSettings(state_dir=tmp_path, dev_sign_in=False)
    with TestClient(create_app(settings, backends={})) as web:
        assert web.get("/dev/sign-in").status_code == 404
        assert web.get("/my-intakes", follow_redirects=False).headers["location"] == "/sign-in"
