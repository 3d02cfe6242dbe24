"""What an SMS provider adapter offers: send one text to one number as one attempt."""

from __future__ import annotations

from typing import Protocol

from shared.delivery import Attempt, SendOutcome


class SmsProvider(Protocol):
    """An SMS provider (GOV.UK Notify / NotifyNL, a file sink, ...).

    `reference` is our delivery id (the provider keeps it with the message, so its
    dashboard and our delivery log can be matched). `attempt.handing_over()` is called
    right before the provider is given the message. Never raises for a failed delivery:
    it returns `retry` (try again later) or `bounced` (never again)."""

    def send(
        self, *, phone: str, body: str, reference: str, attempt: Attempt | None = None
    ) -> SendOutcome: ...
