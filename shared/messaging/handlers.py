"""One way to register event handlers: by payload class, with typed signatures.

A service builds one `HandlerRegistry` and hands `registry.build()` to its consumer. Each
handler is registered for a payload class (`ClaimRegistered`, ...), so the event type comes
from the class (`event_type`) and never from a hand-typed string, and the handler is typed
on the payload it receives: `Callable[[Event[ClaimRegistered], UnitOfWork], None]` sees
`event.data` as a `ClaimRegistered` without an `assert isinstance`. A handler for several
payloads is annotated with the union of their events (`Event[A] | Event[B]`) and registered
once per class (`on(A, h)`, `on(B, h)`); that type-checks because a handler accepting more is
a handler for each. Registration is an explicit table in `<svc>/handlers.py`, so one file
says what a service consumes.

Registering a second handler for one event type is an error (a dict merge used to let the
later one win silently), and so is including a registry that overlaps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from shared.db.uow import UnitOfWork
from shared.events.envelope import Event, EventPayload
from shared.events.registry import REGISTRY, UnknownEventTypeError
from shared.messaging.consumer import Handler

P = TypeVar("P", bound=EventPayload)
TypedHandler = Callable[[Event[P], UnitOfWork], None]


class DuplicateHandlerError(ValueError):
    """Two handlers for one event type in one service."""


class PayloadMismatchError(TypeError):
    """A handler got an event whose payload is not the class it was registered for."""


def _checked(payload: type[P], handler: TypedHandler[P]) -> Handler:
    """The consumer-facing handler: the registry parsed the payload by the event's type, so
    a mismatch is a wiring error, reported as one (not a bare assert that `-O` removes)."""

    def handle(event: Event[Any], uow: UnitOfWork) -> None:
        if not isinstance(event.data, payload):
            raise PayloadMismatchError(
                f"{getattr(handler, '__qualname__', handler)!s} handles {payload.__name__}, "
                f"got {type(event.data).__name__} for {event.type!r}"
            )
        handler(event, uow)

    return functools.update_wrapper(handle, handler)


def _named(event_type: str, handler: Handler) -> Handler:
    """The consumer-facing handler of a by-name registration: it refuses another type."""

    def handle(event: Event[Any], uow: UnitOfWork) -> None:
        if event.type != event_type:
            raise PayloadMismatchError(f"handler for {event_type!r} got {event.type!r}")
        handler(event, uow)

    return functools.update_wrapper(handle, handler)


class HandlerRegistry:
    """The event handlers of one service (or of one feature, included by its service)."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def on(self, payload: type[P], handler: TypedHandler[P]) -> None:
        """Handle every event whose payload is `payload` with `handler`."""
        self._add(payload.event_type, _checked(payload, handler))

    def on_types(self, event_types: Iterable[str], handler: Handler) -> None:
        """A handler that treats many event types alike and reads only the envelope or
        fields they share (message planning, a caseload copy): registered by type name,
        each checked against the event catalogue so a typo fails at start-up."""
        known = {model.event_type for model in REGISTRY.models()}
        for event_type in event_types:
            if event_type not in known:
                raise UnknownEventTypeError(f"no event type {event_type!r} in the catalogue")
            self._add(event_type, _named(event_type, handler))

    def include(self, other: HandlerRegistry) -> None:
        """Take over a feature's registry (its event types must not overlap with ours)."""
        for event_type, handler in other._handlers.items():
            self._add(event_type, handler)

    def _add(self, event_type: str, handler: Handler) -> None:
        if event_type in self._handlers:
            raise DuplicateHandlerError(f"a handler for {event_type!r} is registered already")
        self._handlers[event_type] = handler

    @property
    def event_types(self) -> frozenset[str]:
        """The event types this registry handles (a consumer may skip the rest unparsed)."""
        return frozenset(self._handlers)

    def build(self) -> dict[str, Handler]:
        """The handlers by event type, as the consumer takes them."""
        return dict(self._handlers)

    def __getitem__(self, event_type: str) -> Handler:
        return self._handlers[event_type]

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)
