"""Client ids and secrets: generation, scrypt hashing with a per-secret salt, verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# scrypt cost: ~16 MiB and a few tens of milliseconds per check. The secrets are 256-bit
# random values, so the cost only guards against an offline attack on a leaked table.
_N, _R, _P = 2**14, 8, 1
_DKLEN = 32
_SCHEME = "scrypt"


_CLIENT_ID = re.compile(r"pc_[0-9a-f]{16}")


def new_client_id() -> str:
    """A fresh public client id such as `pc_3f9a0c1d2b4e5f60`."""
    return "pc_" + secrets.token_hex(8)


def is_client_id(value: object) -> bool:
    """Whether `value` has the form `new_client_id` generates (checked before any query, so
    a NUL byte or other junk never reaches the database)."""
    return isinstance(value, str) and _CLIENT_ID.fullmatch(value) is not None


def new_secret() -> str:
    """A fresh client secret (256 random bits); shown to the admin once, never stored."""
    return "pcs_" + secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash`: the parameters travel with the hash so they can be raised."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN, maxmem=64 * 1024 * 1024
    )
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str | None) -> bool:
    """True if `secret` matches the stored hash (constant-time comparison of the digests)."""
    if not stored or not secret:
        return False
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = _unb64(digest_b64)
        actual = hashlib.scrypt(
            secret.encode(),
            salt=_unb64(salt_b64),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
