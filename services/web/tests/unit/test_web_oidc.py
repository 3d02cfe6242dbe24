"""OIDC authorisation code + PKCE against a small in-test identity provider (ASGI app)."""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from web.app import create_app
from web.backend import Backend
from web.settings import WebSettings

ISSUER = "http://idp.test"


def fake_idp(claims: dict[str, Any]) -> tuple[FastAPI, dict[str, Any]]:
    """Discovery, JWKS and a token endpoint that checks the PKCE verifier."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "k1", "alg": "RS256"}
    seen: dict[str, Any] = {"codes": {}}
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, str]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return {"keys": [jwk]}

    @app.post("/token")
    def token(
        client_id: str = Form(...),
        grant_type: str = Form(...),
        code: str | None = Form(None),
        code_verifier: str | None = Form(None),
        refresh_token: str | None = Form(None),
    ) -> Any:
        if grant_type == "refresh_token":
            seen.setdefault("refreshed", []).append(refresh_token)
            if refresh_token not in seen.get("valid_refresh", ()):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            n = len(seen["refreshed"])
            seen["valid_refresh"] = {f"r{n + 1}"}
            return {"access_token": f"renewed-{n}", "expires_in": 300, "refresh_token": f"r{n + 1}"}
        assert code is not None
        assert code_verifier is not None
        challenge, nonce = seen["codes"].pop(code)
        digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
        if digest.rstrip(b"=").decode() != challenge:
            return {"error": "invalid_grant"}
        now = int(time.time())
        id_token = jwt.encode(
            {"iss": ISSUER, "aud": client_id, "iat": now, "exp": now + 300, "nonce": nonce}
            | claims,
            key,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        body: dict[str, Any] = {
            "id_token": id_token,
            "access_token": "backend-token",
            "expires_in": seen.get("expires_in", 300),
        }
        if seen.get("valid_refresh"):
            body["refresh_token"] = next(iter(seen["valid_refresh"]))
        return body

    return app, seen


def fake_intake(seen: dict[str, Any]) -> FastAPI:
    """A stand-in for intake's appointments route that records the bearer tokens it gets
    (a unit test of the web's token handling; the pages' integration tests use the real
    services)."""
    app = FastAPI()

    @app.get("/v1/coaches/{coach_id}/appointments")
    def appointments(coach_id: str, request: Request) -> dict[str, Any]:
        seen.setdefault("tokens", []).append(request.headers.get("authorization"))
        return {"items": []}

    return app


def _web(tmp_path: Path, idp: FastAPI, backends: dict[str, Backend] | None = None) -> TestClient:
    settings = WebSettings(
        state_dir=tmp_path,
        oidc_issuer=ISSUER,
        oidc_client_id="ww-web",
        oidc_role_map={"WW-Coaches": "coach"},
    )
    return TestClient(
        create_app(settings, backends=backends or {}, oidc_transport=httpx.ASGITransport(app=idp)),
        follow_redirects=False,
    )


def _authorize(web: TestClient, seen: dict[str, Any], path: str = "/sign-in") -> dict[str, str]:
    r = web.get(path)
    assert r.status_code == 303
    q = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}
    assert q["code_challenge_method"] == "S256"
    assert q["response_type"] == "code"
    seen["codes"]["the-code"] = (q["code_challenge"], q["nonce"])
    return q


def test_staff_sign_in_with_pkce_maps_roles(tmp_path: Path) -> None:
    idp, seen = fake_idp({"sub": "coach-1", "roles": ["WW-Coaches", "Other"], "office": "AMS"})
    with _web(tmp_path, idp) as web:
        q = _authorize(web, seen)
        r = web.get("/sign-in/callback", params={"code": "the-code", "state": q["state"]})
        assert r.status_code == 303, r.text
        home = web.get("/", follow_redirects=False)
        assert home.headers["location"] == "/my-intakes"  # signed in as a coach


def test_forged_state_is_refused(tmp_path: Path) -> None:
    idp, seen = fake_idp({"sub": "coach-1", "roles": ["WW-Coaches"]})
    with _web(tmp_path, idp) as web:
        _authorize(web, seen)
        r = web.get("/sign-in/callback", params={"code": "the-code", "state": "forged"})
        assert r.status_code == 403


def test_a_sign_in_without_our_roles_is_refused(tmp_path: Path) -> None:
    idp, seen = fake_idp({"sub": "someone", "roles": ["Other"]})
    with _web(tmp_path, idp) as web:
        q = _authorize(web, seen)
        r = web.get("/sign-in/callback", params={"code": "the-code", "state": q["state"]})
        assert r.status_code == 403


def test_claimant_sign_in_gives_only_the_claimant_role(tmp_path: Path) -> None:
    idp, seen = fake_idp({"sub": "claimant-9", "roles": ["WW-Coaches"]})
    with _web(tmp_path, idp) as web:
        q = _authorize(web, seen, "/claimant/sign-in")
        r = web.get("/claimant/sign-in/callback", params={"code": "the-code", "state": q["state"]})
        assert r.status_code == 303, r.text
        assert web.get("/my-intakes").status_code == 403  # not a coach


def test_an_expiring_access_token_is_renewed_with_the_refresh_token(tmp_path: Path) -> None:
    idp, seen = fake_idp({"sub": "coach-1", "roles": ["WW-Coaches"], "office": "AMS"})
    seen["expires_in"] = 30  # within the minute before expiry: renewed on the first call
    seen["valid_refresh"] = {"r1"}
    intake = Backend("http://intake.test", httpx.ASGITransport(app=fake_intake(seen)))
    with _web(tmp_path, idp, {"intake": intake}) as web:
        q = _authorize(web, seen)
        r = web.get("/sign-in/callback", params={"code": "the-code", "state": q["state"]})
        assert r.status_code == 303, r.text
        assert web.get("/my-intakes").status_code == 200
        assert seen["refreshed"] == ["r1"]
        assert seen["tokens"] == ["Bearer renewed-1"]
        # The renewed token lasts 300 s: no second refresh, and the rotated refresh
        # token is the one kept.
        assert web.get("/my-intakes").status_code == 200
        assert seen["refreshed"] == ["r1"]
        assert seen["tokens"] == ["Bearer renewed-1", "Bearer renewed-1"]


def test_a_refused_refresh_ends_the_session(tmp_path: Path) -> None:
    idp, seen = fake_idp({"sub": "coach-1", "roles": ["WW-Coaches"], "office": "AMS"})
    seen["expires_in"] = 30
    seen["valid_refresh"] = {"r1"}
    intake = Backend("http://intake.test", httpx.ASGITransport(app=fake_intake(seen)))
    with _web(tmp_path, idp, {"intake": intake}) as web:
        q = _authorize(web, seen)
        web.get("/sign-in/callback", params={"code": "the-code", "state": q["state"]})
        seen["valid_refresh"] = set()  # the identity provider revoked it
        r = web.get("/my-intakes")
        assert r.status_code == 303
        assert r.headers["location"] == "/dev/sign-in"  # dev sign-in is on in this test
        assert "tokens" not in seen  # the backend never saw the stale token
        assert web.get("/my-intakes").status_code == 303  # signed out
