"""Which channels a message goes out on, and the settings production refuses (ADR 0028)."""

from __future__ import annotations

import base64
import os
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from intake.messages.kinds import Channel, Kind
from intake.messages.planning import channels_for, dedupe_key, language_of
from intake.settings import IntakeSettings


def _claim(**kw: Any) -> Any:
    base = {
        "email": "a@example.org",
        "phone": "+31612345678",
        "contact_preference": None,
        "sms_notifications": True,
        "preferred_language": None,
    }
    return SimpleNamespace(**{**base, **kw})


def test_email_by_default_with_an_sms_notice_for_appointments() -> None:
    assert channels_for(_claim(), Kind.INVITATION) == [Channel.EMAIL, Channel.SMS]
    assert channels_for(_claim(), Kind.OBLIGATION_MISSED) == [Channel.EMAIL]


def test_paper_when_preferred_or_without_email_but_never_a_paper_reminder() -> None:
    assert channels_for(_claim(contact_preference="post"), Kind.INVITATION) == [
        Channel.LETTER,
        Channel.SMS,
    ]
    assert channels_for(_claim(email=None, phone=None), Kind.CASE_CLOSED) == [Channel.LETTER]
    assert channels_for(_claim(email=None, phone=None), Kind.REMINDER) == []
    assert channels_for(_claim(contact_preference="post", phone=None), Kind.REMINDER) == []


def test_a_summons_always_goes_on_paper_too() -> None:
    assert channels_for(_claim(sms_notifications=False), Kind.SUMMONS) == [
        Channel.EMAIL,
        Channel.LETTER,
    ]


def test_sms_off_or_no_phone_means_no_sms() -> None:
    assert Channel.SMS not in channels_for(_claim(sms_notifications=False), Kind.REMINDER)
    assert Channel.SMS not in channels_for(_claim(phone=None), Kind.REMINDER)


def test_language_and_key() -> None:
    assert language_of(_claim(preferred_language="en")) == "en"  # type: ignore[arg-type]
    assert language_of(_claim(preferred_language=None)) == "nl"  # type: ignore[arg-type]
    import uuid

    e = uuid.uuid4()
    assert dedupe_key(e, Kind.REMINDER, Channel.EMAIL) == f"{e}:reminder:email"


def _prod(**kw: Any) -> IntakeSettings:
    key = base64.b64encode(os.urandom(32)).decode()
    return IntakeSettings(
        environment="prod",
        auth_mode="jwks",
        auth_jwks_url="https://login.example.org/jwks.json",
        bsn_encryption_key=SecretStr(key),
        bsn_hash_key=SecretStr(key),
        idempotency_key_secret=SecretStr(key),
        **kw,
    )


def test_production_refuses_the_file_sms_sink_and_notify_without_its_key() -> None:
    with pytest.raises(ValueError, match="sms_provider"):
        _prod()
    with pytest.raises(ValueError, match="notify_api_key"):
        _prod(sms_provider="notify")
    assert _prod(sms_provider="none").sms_provider == "none"
    ok = _prod(
        sms_provider="notify",
        notify_api_key=SecretStr("k-00000000-0000-0000-0000-000000000000-x"),
        notify_sms_template_id="00000000-0000-0000-0000-000000000000",
    )
    assert ok.sms_provider == "notify"
