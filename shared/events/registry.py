"""Registry from (type, schema version) to payload model; consumers parse through it."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ConfigDict, ValidationError

from shared.events.envelope import Event, EventPayload, RawEvent

T = TypeVar("T", bound=type[EventPayload])


class UnknownEventTypeError(LookupError):
    """No payload model is registered for this type and version."""


class EventRegistry:
    """Maps event type + version to its payload model and a lenient reader model."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[EventPayload]] = {}
        self._readers: dict[tuple[str, int], type[EventPayload]] = {}

    def register(self, model: T) -> T:
        """Class decorator: register a payload model under its type and version."""
        key = (model.event_type, model.event_version)
        if key in self._models:
            raise ValueError(f"duplicate event registration {key}")
        self._models[key] = model
        # Consumers tolerate fields added later within the same version (additive changes).
        reader = type(
            f"{model.__name__}Reader",
            (model,),
            {
                "model_config": ConfigDict(frozen=True, extra="ignore"),
                "__module__": model.__module__,
            },
        )
        self._readers[key] = reader
        return model

    def model_for(self, event_type: str, version: int) -> type[EventPayload]:
        """The producing-side model; raises UnknownEventTypeError."""
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise UnknownEventTypeError(f"{event_type} v{version}") from None

    def models(self) -> list[type[EventPayload]]:
        """All registered payload models, sorted by type and version."""
        return [self._models[k] for k in sorted(self._models)]

    def parse(self, raw: bytes | str) -> Event[Any]:
        """Parse wire bytes to a typed event; raises ValidationError or UnknownEventTypeError."""
        envelope = RawEvent.model_validate_json(raw)
        key = (envelope.type, envelope.schemaversion)
        reader = self._readers.get(key)
        if reader is None:
            raise UnknownEventTypeError(f"{envelope.type} v{envelope.schemaversion}")
        payload = reader.model_validate(envelope.data)
        fields = envelope.model_dump(exclude={"data"})
        return Event[Any](**fields, data=payload)


REGISTRY = EventRegistry()

__all__ = ["REGISTRY", "EventRegistry", "UnknownEventTypeError", "ValidationError"]
