"""NotifySmsSender with the official Notify client against the fake Notify API.

The fake (tests/support/notify.py) checks the JWT signed with the key's secret, so these
tests also show the key is split and used as the real API expects.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pydantic import SecretStr

from shared.sms.notify import NotifySmsSender
from shared.sms.provider import SmsProvider
from shared.sms.sink import FileSmsSink, read_sms
from tests.support.notify import FakeNotify


class FakeAttempt:
    def __init__(self) -> None:
        self.row_id, self.number = uuid.uuid4(), 1
        self.handed_over = False

    def handing_over(self) -> None:
        self.handed_over = True


def _sender(fake: FakeNotify, **overrides: object) -> NotifySmsSender:
    values: dict[str, object] = {
        "api_key": SecretStr(fake.api_key),
        "base_url": fake.base_url,
        "template_id": fake.template_id,
        "timeout_s": 5.0,
    }
    values.update(overrides)
    return NotifySmsSender(**values)  # type: ignore[arg-type]


def test_an_sms_is_sent_through_the_generic_template_with_our_reference(
    fake_notify: FakeNotify,
) -> None:
    attempt = FakeAttempt()
    outcome = _sender(fake_notify).send(
        phone="+31612345678",
        body="Herinnering: uw intakegesprek is woensdag 9 december om 09:30.",
        reference="delivery-1",
        attempt=attempt,  # type: ignore[arg-type]
    )
    assert outcome.outcome == "sent"
    (got,) = fake_notify.received
    assert outcome.provider_message_id == got["id"]
    assert got["template_id"] == fake_notify.template_id
    assert got["personalisation"] == {
        "body": "Herinnering: uw intakegesprek is woensdag 9 december om 09:30."
    }
    assert got["reference"] == "delivery-1"
    assert attempt.handed_over


def test_an_invalid_number_bounces_and_the_number_is_not_kept(fake_notify: FakeNotify) -> None:
    outcome = _sender(fake_notify).send(phone="0612", body="x", reference="d")
    assert (outcome.outcome, outcome.status_code) == ("bounced", 400)
    assert outcome.error == "notify 400: phone_number Not enough digits"


def test_a_key_with_the_wrong_secret_bounces_with_403(fake_notify: FakeNotify) -> None:
    wrong = f"ww_test-{fake_notify.service_id}-{uuid.uuid4()}"
    outcome = _sender(fake_notify, api_key=SecretStr(wrong)).send(
        phone="+31612345678", body="x", reference="d"
    )
    assert (outcome.outcome, outcome.status_code) == ("bounced", 403)
    assert fake_notify.received == []


def test_an_unknown_template_bounces(fake_notify: FakeNotify) -> None:
    outcome = _sender(fake_notify, template_id=str(uuid.uuid4())).send(
        phone="+31612345678", body="x", reference="d"
    )
    assert (outcome.outcome, outcome.status_code) == ("bounced", 400)


def test_rate_limits_and_server_errors_are_retried(fake_notify: FakeNotify) -> None:
    sender = _sender(fake_notify)
    for status in (429, 500, 503):
        fake_notify.fail_next(status)
        outcome = sender.send(phone="+31612345678", body="x", reference="d")
        assert (outcome.outcome, outcome.status_code) == ("retry", status)
    assert sender.send(phone="+31612345678", body="x", reference="d").outcome == "sent"


def test_no_answer_is_retried(fake_notify: FakeNotify) -> None:
    fake_notify.delay_s = 1.5
    outcome = _sender(fake_notify, timeout_s=0.3).send(
        phone="+31612345678", body="x", reference="d"
    )
    # The client reports a timeout (no response) as 503.
    assert (outcome.outcome, outcome.status_code) == ("retry", 503)


def test_a_provider_that_is_down_is_retried(fake_notify: FakeNotify) -> None:
    sender = _sender(fake_notify)
    fake_notify.stop()
    outcome = sender.send(phone="+31612345678", body="x", reference="d")
    assert outcome.outcome == "retry"


def test_the_file_sink_keeps_each_sms_for_ww_mail_sms(tmp_path: Path) -> None:
    sink: SmsProvider = FileSmsSink(tmp_path / "sms")
    attempt = FakeAttempt()
    outcome = sink.send(
        phone="+31612345678",
        body="Uw afspraak is verzet.",
        reference="delivery-2",
        attempt=attempt,  # type: ignore[arg-type]
    )
    assert outcome.outcome == "sent"
    (stored,) = read_sms(tmp_path / "sms")
    assert (stored.id, stored.body, stored.reference) == (
        outcome.provider_message_id,
        "Uw afspraak is verzet.",
        "delivery-2",
    )
    assert attempt.handed_over
    assert list((tmp_path / "sms").glob(".incoming-*")) == []


def test_both_providers_satisfy_the_protocol(fake_notify: FakeNotify, tmp_path: Path) -> None:
    providers: list[SmsProvider] = [_sender(fake_notify), FileSmsSink(tmp_path)]
    assert all(
        p.send(phone="+31612345678", body="x", reference="r").outcome == "sent" for p in providers
    )
