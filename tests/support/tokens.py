"""Tokens for tests: valid, expired, wrongly signed, for people and partner applications."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm

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
        try:  # only a token we minted: a forged one under test must stay forged
            claims = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["ES256"],
                options={"verify_aud": False, "verify_iss": False, "verify_exp": False},
            )
        except jwt.PyJWTError:
            return headers
        roles = claims.get("roles")
        if not isinstance(roles, list) or "claimant" not in roles:
            return headers
        claims["bsn"] = bsn
        return {**headers, "Authorization": f"Bearer {jwt.encode(claims, self.key, 'ES256')}"}

    @staticmethod
    def header(token: str) -> dict[str, str]:
        """Authorization header for a token."""
        return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: Any) -> str:
    return _b64(json.dumps(value).encode())


def raw_token(header: Any, claims: Any, signature: bytes = b"junk-signature") -> str:
    """A compact JWS with any header and payload JSON and any signature bytes."""
    return f"{_segment(header)}.{_segment(claims)}.{_b64(signature)}"


def signed_raw(key: ec.EllipticCurvePrivateKey, claims: dict[str, Any]) -> str:
    """An ES256 token signed by hand: PyJWT's encoder refuses some claim types itself."""
    payload = f"{_segment({'alg': 'ES256', 'typ': 'JWT'})}.{_segment(claims)}"
    signature = ECAlgorithm(ECAlgorithm.SHA256).sign(payload.encode(), key)
    return f"{payload}.{_b64(signature)}"


def forged_tokens(
    key: ec.EllipticCurvePrivateKey, *, issuer: str = "ww-local", audience: str = "ww"
) -> dict[str, str]:
    """Every kind of forged or malformed token a service must answer with 401 (issue 13).

    Algorithm confusion (every `alg` that is not the key's, including `none` and HS256
    keyed with the public key), a foreign key named by `kid`, `jwk` or `jku`, and tokens
    correctly signed with the trusted key whose claims have the wrong type or form.
    """
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": "mallory",
        "iat": now,
        "exp": now + 3600,
        "roles": ["admin"],
        "office": "AMS",
    }
    forged: dict[str, str] = {}
    for alg in ("RS256", "RS512", "PS256", "EdDSA", "ES384", "ES512", "HS512", "foo", ""):
        forged[f"alg {alg or 'empty'} junk signature"] = raw_token(
            {"alg": alg, "typ": "JWT"}, claims
        )
    forged["alg none"] = raw_token({"alg": "none", "typ": "JWT"}, claims, b"")
    forged["alg None"] = raw_token({"alg": "None"}, claims, b"")
    forged["alg missing"] = raw_token({"typ": "JWT"}, claims)
    forged["alg as list"] = raw_token({"alg": ["ES256"]}, claims)
    # The classic confusion: HS256 with the server's public key (PEM) as the HMAC secret.
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    unsigned = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    mac = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()
    forged["HS256 keyed with the public key"] = f"{unsigned}.{_b64(mac)}"
    # Properly signed, but with keys the services do not trust.
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged["RS256 foreign key"] = jwt.encode(claims, rsa_key, algorithm="RS256")
    forged["EdDSA foreign key"] = jwt.encode(
        claims, ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA"
    )
    foreign = ec.generate_private_key(ec.SECP256R1())
    forged["kid unknown"] = jwt.encode(
        claims, foreign, algorithm="ES256", headers={"kid": "no-such-key"}
    )
    forged["kid as object"] = raw_token({"alg": "ES256", "kid": {"k": 1}}, claims)
    embedded = ECAlgorithm.to_jwk(foreign.public_key(), as_dict=True)
    forged["embedded jwk header"] = jwt.encode(
        claims, foreign, algorithm="ES256", headers={"jwk": embedded}
    )
    forged["jku header"] = jwt.encode(
        claims, foreign, algorithm="ES256", headers={"jku": "https://evil.example/jwks.json"}
    )
    # Malformed structure.
    forged["header is a list"] = raw_token(["ES256"], claims)
    forged["payload is a number"] = jwt.encode({"x": 1}, key, algorithm="ES256").split(".")[0] + (
        f".{_segment(5)}.{_b64(b'sig')}"
    )
    forged["two segments"] = f"{_segment({'alg': 'ES256'})}.{_segment(claims)}"
    forged["not base64"] = "e30.@@@@.@@@@"
    # Signed with the trusted key, claims of the wrong type or form.
    wrong: dict[str, dict[str, Any]] = {
        "roles: 5": {"roles": 5},
        "roles as string": {"roles": "admin"},
        "roles as object": {"roles": {"admin": True}},
        "roles with a number": {"roles": ["admin", 5]},
        "office as object": {"office": {"code": "AMS"}},
        "office as list": {"office": ["AMS"]},
        "office empty": {"office": ""},
        "office with NUL": {"office": "AM\u0000S"},
        "sub as number": {"sub": 5},
        "sub as list": {"sub": ["mallory"]},
        "sub empty": {"sub": ""},
        "sub with NUL": {"sub": "mal\u0000lory"},
        "sub too long": {"sub": "m" * 5000},
        "exp as string": {"exp": "tomorrow"},
        "iat as string": {"iat": "today"},
        "nbf as string": {"nbf": "today"},
        "aud as number": {"aud": 5},
        "iss as list": {"iss": [issuer]},
        "scope as list": {"scope": ["vacancies:write"], "client_id": "agency-y"},
        "scope as number": {"scope": 5},
        "client_id as object": {"client_id": {"id": "agency-y"}, "scope": "vacancies:write"},
        "azp as number": {"azp": 5},
        "token_use as list": {"token_use": ["client_credentials"]},
    }
    for label, override in wrong.items():
        forged[label] = signed_raw(key, {**claims, **override})
    return forged
