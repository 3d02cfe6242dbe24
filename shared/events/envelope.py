"""One envelope for every event; attribute names follow CloudEvents 1.0.

CloudEvents core attributes: specversion, id, source (the producing service), type, subject
(the aggregate: the claim id for claim events, the coach id for roster events), time,
datacontenttype. Extension attributes (lower-case alphanumerics, as CloudEvents requires):
schemaversion, correlationid, causationid.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.context import causation_id_var, current_correlation_id


class EventPayload(BaseModel):
    """Base of every payload: frozen, strict about unknown fields when produced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    producer: ClassVar[str]
    subject_field: ClassVar[str] = "claim_id"

    def subject(self) -> uuid.UUID:
        """The aggregate id that becomes the envelope subject and the Kafka key."""
        value = getattr(self, self.subject_field)
        assert isinstance(value, uuid.UUID)
        return value


P = TypeVar("P", bound=BaseModel)


class _EnvelopeFields(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    type: str = Field(pattern=r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
    schemaversion: int = Field(ge=1)
    source: str
    subject: uuid.UUID
    time: AwareDatetime
    correlationid: str = Field(min_length=1, max_length=128)
    causationid: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"

    @field_validator("time")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)


class RawEvent(_EnvelopeFields):
    """An envelope whose payload has not been typed yet (first parsing step).

    Consumers ignore envelope attributes they do not know, so a producer may add a
    CloudEvents extension without breaking older consumers.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    data: dict[str, Any]


class Event(_EnvelopeFields, Generic[P]):
    """An envelope with a typed payload."""

    data: P

    @property
    def event_id(self) -> uuid.UUID:
        """Alias: the event id."""
        return self.id

    @property
    def occurred_at(self) -> dt.datetime:
        """Alias: when the event happened (aware UTC)."""
        return self.time

    @classmethod
    def create(
        cls,
        payload: EventPayload,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        occurred_at: dt.datetime | None = None,
    ) -> Event[Any]:
        """Wrap a payload, taking correlation and causation ids from the current context."""
        return Event[Any](
            id=uuid.uuid4(),
            type=payload.event_type,
            schemaversion=payload.event_version,
            source=payload.producer,
            subject=payload.subject(),
            time=occurred_at or dt.datetime.now(dt.UTC),
            correlationid=correlation_id or current_correlation_id(),
            causationid=causation_id if causation_id is not None else causation_id_var.get(),
            data=payload,
        )

    def to_json_bytes(self) -> bytes:
        """Serialise for the wire (UTF-8 JSON)."""
        return self.model_dump_json().encode()

    HEADER_KEYS: ClassVar[tuple[str, ...]] = (
        "ce_id",
        "ce_type",
        "ce_schemaversion",
        "ce_source",
        "ce_subject",
        "ce_correlationid",
    )

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """Binary-mode CloudEvents style headers, so tools can route without parsing."""
        return [
            ("ce_id", str(self.id).encode()),
            ("ce_type", self.type.encode()),
            ("ce_schemaversion", str(self.schemaversion).encode()),
            ("ce_source", self.source.encode()),
            ("ce_subject", str(self.subject).encode()),
            ("ce_correlationid", self.correlationid.encode()),
        ]
