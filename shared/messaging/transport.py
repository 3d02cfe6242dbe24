"""Transport-neutral message types and the publisher protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message ready for the broker."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message as delivered to a consumer, with its origin for the DLQ and forensics."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class PublishError(RuntimeError):
    """The broker did not acknowledge every message of a batch."""


class Publisher(Protocol):
    """Delivers a batch; returns only when every message is acknowledged, else raises."""

    def publish(self, messages: list[OutgoingMessage]) -> None: ...

    def check(self) -> None:
        """Raise if the broker is unreachable (readiness)."""
        ...

    def close(self) -> None: ...


class DeadLetterSink(Protocol):
    """Where a consumer puts messages it gives up on."""

    def dead_letter(
        self, message: IncomingMessage, *, consumer: str, error: str, attempts: int
    ) -> None: ...
