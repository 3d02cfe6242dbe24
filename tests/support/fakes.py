"""Small fakes and factories for messaging and API tests (no broker, no network)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from shared.clock import local_today
from shared.events.coaching import CoachDeactivated, CoachRegistered
from shared.events.common import RegistrationChannel
from shared.events.envelope import Event, EventPayload
from shared.events.intake import ClaimRegistered
from shared.messaging.transport import IncomingMessage, OutgoingMessage, PublishError


@dataclass
class FakePublisher:
    """Records every batch; fails while `fail` is set; `on_publish` runs before acknowledging."""

    fail: bool = False
    batches: list[list[OutgoingMessage]] = field(default_factory=list)
    failures: int = 0
    on_publish: Callable[[list[OutgoingMessage]], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, messages: list[OutgoingMessage]) -> None:
        """Accept the batch, or raise PublishError when told to fail."""
        if self.on_publish is not None:
            self.on_publish(messages)
        with self._lock:
            if self.fail:
                self.failures += 1
                raise PublishError("broker unavailable (fake)")
            self.batches.append(list(messages))

    @property
    def messages(self) -> list[OutgoingMessage]:
        """Every message acknowledged, in order."""
        return [m for batch in self.batches for m in batch]

    def check(self) -> None:
        """Reachable unless failing."""
        if self.fail:
            raise PublishError("broker unavailable (fake)")

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class DeadLetter:
    """One dead-lettered message as the sink saw it."""

    message: IncomingMessage
    consumer: str
    error: str
    attempts: int


@dataclass
class FakeDeadLetters:
    """A DeadLetterSink that keeps what it receives."""

    letters: list[DeadLetter] = field(default_factory=list)

    def dead_letter(
        self, message: IncomingMessage, *, consumer: str, error: str, attempts: int
    ) -> None:
        """Remember the message."""
        self.letters.append(DeadLetter(message, consumer, error, attempts))


def claim_registered(
    *, claim_id: uuid.UUID | None = None, office_code: str = "AMS", **extra: Any
) -> ClaimRegistered:
    """A valid claim.registered payload."""
    return ClaimRegistered(
        claim_id=claim_id or uuid.uuid4(),
        office_code=office_code,
        first_ww_day=local_today(),
        registered_at=dt.datetime.now(dt.UTC),
        channel=RegistrationChannel.STAFF,
        **extra,
    )


def coach_registered(
    *, coach_id: uuid.UUID | None = None, office_code: str = "AMS", **extra: Any
) -> CoachRegistered:
    """A valid coach.registered payload (services refuse coach tokens of unknown coaches)."""
    fields: dict[str, Any] = {
        "display_name": "Sanne de Boer",
        "specialisms": [],
        "contract_hours": 32,
        "holds_intakes": True,
    } | extra
    return CoachRegistered(coach_id=coach_id or uuid.uuid4(), office_code=office_code, **fields)


def coach_deactivated(*, coach_id: uuid.UUID, office_code: str = "AMS") -> CoachDeactivated:
    """A valid coach.deactivated payload."""
    return CoachDeactivated(
        coach_id=coach_id, office_code=office_code, deactivated_at=dt.datetime.now(dt.UTC)
    )


def incoming(
    payload: EventPayload | Event[Any] | bytes,
    *,
    topic: str = "ww.test",
    offset: int = 0,
    correlation_id: str | None = None,
) -> IncomingMessage:
    """Wrap a payload (or a ready event, or raw bytes) as a delivered message."""
    if isinstance(payload, bytes):
        value = payload
    else:
        event = (
            payload
            if isinstance(payload, Event)
            else Event.create(payload, correlation_id=correlation_id)
        )
        value = event.to_json_bytes()
    return IncomingMessage(topic=topic, partition=0, offset=offset, key=None, value=value)


def iter_routes(app: FastAPI) -> Iterator[tuple[str, frozenset[str]]]:
    """(path template, methods) of every route, looking inside included routers.

    FastAPI >= 0.16x keeps included routers as lazy `_IncludedRouter` entries in
    `app.routes`; those expose `effective_route_contexts()`. Older versions list plain routes.
    """

    def walk(routes: Any) -> Iterator[tuple[str, frozenset[str]]]:
        for route in routes:
            contexts = getattr(route, "effective_route_contexts", None)
            if contexts is not None:
                for ctx in contexts():
                    yield str(ctx.path), frozenset(ctx.methods or ())
                continue
            sub = getattr(route, "routes", None)
            if sub is not None and not hasattr(route, "endpoint"):
                prefix = getattr(route, "path", "")
                for path, methods in walk(sub):
                    yield prefix + path, methods
                continue
            yield str(route.path), frozenset(getattr(route, "methods", None) or ())

    yield from walk(app.routes)
