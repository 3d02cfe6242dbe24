"""Event envelope and registry: round trips, strictness, versioning and context propagation."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.context import causation_id_var, correlation_id_var
from shared.events import REGISTRY, Event, EventPayload, EventRegistry, UnknownEventTypeError
from shared.events.intake import ClaimRegistered
from shared.events.triage import FactorContribution, TriageScored

TYPE_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
MODELS = REGISTRY.models()
MODEL_IDS = [f"{m.event_type}.v{m.event_version}" for m in MODELS]
CLAIM_ID = uuid.UUID("6f1c2d7e-1111-4a2b-9c3d-5e6f7a8b9c0d")
AMSTERDAM = dt.timezone(dt.timedelta(hours=2))

R = TypeVar("R")


def in_fresh_context(fn: Callable[[], R]) -> R:
    """Run with empty correlation/causation context, so no test leaks into another."""

    def run() -> R:
        correlation_id_var.set(None)
        causation_id_var.set(None)
        return fn()

    return contextvars.copy_context().run(run)


# --- deterministic payload factory, driven by the model's own JSON Schema -------------------

_PATTERN_EXAMPLES = {r"^\d{4}-\d{2}$": "2026-03"}


def _example(schema: dict[str, Any], defs: dict[str, Any], *, full: bool, path: str) -> Any:
    if "$ref" in schema:
        return _example(defs[schema["$ref"].rsplit("/", 1)[1]], defs, full=full, path=path)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][-1]
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _example(options[0], defs, full=full, path=path)
    kind = schema.get("type")
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid5(CLAIM_ID, path))
        if fmt == "date":
            return "2026-03-02"
        if fmt == "date-time":
            return "2026-03-02T09:30:00+01:00"
        if "pattern" in schema:
            return _PATTERN_EXAMPLES[schema["pattern"]]
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        high = schema.get("maximum", low + 10)
        value = min(low + 1, high)
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "array":
        return [_example(schema["items"], defs, full=full, path=f"{path}/0")]
    if kind == "object":
        props = schema.get("properties", {})
        if not props:
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                return {"k": _example(extra, defs, full=full, path=f"{path}/k")}
            return {}
        required = set(schema.get("required", ()))
        return {
            name: _example(sub, defs, full=full, path=f"{path}/{name}")
            for name, sub in props.items()
            if full or name in required
        }
    raise AssertionError(f"no example rule for {path}: {schema}")


def sample_data(model: type[EventPayload], *, full: bool = True) -> dict[str, Any]:
    """JSON-ready payload data: every field filled (full) or only the required ones."""
    schema = model.model_json_schema()
    return _example(schema, schema.get("$defs", {}), full=full, path=model.__name__)


def sample(model: type[EventPayload], *, full: bool = True) -> EventPayload:
    return model.model_validate(sample_data(model, full=full))


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("full", [True, False], ids=["all-fields", "required-only"])
@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_round_trip_through_registry(model: type[EventPayload], full: bool) -> None:
    payload = sample(model, full=full)
    event = in_fresh_context(lambda: Event.create(payload, causation_id="cmd-1"))

    parsed = REGISTRY.parse(event.to_json_bytes())

    assert isinstance(parsed.data, model)
    assert parsed.data.model_dump() == payload.model_dump()
    assert parsed.model_dump(exclude={"data"}) == event.model_dump(exclude={"data"})
    assert parsed.type == model.event_type
    assert parsed.schemaversion == model.event_version
    assert parsed.source == model.producer
    assert parsed.subject == getattr(payload, model.subject_field)
    assert parsed.causationid == "cmd-1"
    # Parsing the str form works as well, and re-serialising is stable.
    assert REGISTRY.parse(parsed.to_json_bytes().decode()).to_json_bytes() == event.to_json_bytes()


def test_registered_set_covers_every_producer() -> None:
    assert {m.producer for m in MODELS} == {"intake", "triage", "coaching", "starters"}
    assert MODELS == sorted(MODELS, key=lambda m: (m.event_type, m.event_version))
    assert len(set(MODEL_IDS)) == len(MODEL_IDS)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    probability=st.floats(min_value=0, max_value=1, allow_nan=False),
    factors=st.lists(
        st.builds(
            FactorContribution,
            factor=st.sampled_from(["age", "sector", "work_history"]),
            value=st.text(max_size=8),
            contribution=st.floats(allow_nan=False, allow_infinity=False, width=32),
        ),
        max_size=4,
    ),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_triage_scored_round_trips_for_generated_values(
    probability: float, factors: list[FactorContribution], offset_minutes: int
) -> None:
    data = sample_data(TriageScored)
    data.update(probability=probability, factors=[f.model_dump() for f in factors])
    payload = TriageScored.model_validate(data)
    tz = dt.timezone(dt.timedelta(minutes=offset_minutes))
    occurred = dt.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=tz)
    event = in_fresh_context(lambda: Event.create(payload, occurred_at=occurred))

    parsed = REGISTRY.parse(event.to_json_bytes())

    assert parsed.data.model_dump() == payload.model_dump()
    assert parsed.time == occurred
    assert parsed.time.utcoffset() == dt.timedelta(0)


# --- strict producers, lenient readers ---------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_producing_model_forbids_extra_fields(model: type[EventPayload]) -> None:
    data = sample_data(model)
    with pytest.raises(ValidationError, match=r"extra_forbidden|Extra inputs"):
        model.model_validate({**data, "added_later": 1})


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_reader_ignores_fields_added_within_a_version(model: type[EventPayload]) -> None:
    event = in_fresh_context(lambda: Event.create(sample(model)))
    wire = json.loads(event.to_json_bytes())
    wire["data"]["added_later"] = {"nested": [1, 2, 3]}

    parsed = REGISTRY.parse(json.dumps(wire))

    assert isinstance(parsed.data, model)
    assert "added_later" not in parsed.data.model_dump()
    assert parsed.data.model_dump() == event.data.model_dump()


def test_payloads_are_frozen() -> None:
    payload = sample(ClaimRegistered)
    with pytest.raises(ValidationError):
        payload.office_code = "AMS"  # type: ignore[attr-defined]


# --- unknown and invalid input --------------------------------------------------------------


def _wire(**changes: Any) -> dict[str, Any]:
    event = in_fresh_context(lambda: Event.create(sample(ClaimRegistered)))
    wire: dict[str, Any] = json.loads(event.to_json_bytes())
    wire.update(changes)
    return wire


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "claim.unheard_of"},
        {"schemaversion": 2},
        {"type": "triage.scored", "schemaversion": 99},
    ],
    ids=["unknown-type", "unknown-version", "other-type-unknown-version"],
)
def test_unknown_type_or_version_raises(changes: dict[str, Any]) -> None:
    with pytest.raises(UnknownEventTypeError):
        REGISTRY.parse(json.dumps(_wire(**changes)))
    assert issubclass(UnknownEventTypeError, LookupError)


def test_model_for_unknown_raises() -> None:
    assert REGISTRY.model_for("claim.registered", 1) is ClaimRegistered
    with pytest.raises(UnknownEventTypeError, match=r"claim\.registered v7"):
        REGISTRY.model_for("claim.registered", 7)


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"[]", b'{"type": "claim.registered"}', "\u00ff".encode("latin-1")],
    ids=["malformed", "empty", "array", "missing-attributes", "not-utf8"],
)
def test_invalid_wire_bytes_raise_validation_error(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        REGISTRY.parse(raw)


def test_invalid_payload_raises_validation_error() -> None:
    wire = _wire()
    del wire["data"]["claim_id"]
    with pytest.raises(ValidationError, match="claim_id"):
        REGISTRY.parse(json.dumps(wire))
    wire = _wire()
    wire["data"]["age_at_first_ww_day"] = 12
    with pytest.raises(ValidationError, match="age_at_first_ww_day"):
        REGISTRY.parse(json.dumps(wire))


def test_naive_time_is_rejected() -> None:
    payload = sample(ClaimRegistered)
    with pytest.raises(ValidationError, match="timezone"):
        in_fresh_context(lambda: Event.create(payload, occurred_at=dt.datetime(2026, 3, 2, 9, 30)))
    with pytest.raises(ValidationError, match="timezone"):
        REGISTRY.parse(json.dumps(_wire(time="2026-03-02T09:30:00")))


def test_naive_payload_datetime_is_rejected() -> None:
    data = sample_data(ClaimRegistered)
    data["registered_at"] = "2026-03-02T09:30:00"
    with pytest.raises(ValidationError, match="registered_at"):
        ClaimRegistered.model_validate(data)


# --- naming, time, context ----------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_type_names_follow_the_pattern(model: type[EventPayload]) -> None:
    assert TYPE_PATTERN.fullmatch(model.event_type), model.event_type
    assert model.event_version >= 1
    assert model.producer in {"intake", "triage", "coaching", "starters"}
    assert model.subject_field in model.model_fields
    assert model.__doc__, f"{model.__name__} needs a docstring (it is the AsyncAPI summary)"


@pytest.mark.parametrize(
    "bad_type", ["claim", "Claim.registered", "claim.registered.", "claim-registered", "1claim.x"]
)
def test_envelope_rejects_malformed_type(bad_type: str) -> None:
    with pytest.raises(ValidationError, match="type"):
        REGISTRY.parse(json.dumps(_wire(type=bad_type)))


def test_time_is_normalised_to_utc() -> None:
    local = dt.datetime(2026, 7, 1, 11, 0, tzinfo=AMSTERDAM)
    event = in_fresh_context(lambda: Event.create(sample(ClaimRegistered), occurred_at=local))

    assert event.time.utcoffset() == dt.timedelta(0)
    assert event.time == local
    assert event.time.hour == 9
    assert event.occurred_at is event.time
    assert json.loads(event.to_json_bytes())["time"] == "2026-07-01T09:00:00Z"
    parsed = REGISTRY.parse(json.dumps(_wire(time="2026-07-01T11:00:00+02:00")))
    assert parsed.time == dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
    assert parsed.time.tzinfo == dt.UTC


def test_default_time_is_now_in_utc() -> None:
    before = dt.datetime.now(dt.UTC)
    event = in_fresh_context(lambda: Event.create(sample(ClaimRegistered)))
    after = dt.datetime.now(dt.UTC)
    assert before <= event.time <= after
    assert event.time.utcoffset() == dt.timedelta(0)


def test_correlation_id_taken_from_context() -> None:
    def run() -> Event[Any]:
        correlation_id_var.set("req-42")
        causation_id_var.set("evt-41")
        return Event.create(sample(ClaimRegistered))

    event = in_fresh_context(run)
    assert event.correlationid == "req-42"
    assert event.causationid == "evt-41"


def test_explicit_ids_override_context() -> None:
    def run() -> Event[Any]:
        correlation_id_var.set("req-42")
        causation_id_var.set("evt-41")
        return Event.create(sample(ClaimRegistered), correlation_id="other", causation_id="c-9")

    event = in_fresh_context(run)
    assert event.correlationid == "other"
    assert event.causationid == "c-9"


def test_correlation_id_minted_when_context_empty() -> None:
    def run() -> tuple[Event[Any], str | None]:
        event = Event.create(sample(ClaimRegistered))
        return event, correlation_id_var.get()

    event, in_context = in_fresh_context(run)
    assert uuid.UUID(event.correlationid)
    assert in_context == event.correlationid, "the minted id is kept for follow-up events"
    assert event.causationid is None


def test_event_identity_and_subject() -> None:
    payload = sample(ClaimRegistered)
    first = in_fresh_context(lambda: Event.create(payload))
    second = in_fresh_context(lambda: Event.create(payload))
    assert first.id != second.id
    assert first.event_id == first.id
    assert first.subject == payload.claim_id  # type: ignore[attr-defined]
    assert first.specversion == "1.0"
    assert first.datacontenttype == "application/json"


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_kafka_headers_mirror_the_envelope(model: type[EventPayload]) -> None:
    event = in_fresh_context(lambda: Event.create(sample(model)))
    headers = dict(event.kafka_headers())
    assert headers == {
        "ce_id": str(event.id).encode(),
        "ce_type": model.event_type.encode(),
        "ce_schemaversion": str(model.event_version).encode(),
        "ce_source": model.producer.encode(),
        "ce_subject": str(event.subject).encode(),
        "ce_correlationid": event.correlationid.encode(),
    }


# --- the registry itself ------------------------------------------------------------------------


def test_registry_rejects_duplicates_and_builds_lenient_readers() -> None:
    registry = EventRegistry()

    class Probe(EventPayload):
        """A test-only event."""

        event_type: ClassVar[str] = "probe.happened"
        producer: ClassVar[str] = "intake"

        claim_id: uuid.UUID

    assert registry.register(Probe) is Probe
    with pytest.raises(ValueError, match="duplicate"):
        registry.register(Probe)
    assert registry.models() == [Probe]

    event = in_fresh_context(lambda: Event.create(Probe(claim_id=CLAIM_ID)))
    wire = json.loads(event.to_json_bytes())
    wire["data"]["later"] = True
    parsed = registry.parse(json.dumps(wire))
    assert isinstance(parsed.data, Probe)
    assert type(parsed.data).__name__ == "ProbeReader"
    with pytest.raises(UnknownEventTypeError):
        registry.parse(json.dumps(_wire()))
