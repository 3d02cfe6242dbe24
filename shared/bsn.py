"""BSN (burgerservicenummer): validation, encryption at rest, keyed lookup hash, masking.

A BSN is special personal data: it is never logged, never put in a URL or an event, and is
stored only as AEAD ciphertext plus a keyed hash used for equality look-ups.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from pathlib import Path
from typing import Annotated

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import AfterValidator, BeforeValidator
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.nl import bsn as stdnum_bsn

_KEY_VERSION = 1
_AAD = b"ww:bsn:v1"
# What people type between digit groups: spaces of any kind, dots, slashes, underscores and
# the hyphen/dash family, also in their full-width forms. (`\d` matches every Unicode
# decimal digit: full-width and other scripts' digits count as digits.)
_SEP = r"[\s.\-/_\u2010-\u2015\u2212\uFE58\uFE63\uFF0D\uFF0E\uFF0F\uFF3F]"
_SEPARATOR = re.compile(_SEP)
# Digit groups joined by 1-3 separator characters ("123 45 6782", "123 / 456 / 782").
_CHAIN = re.compile(rf"\d+(?:{_SEP}{{1,3}}\d+)*")
_GROUP = re.compile(r"\d+")


class InvalidBSNError(ValueError):
    """The value is not a syntactically valid BSN (format or 11-proef)."""


def _ascii_digits(digits: str) -> str:
    # Full-width (U+FF10..) and other scripts' decimal digits as ASCII, one for one.
    return "".join(str(unicodedata.decimal(ch)) for ch in digits)


def normalize_bsn(value: str) -> str:
    """The one normalisation of a BSN: the 9 ASCII digits, or InvalidBSNError.

    Accepted forms: 9 digits, or 8 with a leading zero implied (`12345672` is `012345672`),
    in ASCII or full-width digits, optionally grouped with spaces, dots, dashes, slashes
    or underscores (`123 456 782`, `1234.56.782`, `123-45-6782`, `123/456/782`); then the
    11-proef (python-stdnum's `nl.bsn`). The free-text check (`contains_bsn`) recognises
    exactly these forms, so what the `bsn` field accepts cannot slip into free text.
    """
    # NFKC first: full-width digits and separators become ASCII ones.
    compact = _SEPARATOR.sub("", unicodedata.normalize("NFKC", value))
    # stdnum would zero-pad any shorter number; only 8 or 9 digits are a BSN.
    if not (compact.isdecimal() and len(compact) in (8, 9)):
        raise InvalidBSNError("not a valid BSN (9 digits passing the 11-proef)")
    compact = _ascii_digits(compact)
    try:
        return str(stdnum_bsn.validate(compact))
    except StdnumValidationError as exc:
        raise InvalidBSNError("not a valid BSN (9 digits passing the 11-proef)") from exc


def is_valid_bsn(value: str) -> bool:
    """True when the value passes the format check and the 11-proef."""
    try:
        normalize_bsn(value)
    except InvalidBSNError:
        return False
    return True


def mask_bsn(value: str) -> str:
    """Show only the last three digits, as staff screens do."""
    return "******" + value[-3:]


def _bsn_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, bsn) of every BSN in free text, in any form `normalize_bsn` accepts.

    A chain of digit groups joined by separators is searched at group boundaries: any run
    of whole groups with 9 digits that passes the 11-proef is a BSN ("ref 42 123 456 782"
    holds one). An 8-digit BSN (leading zero implied) counts only as one unseparated group,
    so dates like 2026-12-07 and phone numbers are not taken for one. A valid BSN inside a
    longer unbroken digit run (an IBAN, a 10-digit phone number) is not a BSN.
    """
    spans: list[tuple[int, int, str]] = []
    for chain in _CHAIN.finditer(text):
        groups = [
            (m.start(), m.end(), _ascii_digits(m.group())) for m in _GROUP.finditer(chain.group())
        ]
        base = chain.start()
        if len(groups) == 1 and len(groups[0][2]) == 8:
            if is_valid_bsn(groups[0][2]):
                spans.append(
                    (base + groups[0][0], base + groups[0][1], normalize_bsn(groups[0][2]))
                )
            continue
        i = 0
        while i < len(groups):
            digits, j, found = "", i, False
            while j < len(groups) and len(digits) + len(groups[j][2]) <= 9:
                digits += groups[j][2]
                j += 1
                if len(digits) == 9 and is_valid_bsn(digits):
                    spans.append((base + groups[i][0], base + groups[j - 1][1], digits))
                    found = True
                    break
            i = j if found else i + 1
    return spans


def contains_bsn(text: str) -> bool:
    """True when free text holds a BSN in any accepted form (spaces, dots, slashes, dashes,
    full-width digits)."""
    return any(ch.isdigit() for ch in text) and bool(_bsn_spans(text))


def mask_bsn_in_text(text: str) -> str:
    """Mask every BSN in free text (any form `contains_bsn` finds) as `******` + last three."""
    if not any(ch.isdigit() for ch in text):
        return text
    spans = _bsn_spans(text)
    for start, end, bsn in reversed(spans):
        text = text[:start] + mask_bsn(bsn) + text[end:]
    return text


def _to_str(value: object) -> object:
    # Accept numbers too, so 123456782 (JSON number) is not silently coerced elsewhere.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value >= 0 else "-"
    return value


def _validate(value: str) -> str:
    try:
        return normalize_bsn(value)
    except InvalidBSNError as exc:
        raise ValueError(str(exc)) from None


BSN_FORMS = (
    "Accepted forms: 9 digits passing the 11-proef, or 8 digits with a leading zero implied; "
    "digits may be grouped with spaces, dots, dashes or slashes (`123 456 782`, "
    "`1234.56.782`) and may be full-width; all normalise to the 9 ASCII digits."
)
"""The accepted forms of a BSN field, for OpenAPI descriptions."""

BSN = Annotated[str, BeforeValidator(_to_str), AfterValidator(_validate)]
"""A pydantic field type: a normalised, 11-proef-valid BSN."""


def _no_bsn(value: str) -> str:
    if contains_bsn(value):
        raise ValueError("must not contain a BSN (free text ends up in events and audit logs)")
    return value


FreeText = Annotated[str, AfterValidator(_no_bsn)]
"""A pydantic field type for free text: refuses anything that looks like a valid BSN."""


class BsnVault:
    """Encrypts BSNs with AES-GCM and computes HMAC-SHA256 lookup hashes."""

    def __init__(self, *, encryption_key: bytes, hash_key: bytes) -> None:
        if len(encryption_key) != 32:
            raise ValueError("BSN encryption key must be 32 bytes (AES-256-GCM)")
        if len(hash_key) < 32:
            raise ValueError("BSN hash key must be at least 32 bytes")
        self._aead = AESGCM(encryption_key)
        self._hash_key = hash_key

    def encrypt(self, bsn: str) -> bytes:
        """Ciphertext as key-version byte + 12-byte nonce + AES-GCM output."""
        nonce = os.urandom(12)
        plain = normalize_bsn(bsn).encode()
        return bytes([_KEY_VERSION]) + nonce + self._aead.encrypt(nonce, plain, _AAD)

    def decrypt(self, blob: bytes) -> str:
        """Inverse of encrypt; raises if the ciphertext was tampered with."""
        if not blob or blob[0] != _KEY_VERSION:
            raise ValueError("unknown BSN key version")
        return self._aead.decrypt(blob[1:13], blob[13:], _AAD).decode()

    def lookup_hash(self, bsn: str) -> str:
        """Keyed hash for equality look-ups; useless without the key (no rainbow tables)."""
        return hmac.new(self._hash_key, normalize_bsn(bsn).encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_settings(
        cls, *, encryption_key_b64: str | None, hash_key_b64: str | None, dev_key_dir: Path
    ) -> BsnVault:
        """Build from base64 keys; in dev/test, fall back to keys generated once on disk."""
        if encryption_key_b64 and hash_key_b64:
            return cls(
                encryption_key=base64.b64decode(encryption_key_b64),
                hash_key=base64.b64decode(hash_key_b64),
            )
        key_file = dev_key_dir / "dev-bsn-keys"
        material = _read_or_create(key_file, 64)
        return cls(encryption_key=material[:32], hash_key=material[32:])


def _read_or_create(path: Path, size: int) -> bytes:
    if path.exists():
        return base64.b64decode(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(base64.b64encode(os.urandom(size)).decode())
    os.chmod(tmp, 0o600)
    try:
        # link() fails if another process created the file first: then use theirs.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return base64.b64decode(path.read_text())
