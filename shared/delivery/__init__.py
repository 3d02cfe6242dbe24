"""One outbound-delivery mechanism (ADR 0028): claimant messages and partner webhooks.

A delivery is a row written in the transaction of the change that causes it (outbox
style), with a unique `dedupe_key` (event, channel, recipient), so a redelivered event
adds nothing. `deliver_due` sends due rows with retries, exponential backoff and a
give-up state, recording every attempt in a delivery log; an attempt is committed
before the provider is called, so a restarted sender knows what was in flight.
"""

from shared.delivery.attempts import Attempt, DeliveryRun, RetryPolicy, Sender, SendOutcome
from shared.delivery.dispatcher import deliver_due, recover_in_doubt
from shared.delivery.models import (
    FINAL_STATUSES,
    DeliveryAttemptMixin,
    DeliveryMixin,
    DeliveryStatus,
    attempt_log_columns,
    delivery_columns,
    delivery_indexes,
)

__all__ = [
    "FINAL_STATUSES",
    "Attempt",
    "DeliveryAttemptMixin",
    "DeliveryMixin",
    "DeliveryRun",
    "DeliveryStatus",
    "RetryPolicy",
    "SendOutcome",
    "Sender",
    "attempt_log_columns",
    "deliver_due",
    "delivery_columns",
    "delivery_indexes",
    "recover_in_doubt",
]
