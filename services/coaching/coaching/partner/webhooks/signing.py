"""The webhook signature: `X-WW-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The MAC is over `f"{t}.".encode() + raw body` with the client's secret (its UTF-8 bytes,
the whole `whsec_...` string) as the key; receivers reject a `t` outside their replay
window (docs/partner-webhooks.md has the verification code).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

HEADER = "X-WW-Signature"


def canonical_body(payload: dict[str, Any]) -> bytes:
    """The bytes sent (and signed): compact JSON with sorted keys."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes, t: int) -> str:
    """The header value for `body` signed at unix time `t`."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"
