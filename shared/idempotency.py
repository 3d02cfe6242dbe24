"""Idempotency-Key values at rest: a keyed hash, never the key as sent.

A caller chooses its keys freely (within the header pattern), so a key may hold personal
data, a BSN included ("reg-111222333"). The services store and look up
HMAC-SHA256(secret, key) instead: a replay still finds its row, a database dump shows no key
(issue 13, ADR 0025). The secret comes from settings (`idempotency_key_secret`); dev and test
create one once in the state directory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from shared.bsn import _read_or_create

DIGEST_LENGTH = 64  # hex of SHA-256; fits every key column (String(100))


class IdempotencyKeyHasher:
    """Turns an `Idempotency-Key` header value into the digest that is stored."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the idempotency key secret must be at least 32 bytes")
        self._secret = secret

    def digest(self, key: str) -> str:
        """HMAC-SHA256 of the key as sent, hex; stable across processes sharing the secret."""
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_settings(cls, *, secret_b64: str | None, dev_key_dir: Path) -> IdempotencyKeyHasher:
        """From the configured secret, or (dev/test) one generated once on disk."""
        if secret_b64:
            return cls(base64.b64decode(secret_b64))
        return cls(_read_or_create(dev_key_dir / "dev-idempotency-key", 32))
