"""Inbox consumer: applies each event once, retries with backoff, dead-letters poison.

Every message is handled inside one unit of work that also inserts (consumer, event id)
into the processed-events table; a duplicate delivery finds that row and is skipped.
The caller commits the broker offset only after `process` returns.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Any

import structlog
from pydantic import ValidationError

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

    def process(self, message: IncomingMessage) -> Outcome:
        """Handle one message; never raises for a bad message (only for a broken DLQ)."""
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
        corr = correlation_id_var.set(event.correlationid)
        cause = causation_id_var.set(str(event.id))
        try:
            # The request's correlation id follows the event into this consumer's logs.
            with structlog.contextvars.bound_contextvars(
                correlation_id=event.correlationid, causation_id=str(event.id)
            ):
                return self._apply_with_retries(message, event, handler)
        finally:
            correlation_id_var.reset(corr)
            causation_id_var.reset(cause)

    def _apply_with_retries(
        self, message: IncomingMessage, event: Event[Any], handler: Handler
    ) -> Outcome:
        delay = self._backoff_initial
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._count(self._apply_once(message, event, handler))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "consumer.handler_failed",
                    consumer=self.name,
                    event_type=event.type,
                    event_id=str(event.id),
                    attempt=attempt,
                    error=error[:500],
                )
                if attempt == self._max_attempts:
                    return self._dead_letter(message, error, attempt)
                time.sleep(delay)
                delay = min(delay * 2, self._backoff_max)
        raise AssertionError("unreachable")

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
            uow.session.add(
                self._processed(
                    consumer=self.name,
                    event_id=event.id,
                    event_type=event.type,
                    origin_topic=message.topic,
                    origin_partition=message.partition,
                    origin_offset=message.offset,
                )
            )
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
