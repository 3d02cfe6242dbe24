"""SMS through GOV.UK Notify or NotifyNL (same API), with their official Python client.

One generic Notify template holds only `((body))`: our own templates render the text,
so the wording lives in this repository (reviewed, in nl and en) and not in a provider's
dashboard. `reference` carries our delivery id into Notify's records.

Classification of Notify's answers (docs.notifications.service.gov.uk, "Error codes"):
201 -> sent (the notification id); 400 (invalid number, trial-mode recipient, bad
template) and 403 (bad key) -> bounced; 429 (rate or daily limit), 5xx and no answer
(the client reports those as 503) -> retry.
"""

from __future__ import annotations

import re
from typing import Any

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from pydantic import SecretStr

from shared.delivery import Attempt, SendOutcome
from shared.logging import get_logger

log = get_logger(__name__)

# GOV.UK Notify's API; NotifyNL runs the same API at the address it gives at onboarding.
GOV_UK_NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
_DIGITS = re.compile(r"\+?\d[\d ]{5,}\d")


def _error_text(exc: APIError) -> str:
    message = exc.message
    if isinstance(message, list):
        text = "; ".join(
            str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in message
        )
    else:
        text = str(message)
    # A provider's message may echo the number: never keep it.
    return _DIGITS.sub("<number>", text)[:300]


class NotifySmsSender:
    """An `SmsProvider` for GOV.UK Notify / NotifyNL."""

    def __init__(
        self,
        api_key: SecretStr,
        base_url: str,
        template_id: str,
        *,
        timeout_s: float = 30.0,
        sms_sender_id: str | None = None,
    ) -> None:
        self.template_id = template_id
        self.sms_sender_id = sms_sender_id
        self._client = NotificationsAPIClient(
            api_key.get_secret_value(), base_url=base_url, timeout=timeout_s
        )

    def send(
        self, *, phone: str, body: str, reference: str, attempt: Attempt | None = None
    ) -> SendOutcome:
        """Send one SMS; never raises for a failed delivery."""
        if attempt is not None:
            # The request carries the whole message: from here Notify may have it.
            attempt.handing_over()
        try:
            response: Any = self._client.send_sms_notification(
                phone_number=phone,
                template_id=self.template_id,
                personalisation={"body": body},
                reference=reference,
                sms_sender_id=self.sms_sender_id,
            )
        except APIError as exc:
            status = exc.status_code
            error = f"notify {status}: {_error_text(exc)}"
            if status in (400, 403):
                outcome = SendOutcome.bounced(error, status_code=status)
            else:
                outcome = SendOutcome.retry(error, status_code=status)
        else:
            notification_id = response.get("id") if isinstance(response, dict) else None
            outcome = SendOutcome.sent(
                str(notification_id) if notification_id else None, status_code=201
            )
        log.info(
            "sms.attempt",
            provider="notify",
            reference=reference,
            outcome=outcome.outcome,
            status_code=outcome.status_code,
        )
        return outcome
