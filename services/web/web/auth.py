"""Signing in: the dev sign-in (local key, outside production only) and OpenID Connect
(authorisation code + PKCE S256) against the agency's identity provider."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from cryptography.fernet import Fernet, InvalidToken

from shared.devkeys import load_or_create_local_key, mint_token
from web.settings import WebSettings


def mint_dev_token(
    settings: WebSettings,
    *,
    subject: str,
    roles: list[str],
    office: str | None = None,
    bsn: str | None = None,
    ttl_s: int | None = None,
) -> str:
    """A backend token signed with the local dev key, as `ww token` mints it."""
    assert settings.auth_local_key_file is not None
    key = load_or_create_local_key(settings.auth_local_key_file)
    return mint_token(
        key,
        subject=subject,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        roles=roles,
        office=office,
        bsn=bsn or None,
        ttl=dt.timedelta(seconds=ttl_s or settings.session_ttl_s),
    )


def client_of(settings: WebSettings, kind: str) -> OidcClient | None:
    """The OIDC client of a sign-in kind ("staff" or "claimant"); None when not configured."""
    if kind == "claimant":
        cid = settings.oidc_claimant_client_id or settings.oidc_client_id
        secret = settings.oidc_claimant_client_secret or settings.oidc_client_secret
        redirect = settings.oidc_claimant_redirect_uri or (
            settings.public_url.rstrip("/") + "/claimant/sign-in/callback"
        )
    else:
        cid, secret = settings.oidc_client_id, settings.oidc_client_secret
        redirect = settings.oidc_redirect_uri or (
            settings.public_url.rstrip("/") + "/sign-in/callback"
        )
    if not settings.oidc_issuer or not cid:
        return None
    return OidcClient(cid, secret.get_secret_value() if secret else None, redirect)


class OidcError(Exception):
    """The sign-in could not be completed (shown as a 403 page)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = _b64url(secrets.token_bytes(32))
    return verifier, _b64url(hashlib.sha256(verifier.encode()).digest())


@dataclass(frozen=True)
class OidcClient:
    """One OIDC client at the issuer: staff, or the claimants' DigiD-style broker."""

    client_id: str
    client_secret: str | None
    redirect_uri: str


@dataclass(frozen=True)
class SignedIn:
    """Who the identity provider says signed in."""

    subject: str
    roles: list[str]
    office: str | None
    display_name: str | None
    access_token: str
    expires_at: float
    refresh_token: str | None = None
    token_expires_at: float | None = None


@dataclass(frozen=True)
class Renewed:
    """A refreshed access token (and the refresh token to use next time)."""

    access_token: str
    token_expires_at: float
    refresh_token: str | None


class Oidc:
    """Authorisation code flow with PKCE, state and nonce; the id token verified against
    the issuer's JWKS; roles read from the configured claim and mapped to ours."""

    def __init__(
        self,
        settings: WebSettings,
        *,
        state_key: bytes,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._fernet = Fernet(state_key)
        self._http = httpx.AsyncClient(transport=transport, timeout=settings.backend_timeout_s)
        self._discovery: dict[str, Any] | None = None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def discovery(self) -> dict[str, Any]:
        """The issuer's discovery document (cached)."""
        if self._discovery is None:
            issuer = (self.settings.oidc_issuer or "").rstrip("/")
            r = await self._http.get(f"{issuer}/.well-known/openid-configuration")
            r.raise_for_status()
            doc = r.json()
            if doc.get("issuer", "").rstrip("/") != issuer:
                raise OidcError("discovery issuer mismatch")
            self._discovery = doc
        return self._discovery

    async def start(self, client: OidcClient, *, kind: str) -> tuple[str, str]:
        """The authorisation URL to redirect to, and the short-lived cookie value keeping
        state, nonce and the PKCE verifier."""
        doc = await self.discovery()
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        scopes = self.settings.oidc_scopes
        params = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        pending = {"state": state, "nonce": nonce, "verifier": verifier, "kind": kind}
        cookie = self._fernet.encrypt(json.dumps(pending).encode()).decode()
        return f"{doc['authorization_endpoint']}?{urlencode(params)}", cookie

    def pending(self, cookie: str | None) -> dict[str, str]:
        """The flow a callback belongs to (at most 10 minutes old)."""
        if not cookie:
            raise OidcError("no sign-in in progress")
        try:
            data = json.loads(self._fernet.decrypt(cookie.encode(), ttl=600))
        except (InvalidToken, ValueError) as exc:
            raise OidcError("sign-in state invalid or expired") from exc
        if not isinstance(data, dict):
            raise OidcError("sign-in state invalid")
        return data

    async def finish(
        self, client: OidcClient, *, code: str, state: str, pending: dict[str, str]
    ) -> SignedIn:
        """Exchange the code, verify the id token and read who signed in."""
        if not secrets.compare_digest(state, pending["state"]):
            raise OidcError("state mismatch")
        doc = await self.discovery()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,
            "client_id": client.client_id,
            "code_verifier": pending["verifier"],
        }
        if client.client_secret:
            form["client_secret"] = client.client_secret
        r = await self._http.post(doc["token_endpoint"], data=form)
        if r.status_code != 200:
            raise OidcError(f"token endpoint answered {r.status_code}")
        tokens = r.json()
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise OidcError("token response without id_token or access_token")
        jwks = (await self._http.get(doc["jwks_uri"])).json()
        claims = self._verify(id_token, jwks, client_id=client.client_id, issuer=doc["issuer"])
        if not secrets.compare_digest(str(claims.get("nonce", "")), pending["nonce"]):
            raise OidcError("nonce mismatch")
        now = time.time()
        token_expires = now + self._lifetime(tokens)
        refresh = _str_or_none(tokens.get("refresh_token"))
        return SignedIn(
            subject=str(claims["sub"]),
            roles=self.map_roles(claims, claimant=pending.get("kind") == "claimant"),
            office=_str_or_none(claims.get(self.settings.oidc_office_claim)),
            display_name=_str_or_none(claims.get("name")),
            access_token=access_token,
            # With a refresh token the session lasts its own ttl and the access token is
            # renewed under it; without one it ends with the access token.
            expires_at=now + self.settings.session_ttl_s if refresh else token_expires,
            refresh_token=refresh,
            token_expires_at=token_expires,
        )

    def _lifetime(self, tokens: dict[str, Any]) -> int:
        expires_in = tokens.get("expires_in")
        return min(
            int(expires_in) if isinstance(expires_in, int) else self.settings.session_ttl_s,
            self.settings.session_ttl_s,
        )

    async def refresh(self, client: OidcClient, refresh_token: str) -> Renewed:
        """A new access token for a refresh token (RFC 6749 section 6); OidcError when the
        identity provider refuses (the person signs in again)."""
        doc = await self.discovery()
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client.client_id,
        }
        if client.client_secret:
            form["client_secret"] = client.client_secret
        r = await self._http.post(doc["token_endpoint"], data=form)
        if r.status_code != 200:
            raise OidcError(f"token endpoint answered {r.status_code} to a refresh")
        tokens = r.json()
        access_token = tokens.get("access_token")
        if not isinstance(access_token, str):
            raise OidcError("refresh response without access_token")
        return Renewed(
            access_token=access_token,
            token_expires_at=time.time() + self._lifetime(tokens),
            # Rotation: an identity provider may hand out a new refresh token each time.
            refresh_token=_str_or_none(tokens.get("refresh_token")) or refresh_token,
        )

    @staticmethod
    def _verify(token: str, jwks: dict[str, Any], *, client_id: str, issuer: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            keys = jwt.PyJWKSet.from_dict(jwks).keys
            key = next((k for k in keys if kid is None or k.key_id == kid), None)
            if key is None:
                raise OidcError("id token signed with an unknown key")
            return jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256", "PS256"],
                audience=client_id,
                issuer=issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"id token invalid: {exc}") from exc

    def map_roles(self, claims: dict[str, Any], *, claimant: bool) -> list[str]:
        """Our roles from the configured claim; a claimant sign-in gives only `claimant`."""
        if claimant:
            return ["claimant"]
        raw = claims.get(self.settings.oidc_role_claim) or []
        if isinstance(raw, str):
            raw = raw.split()
        mapping = self.settings.oidc_role_map
        return sorted({mapping[r] for r in raw if isinstance(r, str) and r in mapping})


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
