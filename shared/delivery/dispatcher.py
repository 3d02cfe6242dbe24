"""Send due deliveries: retries with exponential backoff, a give-up state, a delivery log.

Each attempt runs in three steps, each its own transaction:

1. *claim*: the row is locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two senders
   never take the same row), `attempts` is raised, the status becomes `sending` with a
   lease, and this is committed **before** the provider is called;
2. *send*: the channel's sender calls the provider. A sender that can tell the moment the
   provider gets the complete message (SMTP: the end-of-data line) calls
   `attempt.handing_over()` just before it, which commits `handed_over`;
3. *record*: the outcome (sent, retry, bounced, suppressed) is written with a delivery
   log row, and the owner's `on_final` hook runs in the same transaction when the
   delivery ended (e.g. a failed e-mail queues a letter).

A sender that dies leaves `sending` or `handed_over` behind. `recover_in_doubt` (run at
the start of every `deliver_due`) returns an expired `sending` row to `pending`: the
provider never had the whole message (an SMTP server drops a transaction without its
end-of-data), so sending it again cannot duplicate it. An expired `handed_over` row
becomes `unconfirmed`: the provider may have it, so it is never sent again by itself.
An expired `sending` row whose attempts are used up (its sender died on every attempt)
is `failed` instead of pending. A sender that outlives its lease finds its attempt
superseded by the next one: its outcome is logged, the delivery keeps the newer one's.
"""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from prometheus_client import REGISTRY, CollectorRegistry, Counter
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from shared import faults
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.delivery.models import DeliveryStatus
from shared.logging import get_logger

log = get_logger(__name__)

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


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


def recover_in_doubt(
    uows: Callable[[], UnitOfWork], model: type[Any], *, now: dt.datetime
) -> tuple[int, int]:
    """Settle attempts whose sender died (lease expired): `sending` -> `pending` (safe to
    send again), `handed_over` -> `unconfirmed` (may have arrived; never sent twice).
    Returns (returned to pending, unconfirmed)."""
    back, doubt, _ = _recover(uows, model, now=now)
    return back, doubt


_STOPPED_LAST = "the sender stopped during the last attempt; given up"


def _recover(
    uows: Callable[[], UnitOfWork],
    model: type[Any],
    *,
    now: dt.datetime,
    policy: RetryPolicy | None = None,
    log_model: type[Any] | None = None,
    on_final: Callable[[UnitOfWork, Any], None] | None = None,
) -> tuple[int, int, int]:
    """`recover_in_doubt`, and with a `policy`: an expired `sending` row whose attempts
    are used up is `failed` (logged, `on_final` in the same transaction) instead of
    pending. A delivery that kills its sender every time (a poison message) would
    otherwise be claimed, and kill the run, forever: `_record`, where the give-up is
    decided, is never reached. Returns (pending, unconfirmed, given up)."""
    given_up = 0
    with uows() as uow:
        if policy is not None:
            exhausted = uow.session.scalars(
                select(model)
                .where(
                    model.status == DeliveryStatus.SENDING,
                    model.lease_until < now,
                    model.attempts >= policy.max_attempts,
                )
                .with_for_update(skip_locked=True)
            ).all()
            for row in exhausted:
                row.status = DeliveryStatus.FAILED
                row.lease_until = None
                row.next_attempt_at = None
                row.finished_at = now
                row.last_error = _STOPPED_LAST
                if log_model is not None:
                    uow.session.add(
                        log_model(
                            id=uuid.uuid4(),
                            delivery_id=row.id,
                            attempt=row.attempts,
                            channel=row.channel,
                            outcome=DeliveryStatus.FAILED.value,
                            error=_STOPPED_LAST,
                            at=now,
                        )
                    )
                if on_final is not None:
                    on_final(uow, row)
            uow.session.flush()  # before the bulk updates below, which skip them now
            given_up = len(exhausted)
        back = _rowcount(
            uow.session.execute(
                update(model)
                .where(model.status == DeliveryStatus.SENDING, model.lease_until < now)
                .values(status=DeliveryStatus.PENDING, next_attempt_at=now, lease_until=None)
            )
        )
        doubt = _rowcount(
            uow.session.execute(
                update(model)
                .where(model.status == DeliveryStatus.HANDED_OVER, model.lease_until < now)
                .values(
                    status=DeliveryStatus.UNCONFIRMED,
                    lease_until=None,
                    next_attempt_at=None,
                    finished_at=now,
                    last_error="the sender stopped after handing the message over; not sent again",
                )
            )
        )
        uow.commit()
    if back or doubt or given_up:
        log.warning(
            "delivery.recovered",
            table=model.__tablename__,
            pending=back,
            unconfirmed=doubt,
            given_up=given_up,
        )
    return back, doubt, given_up


def _due_ids(session: Session, model: type[Any], now: dt.datetime, limit: int) -> list[uuid.UUID]:
    stmt = (
        select(model.id)
        .where(model.status == DeliveryStatus.PENDING, model.next_attempt_at <= now)
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _claim(
    uow: UnitOfWork,
    model: type[Any],
    row_id: uuid.UUID,
    now: dt.datetime,
    policy: RetryPolicy,
    *,
    at: dt.datetime,
) -> Any:
    row = uow.session.scalars(
        select(model)
        .where(
            model.id == row_id,
            model.status == DeliveryStatus.PENDING,
            model.next_attempt_at <= now,
        )
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None:
        return None
    row.attempts += 1
    row.status = DeliveryStatus.SENDING
    row.last_attempt_at = at
    row.lease_until = at + policy.lease
    return row


def deliver_due(
    uows: Callable[[], UnitOfWork],
    model: type[Any],
    log_model: type[Any],
    senders: Mapping[str, Sender],
    *,
    kind: str,
    policy: RetryPolicy | None = None,
    now: dt.datetime | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    limit: int = 100,
    on_final: Callable[[UnitOfWork, Any], None] | None = None,
    registry: CollectorRegistry | None = None,
) -> DeliveryRun:
    """Send the deliveries of `model` due at `now` (at most `limit`), oldest due first.

    `senders` maps a row's `channel` to its sender; a row whose channel has none fails at
    once. `on_final(uow, row)` runs in the transaction that ends a delivery (sent,
    bounced, failed, suppressed). `now` fixes the due moment (tests); the time of each
    attempt is `clock()` unless `now` is given. Any error of one delivery is a failed
    attempt of that delivery only: it never stops the others.
    """
    policy = policy or RetryPolicy()
    due_at = now or clock()
    counters = DeliveryCounters.for_registry(registry)
    run = DeliveryRun()
    run.recovered, run.unconfirmed, run.failed = _recover(
        uows, model, now=due_at, policy=policy, log_model=log_model, on_final=on_final
    )
    with uows() as uow:
        ids = _due_ids(uow.session, model, due_at, limit)
    for row_id in ids:
        at = now or clock()
        with uows() as uow:
            row = _claim(uow, model, row_id, due_at, policy, at=at)
            if row is None:
                continue
            uow.commit()
        faults.point("delivery.after_claim")
        number = row.attempts
        sender = senders.get(row.channel)
        attempt = Attempt(uows, model, row.id, number)
        if sender is None:
            result = SendOutcome.bounced(f"no sender for channel {row.channel}")
        else:
            try:
                result = sender(row, attempt)
            except Exception as exc:  # one bad row must not block the others
                log.warning(
                    "delivery.sender_error",
                    kind=kind,
                    channel=row.channel,
                    error=type(exc).__name__,
                )
                result = SendOutcome.retry(f"{type(exc).__name__}: {exc}")
        faults.point("delivery.before_record")
        final = _record(
            uows,
            model,
            log_model,
            row.id,
            number,
            result,
            at=now or clock(),
            policy=policy,
            on_final=on_final,
        )
        run.attempted += 1
        run.by_channel[row.channel] = run.by_channel.get(row.channel, 0) + 1
        counters.attempts.labels(kind, row.channel, final or "superseded").inc()
        if final == DeliveryStatus.SENT:
            run.sent += 1
        elif final == DeliveryStatus.PENDING:
            run.retrying += 1
        elif final == DeliveryStatus.BOUNCED:
            run.bounced += 1
        elif final == DeliveryStatus.FAILED:
            run.failed += 1
        elif final == DeliveryStatus.SUPPRESSED:
            run.suppressed += 1
        elif final == DeliveryStatus.UNCONFIRMED:
            run.unconfirmed += 1
    return run


def _record(
    uows: Callable[[], UnitOfWork],
    model: type[Any],
    log_model: type[Any],
    row_id: uuid.UUID,
    number: int,
    result: SendOutcome,
    *,
    at: dt.datetime,
    policy: RetryPolicy,
    on_final: Callable[[UnitOfWork, Any], None] | None,
) -> str | None:
    """Write the attempt's outcome; returns the delivery's status, or None when the
    attempt was superseded (its lease expired and another attempt took over)."""
    with uows() as uow:
        row = uow.session.scalars(select(model).where(model.id == row_id).with_for_update()).one()
        if (
            row.status not in (DeliveryStatus.SENDING, DeliveryStatus.HANDED_OVER)
            or row.attempts != number
        ):
            # Another sender settled it meanwhile (our lease expired): theirs stands. The
            # provider was still called, so the attempt goes into the log (a duplicate sent
            # this way must be visible there), but the delivery is left as it is.
            uow.session.add(
                log_model(
                    id=uuid.uuid4(),
                    delivery_id=row.id,
                    attempt=number,
                    channel=row.channel,
                    outcome=result.outcome,
                    status_code=result.status_code,
                    provider_message_id=result.provider_message_id,
                    error=result.error,
                    at=at,
                )
            )
            uow.commit()
            log.warning(
                "delivery.superseded",
                table=model.__tablename__,
                delivery_id=str(row_id),
                attempt=number,
            )
            return None
        row.lease_until = None
        row.last_status_code = result.status_code
        if result.provider_message_id:
            row.provider_message_id = result.provider_message_id
        if result.outcome == "sent":
            row.status = DeliveryStatus.SENT
            row.delivered_at = at
            row.next_attempt_at = None
            row.last_error = None
        elif result.outcome == "bounced":
            row.status = DeliveryStatus.BOUNCED
            row.next_attempt_at = None
            row.last_error = result.error
        elif result.outcome == "suppressed":
            row.status = DeliveryStatus.SUPPRESSED
            row.next_attempt_at = None
            row.last_error = result.error
        elif result.outcome == "unconfirmed":
            row.status = DeliveryStatus.UNCONFIRMED
            row.next_attempt_at = None
            row.last_error = result.error
        elif row.attempts >= policy.max_attempts:
            row.status = DeliveryStatus.FAILED
            row.next_attempt_at = None
            row.last_error = result.error
        else:
            row.status = DeliveryStatus.PENDING
            row.next_attempt_at = at + policy.backoff(row.attempts)
            row.last_error = result.error
        final = row.status != DeliveryStatus.PENDING
        if final:
            row.finished_at = at
        uow.session.add(
            log_model(
                id=uuid.uuid4(),
                delivery_id=row.id,
                attempt=number,
                channel=row.channel,
                outcome=result.outcome if not (result.outcome == "retry" and final) else "failed",
                status_code=result.status_code,
                provider_message_id=result.provider_message_id,
                error=result.error,
                at=at,
            )
        )
        if final and on_final is not None:
            on_final(uow, row)
        status = str(row.status)
        uow.commit()
    if status == DeliveryStatus.FAILED:
        log.warning(
            "delivery.given_up", table=model.__tablename__, delivery_id=str(row_id), attempts=number
        )
    return status
