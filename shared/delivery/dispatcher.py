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
from collections.abc import Callable, Mapping
from typing import Any, cast

from prometheus_client import CollectorRegistry
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from shared import faults
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.delivery.attempts import (
    Attempt,
    DeliveryCounters,
    DeliveryRun,
    RetryPolicy,
    Sender,
    SendOutcome,
)
from shared.delivery.models import DeliveryStatus
from shared.logging import get_logger

log = get_logger(__name__)


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
_STOPPED_HANDED_OVER = "the sender stopped after handing the message over; not sent again"


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
            given_up = _give_up_exhausted(uow, model, now, policy, log_model, on_final)
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
                    last_error=_STOPPED_HANDED_OVER,
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


def _give_up_exhausted(
    uow: UnitOfWork,
    model: type[Any],
    now: dt.datetime,
    policy: RetryPolicy,
    log_model: type[Any] | None,
    on_final: Callable[[UnitOfWork, Any], None] | None,
) -> int:
    """Expired `sending` rows with no attempts left become `failed` (logged, `on_final`);
    flushed, so the bulk updates of `_recover` skip them. Returns how many."""
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
            _log_attempt(
                uow, log_model, row, row.attempts, DeliveryStatus.FAILED.value, _STOPPED_LAST, now
            )
        if on_final is not None:
            on_final(uow, row)
    uow.session.flush()  # before the bulk updates of `_recover`, which skip them now
    return len(exhausted)


def _log_attempt(
    uow: UnitOfWork,
    log_model: type[Any],
    row: Any,
    number: int,
    outcome: str,
    error: str | None,
    at: dt.datetime,
    result: SendOutcome | None = None,
) -> None:
    """Add the delivery log row of attempt `number` of `row`."""
    uow.session.add(
        log_model(
            id=uuid.uuid4(),
            delivery_id=row.id,
            attempt=number,
            channel=row.channel,
            outcome=outcome,
            status_code=result.status_code if result is not None else None,
            provider_message_id=result.provider_message_id if result is not None else None,
            error=error,
            at=at,
        )
    )


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
        result = _send(senders.get(row.channel), row, Attempt(uows, model, row.id, number), kind)
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
        _count(run, final)
    return run


def _send(sender: Sender | None, row: Any, attempt: Attempt, kind: str) -> SendOutcome:
    """The sender's outcome; no sender for the channel bounces, an exception is a retry."""
    if sender is None:
        return SendOutcome.bounced(f"no sender for channel {row.channel}")
    try:
        return sender(row, attempt)
    except Exception as exc:  # one bad row must not block the others
        log.warning(
            "delivery.sender_error",
            kind=kind,
            channel=row.channel,
            error=type(exc).__name__,
        )
        return SendOutcome.retry(f"{type(exc).__name__}: {exc}")


def _count(run: DeliveryRun, final: str | None) -> None:
    """Count the attempt's resulting status in `run` (a superseded one, None, is not)."""
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
            _log_attempt(uow, log_model, row, number, result.outcome, result.error, at, result)
            uow.commit()
            log.warning(
                "delivery.superseded",
                table=model.__tablename__,
                delivery_id=str(row_id),
                attempt=number,
            )
            return None
        final = _settle(row, result, at, policy)
        outcome = "failed" if result.outcome == "retry" and final else result.outcome
        _log_attempt(uow, log_model, row, number, outcome, result.error, at, result)
        if final and on_final is not None:
            on_final(uow, row)
        status = str(row.status)
        uow.commit()
    if status == DeliveryStatus.FAILED:
        log.warning(
            "delivery.given_up", table=model.__tablename__, delivery_id=str(row_id), attempts=number
        )
    return status


_FINAL_OUTCOME = {
    "bounced": DeliveryStatus.BOUNCED,
    "suppressed": DeliveryStatus.SUPPRESSED,
    "unconfirmed": DeliveryStatus.UNCONFIRMED,
}


def _settle(row: Any, result: SendOutcome, at: dt.datetime, policy: RetryPolicy) -> bool:
    """Write `result` on the claimed `row`: its new status, error and next attempt (after
    the backoff, or none). Returns True when the delivery ended (not pending again)."""
    row.lease_until = None
    row.last_status_code = result.status_code
    if result.provider_message_id:
        row.provider_message_id = result.provider_message_id
    row.next_attempt_at = None
    row.last_error = result.error
    if result.outcome == "sent":
        row.status = DeliveryStatus.SENT
        row.delivered_at = at
        row.last_error = None
    elif result.outcome in _FINAL_OUTCOME:
        row.status = _FINAL_OUTCOME[result.outcome]
    elif row.attempts >= policy.max_attempts:
        row.status = DeliveryStatus.FAILED
    else:
        row.status = DeliveryStatus.PENDING
        row.next_attempt_at = at + policy.backoff(row.attempts)
    final = row.status != DeliveryStatus.PENDING
    if final:
        row.finished_at = at
    return final
