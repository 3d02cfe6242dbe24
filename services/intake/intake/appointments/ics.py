"""iCalendar (RFC 5545) text of an appointment, written by hand: pure, no I/O, no dependency."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//UWV WW//Intake//NL"
SUMMARY = "Intakegesprek WW / WW intake"
SUMMONED = (
    "U bent opgeroepen voor dit gesprek. Komt u niet, dan kan dat gevolgen hebben voor uw "
    "WW-uitkering; bel ons als u niet kunt komen.\n"
    "You have been summoned to this meeting. If you do not attend, your WW benefit may be "
    "affected; call us if you cannot come."
)


@dataclass(frozen=True)
class IcsEvent:
    """What goes into the VEVENT of an appointment."""

    appointment_id: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    cancelled: bool = False


def escape(text: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newlines (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets (UTF-8), never inside a character (RFC 5545 3.1)."""
    parts: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            parts.append(current)
            # A continuation line starts with one space, which counts towards its 75 octets.
            current, size, limit = "", 0, MAX_OCTETS - 1
        current += ch
        size += n
    parts.append(current)
    return (CRLF + " ").join(parts)


def utc_stamp(moment: dt.datetime) -> str:
    """A DATE-TIME in UTC form (`19980119T070000Z`); a naive value is refused."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def render(event: IcsEvent, *, now: dt.datetime) -> str:
    """The VCALENDAR with one VEVENT, CRLF line endings, folded lines."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.appointment_id}@ww",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape(SUMMARY)}",
        f"LOCATION:{escape(event.location)}",
        f"DESCRIPTION:{escape(SUMMONED)}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines)
