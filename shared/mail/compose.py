"""Build one claimant e-mail: plain text and HTML alternatives, the `.ics` as attachment.

The caller gives the Message-ID (derived from the delivery id), so a resent attempt of
one delivery carries the same id and a mail client or archive can tell it is the same
message. Every header value is checked for line breaks: a subject or address taken from
data must never be able to add headers (header injection).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import re
from email.headerregistry import Address
from email.message import EmailMessage

# The attachment's name in the message language (a claimant sees it in their mail client).
ICS_FILENAMES = {"nl": "uitnodiging.ics", "en": "invitation.ics"}

_LINE_BREAK = re.compile(r"[\r\n\x00]")
# RFC 5322 msg-id: "<" id-left "@" id-right ">" without spaces or brackets inside.
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")


class HeaderInjectionError(ValueError):
    """A header value contains a line break (or NUL): refused, never sent."""


def _header(name: str, value: str) -> str:
    if _LINE_BREAK.search(value):
        raise HeaderInjectionError(f"the {name} header may not contain a line break")
    return value


def _mailbox(name: str, value: str) -> str:
    """One mailbox (`Name <addr@domain>` or `addr@domain`), checked, as given."""
    _header(name, value)
    found = email.utils.getaddresses([value])
    if len(found) != 1:
        raise ValueError(f"the {name} header is not one e-mail address")
    display, addr = found[0]
    if not addr or "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise ValueError(f"the {name} header is not one e-mail address")
    # Address() refuses what a server would read as more than one mailbox.
    local, _, domain = addr.rpartition("@")
    return str(Address(display_name=display, username=local, domain=domain))


def envelope_address(value: str) -> str:
    """The bare address (for MAIL FROM / RCPT TO) of a `Name <addr>` header value."""
    _header("address", value)
    return email.utils.parseaddr(value)[1]


def compose(
    *,
    sender: str,
    reply_to: str | None,
    to: str,
    subject: str,
    text: str,
    html: str,
    ics: str | None,
    message_id: str,
    language: str,
    date: dt.datetime | None = None,
) -> EmailMessage:
    """One multipart message: text/plain + text/html alternatives, and the `.ics` attached.

    `sender` is the office's From (`Name <address>`), `reply_to` its reply address;
    `message_id` is given by the caller (`<id@domain>`); `date` defaults to now.
    Raises `HeaderInjectionError` for a line break in any header value and `ValueError`
    for an address that is not exactly one mailbox."""
    if not _MESSAGE_ID.fullmatch(_header("Message-ID", message_id)):
        raise ValueError("the Message-ID must look like <id@domain>")
    if not _LANGUAGE.fullmatch(_header("Content-Language", language)):
        raise ValueError("the language must be a language tag such as nl or en")
    msg = EmailMessage(policy=email.policy.default)
    msg["From"] = _mailbox("From", sender)
    if reply_to:
        msg["Reply-To"] = _mailbox("Reply-To", reply_to)
    msg["To"] = _mailbox("To", to)
    msg["Subject"] = _header("Subject", subject)
    msg["Date"] = email.utils.format_datetime(date or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = message_id
    # RFC 3834: an automatic message; well-behaved autoresponders do not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    # Exchange/Outlook ignore Auto-Submitted; this keeps their out-of-office replies away.
    msg["X-Auto-Response-Suppress"] = "All"
    # Quoted-printable keeps the parts readable in a mail sink and in `ww mail show`.
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if ics is not None:
        msg.add_attachment(
            ics,
            subtype="calendar",
            filename=ICS_FILENAMES.get(language.split("-")[0].lower(), ICS_FILENAMES["en"]),
            cte="quoted-printable",
            # method=PUBLISH: an appointment to put in the calendar, not a meeting
            # request to answer (we do not process iTIP replies).
            params={"method": "PUBLISH"},
        )
    # After the parts: set_content and make_mixed move every Content-* header of the
    # top level into the first part.
    msg["Content-Language"] = language
    return msg


def text_part(msg: EmailMessage) -> str | None:
    """The text/plain body of a message (for `ww mail show` and tests)."""
    part = msg.get_body(preferencelist=("plain",))
    if part is None:
        return None
    content = part.get_content()  # type: ignore[attr-defined]
    # A message read back from the wire keeps its CRLF line ends.
    return str(content).replace("\r\n", "\n")
