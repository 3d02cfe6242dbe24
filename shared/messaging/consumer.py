"""Inbox consumer: applies each event once, retries with backoff, dead-letters poison.

Every message is handled inside one unit of work that also inserts (consumer, event id)
into the processed-events table; a duplicate delivery finds that row and is skipped.
The caller commits the broker offset only after `process` returns.
"""

from __future__ import annotations

import contextlib
import enum
import time
from collections.abc import Callable, Iterator
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import select

from shared.bsn import mask_bsn_in_text
from shared.context import causation_id_var, correlation_id_var
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.events.registry import EventRegistry, UnknownEventTypeError
from shared.logging import get_logger
from shared.messaging.transport import DeadLetterSink, IncomingMessage

log = get_logger(__name__)

Handler = Callable[[Event[Any], UnitOfWork], None]


class Outcome(enum.StrEnum):
    """What happened to one delivered message."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


class EventConsumer:
    """Transport-independent message processing for one consumer (service)."""

    def __init__(
        self,
        *,
        name: str,
        uow_factory: Callable[[], UnitOfWork],
        processed_model: type[Any],
        registry: EventRegistry,
        handlers: dict[str, Handler],
        dead_letters: DeadLetterSink,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.05,
        backoff_max_s: float = 5.0,
        metrics: Any = None,
    ) -> None:
        self.name = name
        self._uow_factory = uow_factory
        self._processed = processed_model
        self._registry = registry
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial_s
        self._backoff_max = backoff_max_s
        self._metrics = metrics

    def _parse(self, message: IncomingMessage) -> tuple[Event[Any], Handler] | Outcome:
        """The typed event and its handler, or the outcome when there is nothing to apply."""
        try:
            event = self._registry.parse(message.value)
        except ValidationError as exc:
            # Name the failing locations only: the rejected input could hold personal data.
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '$'}: {e['type']}" for e in exc.errors()
            )
            return self._dead_letter(message, f"unparseable: ValidationError: {problems}", 1)
        except (UnknownEventTypeError, ValueError) as exc:
            return self._dead_letter(message, f"unparseable: {type(exc).__name__}: {exc}", 1)
        handler = self._handlers.get(event.type)
        if handler is None:
            return self._count(Outcome.IGNORED)
        return event, handler

    def process(self, message: IncomingMessage) -> Outcome:
        """Handle one message; never raises for a bad message (only for a broken DLQ)."""
        parsed = self._parse(message)
        if isinstance(parsed, Outcome):
            return parsed
        event, handler = parsed
        with _event_context(event):
            return self._apply_with_retries(message, event, handler)

    def process_batch(self, messages: list[IncomingMessage]) -> list[Outcome]:
        """Handle a poll batch in one transaction; on any failure, message by message.

        One commit for the batch instead of one per message: the inbox rows still make
        every effect idempotent, and a failing message falls back to the per-message
        path with its retries and dead-lettering, so it cannot hold the others back.
        """
        outcomes: dict[int, Outcome] = {}
        work: list[tuple[int, IncomingMessage, Event[Any], Handler]] = []
        for i, message in enumerate(messages):
            parsed = self._parse(message)
            if isinstance(parsed, Outcome):
                outcomes[i] = parsed
            else:
                work.append((i, message, *parsed))
        if len(work) == 1:
            i, message, event, handler = work[0]
            with _event_context(event):
                outcomes[i] = self._apply_with_retries(message, event, handler)
        elif work:
            try:
                outcomes.update(self._apply_batch(work))
            except Exception as exc:
                failed = exc.index if isinstance(exc, _BatchItemFailed) else None
                log.info(
                    "consumer.batch_fallback",
                    consumer=self.name,
                    size=len(work),
                    error=str(exc)[:300],
                )
                for i, message, event, handler in work:
                    with _event_context(event):
                        if i == failed:
                            # Its first attempt was the batch; it gets the remaining ones.
                            self._log_failure(event, 1, exc)
                            outcomes[i] = self._apply_with_retries(
                                message, event, handler, first_attempt=2
                            )
                        else:
                            outcomes[i] = self._apply_with_retries(message, event, handler)
        return [outcomes[i] for i in range(len(messages))]

    def _apply_batch(
        self, work: list[tuple[int, IncomingMessage, Event[Any], Handler]]
    ) -> dict[int, Outcome]:
        processed = self._processed
        results: dict[int, Outcome] = {}
        with self._uow_factory() as uow:
            done = set(
                uow.session.scalars(
                    select(processed.event_id).where(
                        processed.consumer == self.name,
                        processed.event_id.in_([event.id for _, _, event, _ in work]),
                    )
                )
            )
            for i, message, event, handler in work:
                if event.id in done:
                    results[i] = Outcome.DUPLICATE
                    continue
                done.add(event.id)
                uow.session.add(self._processed_row(message, event))
                with _event_context(event):
                    try:
                        handler(event, uow)
                    except Exception as exc:
                        raise _BatchItemFailed(i, exc) from exc
                # Later events of the batch must see this one's rows (autoflush is off).
                uow.session.flush()
                results[i] = Outcome.PROCESSED
            uow.commit()
        for outcome in results.values():
            if outcome is Outcome.DUPLICATE:
                log.info("consumer.duplicate_skipped", consumer=self.name)
            self._count(outcome)
        return results

    def _processed_row(self, message: IncomingMessage, event: Event[Any]) -> Any:
        return self._processed(
            consumer=self.name,
            event_id=event.id,
            event_type=event.type,
            origin_topic=message.topic,
            origin_partition=message.partition,
            origin_offset=message.offset,
        )

    def _apply_with_retries(
        self,
        message: IncomingMessage,
        event: Event[Any],
        handler: Handler,
        *,
        first_attempt: int = 1,
    ) -> Outcome:
        delay = self._backoff_initial
        attempt = first_attempt
        while True:
            if attempt > 1:
                time.sleep(delay)
                delay = min(delay * 2, self._backoff_max)
            try:
                return self._count(self._apply_once(message, event, handler))
            except Exception as exc:
                self._log_failure(event, attempt, exc)
                if attempt >= self._max_attempts:
                    return self._dead_letter(message, f"{type(exc).__name__}: {exc}", attempt)
            attempt += 1

    def _log_failure(self, event: Event[Any], attempt: int, exc: Exception) -> None:
        cause = exc.cause if isinstance(exc, _BatchItemFailed) else exc
        log.warning(
            "consumer.handler_failed",
            consumer=self.name,
            event_type=event.type,
            event_id=str(event.id),
            attempt=attempt,
            error=f"{type(cause).__name__}: {cause}"[:500],
        )

    def _apply_once(self, message: IncomingMessage, event: Event[Any], handler: Handler) -> Outcome:
        with self._uow_factory() as uow:
            if uow.session.get(self._processed, (self.name, event.id)) is not None:
                log.info(
                    "consumer.duplicate_skipped",
                    consumer=self.name,
                    event_type=event.type,
                    event_id=str(event.id),
                )
                return Outcome.DUPLICATE
            uow.session.add(self._processed_row(message, event))
            handler(event, uow)
            uow.commit()
        log.debug(
            "consumer.processed", consumer=self.name, event_type=event.type, event_id=str(event.id)
        )
        return Outcome.PROCESSED

    def _dead_letter(self, message: IncomingMessage, error: str, attempts: int) -> Outcome:
        error = mask_bsn_in_text(error)
        log.error(
            "consumer.dead_lettered",
            consumer=self.name,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            error=error[:500],
        )
        self._dead_letters.dead_letter(message, consumer=self.name, error=error, attempts=attempts)
        return self._count(Outcome.DEAD_LETTERED)

    def _count(self, outcome: Outcome) -> Outcome:
        if self._metrics is not None:
            self._metrics.consumed.labels(outcome=outcome.value).inc()
        return outcome


class _BatchItemFailed(Exception):
    """A handler failed inside a batch: which item, and why."""

    def __init__(self, index: int, cause: Exception) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.index = index
        self.cause = cause


@contextlib.contextmanager
def _event_context(event: Event[Any]) -> Iterator[None]:
    """Correlation and causation ids of the event: for new events and for the logs."""
    corr = correlation_id_var.set(event.correlationid)
    cause = causation_id_var.set(str(event.id))
    try:
        with structlog.contextvars.bound_contextvars(
            correlation_id=event.correlationid, causation_id=str(event.id)
        ):
            yield
    finally:
        correlation_id_var.reset(corr)
        causation_id_var.reset(cause)
