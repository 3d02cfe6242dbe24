"""What the claimant is told, on which events, and through which channels."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A message kind: one template set per kind and language."""

    INVITATION = "invitation"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    REMINDER = "reminder"
    SUMMONS = "summons"
    OBLIGATION_MISSED = "obligation_missed"
    INCOME_STATEMENT_MISSING = "income_statement_missing"
    CASE_CLOSED = "case_closed"


class Channel(StrEnum):
    """How a message travels."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


# Kinds about one appointment: they carry the appointment, can be suppressed when it is
# no longer booked at that time, and get a short SMS notice when the claimant has a phone.
APPOINTMENT_KINDS = frozenset(
    {Kind.INVITATION, Kind.RESCHEDULED, Kind.REMINDER, Kind.SUMMONS, Kind.CANCELLED}
)
SMS_KINDS = APPOINTMENT_KINDS
# A reminder 2 working days ahead would arrive too late on paper: never by post.
NO_LETTER_KINDS = frozenset({Kind.REMINDER})
# A summons after a no-show can affect the benefit: it always goes on paper as well, so
# that it can be shown to have been sent (in addition to e-mail when preferred).
ALWAYS_LETTER_KINDS = frozenset({Kind.SUMMONS})
# An .ics calendar file is attached to e-mails that announce a (new) time.
ICS_KINDS = frozenset({Kind.INVITATION, Kind.RESCHEDULED, Kind.SUMMONS, Kind.REMINDER})

EVENT_KINDS: dict[str, Kind] = {
    "intake.scheduled": Kind.INVITATION,  # or SUMMONS when `summoned`
    "intake.rescheduled": Kind.RESCHEDULED,
    "intake.cancelled": Kind.CANCELLED,
    "intake.reminder_due": Kind.REMINDER,
    "obligation.missed": Kind.OBLIGATION_MISSED,
    "starters.income_statement_missing": Kind.INCOME_STATEMENT_MISSING,
    "claim.closed": Kind.CASE_CLOSED,
}
"""The events that make a message (`intake.scheduled` with `summoned` makes a summons)."""
