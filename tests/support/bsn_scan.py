"""Searching bytes for BSNs: as digits, as people type them, and hex/base64 encoded."""

from __future__ import annotations

import base64
import re
from typing import Any

from shared.clock import local_today

# U+FF10..U+FF19, the full-width digits an East Asian input method types.
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def forms(b: str) -> dict[str, str]:
    """The ways a person types a BSN: as digits and grouped 4-2-3 with separators."""
    return {
        "digits": b,
        "spaces": f"{b[:4]} {b[4:6]} {b[6:]}",
        "dots": f"{b[:4]}.{b[4:6]}.{b[6:]}",
        "dashes": f"{b[:4]}-{b[4:6]}-{b[6:]}",
        "slashes": f"{b[:4]}/{b[4:6]}/{b[6:]}",
        "spaced digits": " ".join(b),
        "full-width": b.translate(FULL_WIDTH),
    }


def needles(bsns: list[str]) -> dict[bytes, str]:
    """Every BSN as its digits, each typed form (UTF-8), and hex and base64 of its digits."""
    out: dict[bytes, str] = {}
    for b in bsns:
        for name, form in forms(b).items():
            out[form.encode()] = f"{b} as {name}"
        out[b.encode().hex().encode()] = f"{b} as hex"
        out[base64.b64encode(b.encode()).rstrip(b"=")] = f"{b} as base64"
    return out


def scan(blobs: dict[str, bytes], found_as: dict[bytes, str]) -> list[str]:
    """`where: what` for every needle found in any blob."""
    pattern = re.compile(b"|".join(re.escape(n) for n in sorted(found_as, key=len, reverse=True)))
    found = set()
    for where, blob in blobs.items():
        for m in pattern.finditer(blob):
            found.add(f"{where}: {found_as[m.group(0)]}")
    return sorted(found)


def claim_body(bsn: Any, **extra: Any) -> dict[str, Any]:
    """A registration body carrying `bsn` (in whatever form the scan sends it)."""
    return {
        "bsn": bsn,
        "given_name": "Eva",
        "family_name": "Jansen",
        "date_of_birth": "1979-06-30",
        "first_ww_day": local_today().isoformat(),
        "postcode": "1011 AB",
        **extra,
    }
