"""What a delivery attempt is made of: the retry policy, the `Attempt` handed to a
channel's `Sender` and the `SendOutcome` it returns; the counts of a dispatcher run and its
Prometheus counters. The dispatcher that uses them is `shared.delivery.dispatcher`.
"""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter
from sqlalchemy import update

from shared import faults
from shared.db.uow import UnitOfWork
from shared.delivery.models import DeliveryStatus

Outcome = Literal["sent", "retry", "bounced", "suppressed", "unconfirmed"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a delivery is retried.

    The wait after the n-th failed attempt is `base * factor**(n-1)`, at most `max_wait`;
    after `max_attempts` failed attempts the delivery is `failed` (given up). `lease` is
    how long an attempt may be in flight before a sender presumes its owner died.
    """

    max_attempts: int = 8
    base: dt.timedelta = dt.timedelta(seconds=30)
    factor: float = 2.0
    max_wait: dt.timedelta = dt.timedelta(hours=6)
    lease: dt.timedelta = dt.timedelta(minutes=5)

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt."""
        wait = self.base * (self.factor ** max(attempts - 1, 0))
        return min(wait, self.max_wait)


@dataclass(frozen=True)
class SendOutcome:
    """What one attempt came to.

    sent: accepted (with the provider's id). retry: a transient failure (no answer, a 4xx
    SMTP reply, an HTTP 5xx): tried again after the backoff. bounced: refused for good
    (unknown mailbox, invalid number): never tried again. suppressed: no longer wanted.
    unconfirmed: handed over, but the answer was lost (it may have arrived).
    """

    outcome: Outcome
    provider_message_id: str | None = None
    status_code: int | None = None
    error: str | None = None

    @classmethod
    def sent(
        cls, provider_message_id: str | None = None, status_code: int | None = None
    ) -> SendOutcome:
        return cls("sent", provider_message_id=provider_message_id, status_code=status_code)

    @classmethod
    def retry(cls, error: str, status_code: int | None = None) -> SendOutcome:
        return cls("retry", error=error[:500], status_code=status_code)

    @classmethod
    def bounced(cls, error: str, status_code: int | None = None) -> SendOutcome:
        return cls("bounced", error=error[:500], status_code=status_code)

    @classmethod
    def suppressed(cls, reason: str) -> SendOutcome:
        return cls("suppressed", error=reason[:500])

    @classmethod
    def unconfirmed(cls, error: str) -> SendOutcome:
        """The provider got the whole message but its answer was lost: it may have it, so
        it is not sent again by itself (never twice)."""
        return cls("unconfirmed", error=error[:500])


class Attempt:
    """Handed to a sender: which attempt this is, and the hand-over step."""

    def __init__(
        self, uows: Callable[[], UnitOfWork], model: type[Any], row_id: uuid.UUID, number: int
    ) -> None:
        self._uows, self._model, self.row_id, self.number = uows, model, row_id, number
        self.handed_over = False

    def handing_over(self) -> None:
        """Commit `handed_over` now: the provider is about to get the complete message.

        From here a crash leaves the outcome unknown, so the delivery is not sent again
        by itself (`recover_in_doubt` makes it `unconfirmed`)."""
        with self._uows() as uow:
            uow.session.execute(
                update(self._model)
                .where(
                    self._model.id == self.row_id,
                    self._model.status == DeliveryStatus.SENDING,
                )
                .values(status=DeliveryStatus.HANDED_OVER)
            )
            uow.commit()
        self.handed_over = True
        faults.point("delivery.after_handing_over")


class Sender(Protocol):
    """A channel: sends one delivery row (detached, read-only) and says how it went.

    It must not raise for a failure of the delivery itself (return `retry` or `bounced`);
    an exception is recorded as a `retry`."""

    def __call__(self, row: Any, attempt: Attempt, /) -> SendOutcome: ...


class DeliveryCounters:
    """Prometheus counters of deliveries by channel and outcome (one set per registry)."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        kwargs: dict[str, Any] = {"registry": registry} if registry is not None else {}
        self.attempts = Counter(
            "ww_delivery_attempts",
            "Outbound delivery attempts, by kind (message, webhook), channel and outcome",
            ["kind", "channel", "outcome"],
            **kwargs,
        )

    @classmethod
    def for_registry(cls, registry: CollectorRegistry | None) -> DeliveryCounters:
        # Keyed by the registry itself, held weakly: keyed by `id()`, a registry created
        # after another was collected could get its id and find counters registered in
        # the dead one (its own /metrics would then never show them).
        key = REGISTRY if registry is None else registry
        found = _COUNTERS.get(key)
        if found is None:
            found = _COUNTERS[key] = cls(registry)
        return found


_COUNTERS: weakref.WeakKeyDictionary[CollectorRegistry, DeliveryCounters] = (
    weakref.WeakKeyDictionary()
)


@dataclass
class DeliveryRun:
    """Counts of one dispatcher run."""

    attempted: int = 0
    sent: int = 0
    retrying: int = 0
    bounced: int = 0
    failed: int = 0
    suppressed: int = 0
    recovered: int = 0
    unconfirmed: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def delivered(self) -> int:
        """Alias of `sent` (the webhook dispatcher's earlier name)."""
        return self.sent
