"""BSN: 11-proef, normalisation, encryption at rest, lookup hash, masking, pydantic type."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.bsn import (
    BSN,
    BsnVault,
    FreeText,
    InvalidBSNError,
    contains_bsn,
    is_valid_bsn,
    mask_bsn,
    mask_bsn_in_text,
    normalize_bsn,
)

ENC_KEY = bytes(range(32))
HASH_KEY = bytes(range(100, 132))
VALID = ["123456782", "111222333"]
PADDED = ("12345672", "012345672")  # 8 digits: a leading zero is implied
INVALID = [
    "123456789",  # fails the 11-proef
    "111222334",
    "1234567823",  # 10 digits
    "12345678a",
    "abcdefghi",
    "",
    "000000000",  # passes the formula but is not a number anyone holds
    "12345 6782x",
]


def eleven_proof(digits: str) -> bool:
    """9A+8B+7C+6D+5E+4F+3G+2H-1I = 0 (mod 11)."""
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11 == 0


def vault(hash_key: bytes = HASH_KEY) -> BsnVault:
    return BsnVault(encryption_key=ENC_KEY, hash_key=hash_key)


# --- 11-proef ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", VALID)
def test_known_valid_bsns(value: str) -> None:
    assert eleven_proof(value)
    assert is_valid_bsn(value)
    assert normalize_bsn(value) == value


def test_eight_digit_bsn_is_left_padded() -> None:
    short, padded = PADDED
    assert eleven_proof(padded)
    assert is_valid_bsn(short)
    assert normalize_bsn(short) == padded


@pytest.mark.parametrize("value", ["1234.56.782", "123 456 782", "123-456-782", " 123456782 "])
def test_separators_are_stripped(value: str) -> None:
    assert normalize_bsn(value) == "123456782"


@pytest.mark.parametrize("value", INVALID)
def test_invalid_bsns_are_rejected(value: str) -> None:
    assert not is_valid_bsn(value)
    with pytest.raises(InvalidBSNError, match="11-proef"):
        normalize_bsn(value)
    assert issubclass(InvalidBSNError, ValueError)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(prefix=st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_at_most_one_check_digit_and_validator_agrees_with_formula(prefix: str) -> None:
    weighted = sum(w * int(d) for w, d in zip(range(9, 1, -1), prefix, strict=True))
    check_digits = [d for d in range(10) if (weighted - d) % 11 == 0]
    # The check digit is the weighted sum mod 11; a remainder of 10 leaves no valid number.
    expected = [] if weighted % 11 == 10 else [weighted % 11]
    assert check_digits == expected

    for digit in range(10):
        candidate = f"{prefix}{digit}"
        formula = eleven_proof(candidate) and candidate != "000000000"
        assert is_valid_bsn(candidate) == formula, candidate
        assert (digit in check_digits) == eleven_proof(candidate)


# --- vault ---------------------------------------------------------------------------------------


def test_encrypt_decrypt_round_trip() -> None:
    v = vault()
    for value in VALID:
        assert v.decrypt(v.encrypt(value)) == value


def test_encryption_uses_a_fresh_nonce() -> None:
    v = vault()
    first, second = v.encrypt("123456782"), v.encrypt("123456782")
    assert first != second
    assert first[1:13] != second[1:13]
    assert first[0] == second[0] == 1  # key version byte
    assert len(first) == 1 + 12 + len("123456782") + 16  # version + nonce + ciphertext + tag


def test_ciphertext_does_not_contain_the_digits() -> None:
    v = vault()
    blob = v.encrypt("123456782")
    assert b"123456782" not in blob
    assert b"123456782" not in base64.b64encode(blob)
    assert "123456782" not in blob.hex()


@pytest.mark.parametrize("position", [1, 12, 13, -1])
def test_tampering_is_detected(position: int) -> None:
    v = vault()
    blob = bytearray(v.encrypt("123456782"))
    blob[position] ^= 0x01
    with pytest.raises(InvalidTag):
        v.decrypt(bytes(blob))


def test_wrong_key_or_version_is_rejected() -> None:
    blob = vault().encrypt("123456782")
    other = BsnVault(encryption_key=bytes(32), hash_key=HASH_KEY)
    with pytest.raises(InvalidTag):
        other.decrypt(blob)
    with pytest.raises(ValueError, match="key version"):
        vault().decrypt(b"\x02" + blob[1:])
    with pytest.raises(ValueError, match="key version"):
        vault().decrypt(b"")


def test_lookup_hash_is_deterministic_and_key_dependent() -> None:
    a, b = vault(), vault()
    assert a.lookup_hash("123456782") == b.lookup_hash("123456782")
    assert len(a.lookup_hash("123456782")) == 64
    assert a.lookup_hash("123456782") != a.lookup_hash("111222333")
    assert vault(hash_key=b"k" * 32).lookup_hash("123456782") != a.lookup_hash("123456782")
    assert "123456782" not in a.lookup_hash("123456782")


def test_key_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        BsnVault(encryption_key=bytes(16), hash_key=HASH_KEY)
    with pytest.raises(ValueError, match="at least 32 bytes"):
        BsnVault(encryption_key=ENC_KEY, hash_key=bytes(31))


def test_from_settings_with_keys_and_with_dev_key_file(tmp_path: Path) -> None:
    configured = BsnVault.from_settings(
        encryption_key_b64=base64.b64encode(ENC_KEY).decode(),
        hash_key_b64=base64.b64encode(HASH_KEY).decode(),
        dev_key_dir=tmp_path / "unused",
    )
    assert configured.lookup_hash("123456782") == vault().lookup_hash("123456782")
    assert not (tmp_path / "unused").exists()

    first = BsnVault.from_settings(encryption_key_b64=None, hash_key_b64=None, dev_key_dir=tmp_path)
    second = BsnVault.from_settings(encryption_key_b64=None, hash_key_b64="", dev_key_dir=tmp_path)
    assert second.decrypt(first.encrypt("123456782")) == "123456782"
    assert first.lookup_hash("123456782") == second.lookup_hash("123456782")
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["dev-bsn-keys"]


# --- masking -------------------------------------------------------------------------------------


def test_mask_bsn_shows_last_three_digits() -> None:
    assert mask_bsn("123456782") == "******782"


def test_mask_in_text_masks_valid_bsns_only() -> None:
    text = (
        "bsn 123456782, ref 123456789, other 111222333; phone 0612345678; "
        "iban-ish 1234567821; id=111222333."
    )
    masked = mask_bsn_in_text(text)
    assert "111222333" not in masked
    # A valid BSN inside a longer digit run (here 10 digits) is not a BSN and stays.
    assert masked == (
        "bsn ******782, ref 123456789, other ******333; phone 0612345678; "
        "iban-ish 1234567821; id=******333."
    )


@pytest.mark.parametrize("text", ["", "no digits here", "order 42", "123456789"])
def test_mask_in_text_leaves_other_text_alone(text: str) -> None:
    assert mask_bsn_in_text(text) == text


# --- pydantic type -------------------------------------------------------------------------------


class Claimant(BaseModel):
    bsn: BSN


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (123456782, "123456782"),
        ("123456782", "123456782"),
        ("1234.56.782", "123456782"),
        (12345672, "012345672"),
        ("12345672", "012345672"),
    ],
)
def test_pydantic_type_accepts_int_and_str(raw: int | str, expected: str) -> None:
    assert Claimant.model_validate({"bsn": raw}).bsn == expected
    assert Claimant.model_validate_json(f'{{"bsn": {raw!r}}}'.replace("'", '"')).bsn == expected


@pytest.mark.parametrize("raw", [123456789, "123456789", "12345678a", True, 1.5, None])
def test_pydantic_type_rejects_invalid(raw: object) -> None:
    with pytest.raises(ValidationError) as info:
        Claimant.model_validate({"bsn": raw})
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [("bsn",)]
    if isinstance(raw, int | str) and not isinstance(raw, bool):
        assert "11-proef" in errors[0]["msg"]


def test_free_text_refuses_a_bsn_in_any_common_notation() -> None:
    from pydantic import TypeAdapter
    from pydantic import ValidationError as PydanticValidationError

    from shared.bsn import FreeText

    adapter = TypeAdapter(FreeText)
    assert adapter.validate_python("logistics, 12 years") == "logistics, 12 years"
    assert adapter.validate_python("order 123456789") == "order 123456789"  # fails the 11-proef
    for text in ("bsn 111222333", "123.456.782", "my number is 123 456 782"):
        with pytest.raises(PydanticValidationError, match="must not contain a BSN"):
            adapter.validate_python(text)


# --- obfuscated forms (issue 13 item 7) ----------------------------------------------------------

OBFUSCATED = [
    "123 456 782",
    "1234 56 782",
    "123.456.782",
    "123-45-6782",
    "123/456/782",
    "123_456_782",
    "123 / 456 / 782",
    "1 2 3 4 5 6 7 8 2",
    "123\u00a0456\u00a0782",  # no-break spaces
    "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff12",  # full-width digits
    "\uff11\uff12\uff13\u3000\uff14\uff15\uff16\u3000\uff17\uff18\uff12",  # full-width digits and ideographic spaces
    "123\uff0f456\uff0f782",  # full-width slashes
    "123\u2013456\u2013782",  # en dashes
]


@pytest.mark.parametrize("form", OBFUSCATED)
def test_every_accepted_form_normalises_to_the_same_bsn(form: str) -> None:
    assert normalize_bsn(form) == "123456782"


@pytest.mark.parametrize("form", OBFUSCATED)
def test_free_text_check_finds_every_form(form: str) -> None:
    text = f"mijn nummer is {form}, bel me"
    assert contains_bsn(text)
    masked = mask_bsn_in_text(text)
    assert masked == "mijn nummer is ******782, bel me"


@pytest.mark.parametrize(
    "text",
    [
        "since 2026-12-07",  # a date: 8 digits in separated groups is no BSN
        "phone 0612345678",
        "call 06 1234 5678",
        "iban NL91ABNA0417164300",
        "version 1.2.3",
        "123 456 789",  # fails the 11-proef
    ],
)
def test_free_text_check_leaves_ordinary_numbers(text: str) -> None:
    assert not contains_bsn(text)
    assert mask_bsn_in_text(text) == text


def test_a_bsn_after_other_numbers_is_still_found() -> None:
    assert mask_bsn_in_text("ref 42 123 456 782") == "ref 42 ******782"


def test_free_text_type_refuses_obfuscated_forms() -> None:
    class Note(BaseModel):
        text: FreeText

    for form in OBFUSCATED:
        with pytest.raises(ValidationError) as info:
            Note(text=f"bsn {form}")
        assert form not in str(info.value.errors(include_input=False))
