"""Event envelope, payload models of every service and the registry that maps them."""

from shared.events.envelope import Event, EventPayload, RawEvent
from shared.events.registry import REGISTRY, EventRegistry, UnknownEventTypeError

# Importing the payload modules registers every event type.
from shared.events import coaching, intake, starters, triage  # noqa: F401  isort: skip

__all__ = [
    "REGISTRY",
    "Event",
    "EventPayload",
    "EventRegistry",
    "RawEvent",
    "UnknownEventTypeError",
]
