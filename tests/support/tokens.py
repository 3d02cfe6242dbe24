"""Tokens for tests: valid, expired, wrongly signed, for people and partner applications."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from shared.web.auth import load_or_create_local_key, mint_token


class Tokens:
    """Mints tokens with the same local key the services under test verify against."""

    def __init__(self, key_file: Path, *, issuer: str = "ww-local", audience: str = "ww") -> None:
        self.key = load_or_create_local_key(key_file)
        self.issuer = issuer
        self.audience = audience

    def user(
        self,
        *roles: str,
        sub: str = "test-user",
        office: str | None = None,
        bsn: str | None = None,
    ) -> str:
        """A valid token of a person; a claimant's carries the `bsn` of their sign-in (a
        claimant registers only that BSN, ADR 0025)."""
        return mint_token(
            self.key,
            subject=sub,
            issuer=self.issuer,
            audience=self.audience,
            roles=roles,
            office=office,
            bsn=bsn,
        )

    def app(self, client_id: str, *scopes: str) -> str:
        """A valid client-credentials token of a partner application."""
        return mint_token(
            self.key,
            subject=client_id,
            issuer=self.issuer,
            audience=self.audience,
            client_id=client_id,
            scopes=scopes,
        )

    def expired(self, *roles: str) -> str:
        """A token that expired an hour ago (beyond any leeway)."""
        past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=10)
        return mint_token(
            self.key,
            subject="late",
            issuer=self.issuer,
            audience=self.audience,
            roles=roles,
            ttl=dt.timedelta(hours=1),
            now=past,
        )

    def bad_signature(self, *roles: str) -> str:
        """A well-formed token signed by a key the services do not trust."""
        other = ec.generate_private_key(ec.SECP256R1())
        return mint_token(
            other, subject="mallory", issuer=self.issuer, audience=self.audience, roles=roles
        )

    def signed_in(self, headers: dict[str, str], bsn: object) -> dict[str, str]:
        """The headers with a claimant's token re-minted to carry `bsn` as the BSN of the
        sign-in (ADR 0025: a claimant registers only that BSN); other tokens unchanged."""
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not isinstance(bsn, str):
            return headers
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:  # not a token we minted (a malformed one under test)
            return headers
        if "claimant" not in claims.get("roles", []):
            return headers
        claims["bsn"] = bsn
        return {**headers, "Authorization": f"Bearer {jwt.encode(claims, self.key, 'ES256')}"}

    @staticmethod
    def header(token: str) -> dict[str, str]:
        """Authorization header for a token."""
        return {"Authorization": f"Bearer {token}"}
