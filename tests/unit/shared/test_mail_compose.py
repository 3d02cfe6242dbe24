"""shared.mail.compose: the parts of a claimant e-mail, its headers, and no header injection."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from typing import Any, cast

import icalendar
import pytest

from shared.mail.compose import HeaderInjectionError, compose, text_part

WHEN = dt.datetime(2026, 12, 9, 9, 30, tzinfo=dt.UTC)


def _ics() -> str:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//UWV WW//intake//NL")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", "intake-1@ww.example")
    event.add("dtstamp", WHEN)
    event.add("dtstart", WHEN)
    event.add("dtend", WHEN + dt.timedelta(minutes=45))
    event.add("summary", "Intakegesprek WW")
    event.add("location", "Singel 540, 1017 AZ Amsterdam")
    cal.add_component(event)
    return cal.to_ical().decode()


def _compose(**overrides: Any) -> EmailMessage:
    values: dict[str, Any] = {
        "sender": "UWV WW Amsterdam <ww-amsterdam@uwv.example>",
        "reply_to": "Team WW Amsterdam <team-ams@uwv.example>",
        "to": "Jan de Vries <jan@example.nl>",
        "subject": "Uitnodiging voor uw intakegesprek op woensdag 9 december",
        "text": "Beste Jan,\n\n.Een regel die met een punt begint.\n",
        "html": "<p>Beste Jan,</p>",
        "ics": _ics(),
        "message_id": "<msg-1@ww.example>",
        "language": "nl",
        "date": WHEN,
    }
    values.update(overrides)
    return compose(**values)


def _round_trip(msg: EmailMessage) -> EmailMessage:
    raw = msg.as_bytes(policy=email.policy.SMTP)
    return cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))


def test_text_and_html_are_alternatives_and_the_ics_is_attached() -> None:
    msg = _round_trip(_compose())
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = cast(list[EmailMessage], msg.get_payload())
    assert alternative.get_content_type() == "multipart/alternative"
    parts = cast(list[EmailMessage], alternative.get_payload())
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "text/html",
    ]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "uitnodiging.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_content_charset() == "utf-8"
    assert text_part(msg) == "Beste Jan,\n\n.Een regel die met een punt begint.\n"
    html = msg.get_body(preferencelist=("html",))
    assert html is not None
    assert "<p>Beste Jan,</p>" in html.get_content()


def test_the_attachment_parses_as_a_calendar_with_the_appointment() -> None:
    msg = _round_trip(_compose())
    (attachment,) = list(msg.iter_attachments())
    cal = icalendar.Calendar.from_ical(attachment.get_content())
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == WHEN
    assert str(event["location"]) == "Singel 540, 1017 AZ Amsterdam"


def test_the_attachment_is_named_in_the_message_language() -> None:
    msg = _compose(language="en", subject="Your intake interview")
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "invitation.ics"


def test_without_ics_there_is_no_attachment() -> None:
    msg = _round_trip(_compose(ics=None))
    assert msg.get_content_type() == "multipart/alternative"
    assert list(msg.iter_attachments()) == []


def test_headers_message_id_date_language_and_auto_submitted() -> None:
    msg = _round_trip(_compose())
    assert msg["Message-ID"] == "<msg-1@ww.example>"
    assert email.utils.parsedate_to_datetime(str(msg["Date"])) == WHEN
    assert msg["Content-Language"] == "nl"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["From"] == "UWV WW Amsterdam <ww-amsterdam@uwv.example>"
    assert msg["Reply-To"] == "Team WW Amsterdam <team-ams@uwv.example>"
    assert msg["To"] == "Jan de Vries <jan@example.nl>"


def test_the_same_input_gives_the_same_message_id() -> None:
    assert _compose()["Message-ID"] == _compose()["Message-ID"]


def test_no_reply_to_when_none_is_given() -> None:
    assert _compose(reply_to=None)["Reply-To"] is None


def test_non_ascii_subject_and_names_survive_the_wire() -> None:
    msg = _round_trip(
        _compose(to="Zoë Çelik <zoe@example.nl>", subject="Uw afspraak is verzet: nieuwe tijd")
    )
    assert msg["Subject"] == "Uw afspraak is verzet: nieuwe tijd"
    assert msg["To"].addresses[0].display_name == "Zoë Çelik"
    raw = _compose(subject="Uw afspraak é").as_bytes(policy=email.policy.SMTP)
    assert raw.isascii()  # encoded words: no 8-bit headers for an old relay


@pytest.mark.parametrize(
    "field",
    ["subject", "to", "sender", "reply_to", "message_id", "language"],
)
@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r"])
def test_a_line_break_in_any_header_is_refused(field: str, brk: str) -> None:
    good = {
        "subject": "Uitnodiging",
        "to": "jan@example.nl",
        "sender": "ww@uwv.example",
        "reply_to": "team@uwv.example",
        "message_id": "<m@ww.example>",
        "language": "nl",
    }[field]
    with pytest.raises(HeaderInjectionError):
        _compose(**{field: f"{good}{brk}Bcc: everyone@example.org"})


def test_more_than_one_recipient_is_refused() -> None:
    with pytest.raises(ValueError, match="one e-mail address"):
        _compose(to="jan@example.nl, piet@example.nl")


@pytest.mark.parametrize("to", ["", "jan", "@example.nl", "jan@"])
def test_an_address_that_is_not_a_mailbox_is_refused(to: str) -> None:
    with pytest.raises(ValueError, match="e-mail address"):
        _compose(to=to)


@pytest.mark.parametrize("message_id", ["msg-1@ww.example", "<no-at>", "<a b@c>"])
def test_a_malformed_message_id_is_refused(message_id: str) -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        _compose(message_id=message_id)
