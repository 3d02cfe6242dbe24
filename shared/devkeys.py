"""The local signing key of dev and embedded modes, and dev tokens minted with it.

Kept apart from `shared.web.auth` (FastAPI, SQLAlchemy) so that `ww token` starts in a
fraction of a second: it needs only PyJWT and cryptography.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def load_or_create_local_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The dev signing key, created once (atomically) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(pem)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC private key")
    return loaded


def key_id(public_key: Any) -> str:
    """A short, public fingerprint of a verifying key (SHA-256 of its DER, 16 hex digits)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def mint_token(
    private_key: ec.EllipticCurvePrivateKey,
    *,
    subject: str,
    issuer: str,
    audience: str,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    office: str | None = None,
    client_id: str | None = None,
    ttl: dt.timedelta = dt.timedelta(hours=8),
    now: dt.datetime | None = None,
    bsn: str | None = None,
) -> str:
    """Sign a dev token (users: roles; partner apps: client_id + scopes; claimants: the
    `bsn` their sign-in established, as an OIDC broker in front of DigiD gives it)."""
    now = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    if client_id:
        claims["client_id"] = client_id
        claims["token_use"] = "client_credentials"
        claims["scope"] = " ".join(sorted(scopes))
    else:
        claims["roles"] = sorted(roles)
        if scopes:
            claims["scope"] = " ".join(sorted(scopes))
    if office:
        claims["office"] = office
    if bsn is not None:
        claims["bsn"] = bsn
    return jwt.encode(claims, private_key, algorithm="ES256")
