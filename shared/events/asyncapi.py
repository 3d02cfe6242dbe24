"""AsyncAPI 3.0 description and JSON Schemas of every registered event, generated from the models.

The checked-in `docs/asyncapi.yaml` and `docs/events/*.json` are outputs of this module; a
contract test fails when they drift from the code (regenerate with `ww events asyncapi`).
Output is deterministic: no timestamps, stable ordering.
"""

from __future__ import annotations

import copy
import inspect
import json
from pathlib import Path
from typing import Any

import yaml

from shared.events.envelope import Event, EventPayload, RawEvent
from shared.events.registry import REGISTRY, EventRegistry

ASYNCAPI_VERSION = "3.0.0"
DOC_TITLE = "WW case-handling events"
DOC_VERSION = "1.0.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMPONENT_REF = "#/components/schemas/{model}"
ENVELOPE_SCHEMA = "EventEnvelope"
KAFKA_BINDING_VERSION = "0.5.0"

_DESCRIPTION = """\
Domain events published by the four WW (Werkloosheidswet) case-handling services: intake,
triage, coaching and starters. Each service publishes to one Kafka topic `<prefix>.<service>`.

## Envelope

Every message value is one UTF-8 JSON envelope whose attribute names follow CloudEvents 1.0
(structured content mode): `specversion` ("1.0"), `id` (event id, UUID), `source` (the producing
service), `type` (e.g. `claim.registered`), `subject` (the aggregate id: the claim id for claim
events, the coach id for roster events, the vacancy id for vacancy events), `time` (RFC 3339, UTC)
and `datacontenttype` ("application/json"), plus the extension attributes `schemaversion` (the
payload schema version; consumers dispatch on type + schemaversion), `correlationid` (the request
or process that started the chain) and `causationid` (the id of the event or request that caused
this one). The payload is in `data`. The most important attributes are repeated as Kafka headers
(`ce_id`, `ce_type`, `ce_source`, `ce_subject`, `ce_schemaversion`, `ce_correlationid`) so tools
can route without parsing the value.

## Delivery guarantees

* At-least-once: producers write events to a transactional outbox in the same database
  transaction as the state change; a relay publishes them afterwards. Duplicates are possible.
* Consumers are idempotent: each records processed event ids in an inbox table, in the same
  transaction as its own changes, and skips ids it has already seen.
* The Kafka message key is the envelope `subject` (for claim events: the claim id), so all events
  of one claim land on the same partition and keep their order.
* Within one schema version changes are additive only; consumers ignore unknown payload fields.
  Breaking changes get a new `schemaversion`. One documented exception (ADR 0019): the decimal
  fields of `starters.applied`, `starters.start_period_granted` and `starters.continued` are
  written as strings with two places ("29.00") instead of JSON numbers; every consumer reads
  both, so events already on the topic stay valid.
* A message a consumer gives up on (after retries, or when it cannot be parsed) goes to the
  dead-letter topic `<topic>.dlq`, unchanged, with the headers `dlq_error`, `dlq_consumer`,
  `dlq_attempts`, `dlq_origin_topic`, `dlq_origin_partition` and `dlq_origin_offset`.

## Personal data

Events carry pseudonymous ids only: never a BSN (burgerservicenummer), name or address.
"""


def _producing_models(registry: EventRegistry) -> list[type[EventPayload]]:
    return registry.models()


def message_name(model: type[EventPayload]) -> str:
    """The message id of a payload model: `<type>.v<version>`, e.g. `claim.registered.v1`."""
    return f"{model.event_type}.v{model.event_version}"


def _summary(model: type[EventPayload]) -> str:
    doc = inspect.getdoc(model) or ""
    return " ".join(doc.split())


def _title(model: type[EventPayload]) -> str:
    words = model.event_type.replace(".", " ").replace("_", " ")
    return f"{words[:1].upper()}{words[1:]} (v{model.event_version})"


def _add_schema(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    existing = schemas.get(name)
    if existing is not None and existing != schema:
        raise ValueError(f"two different schemas are both named {name!r}")
    schemas[name] = schema


def _hoist(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    """Move nested `$defs` into components.schemas, then add the schema itself."""
    schema = copy.deepcopy(schema)
    for def_name, definition in schema.pop("$defs", {}).items():
        _hoist(schemas, def_name, definition)
    _add_schema(schemas, name, schema)


def _envelope_schema(ref_template: str) -> dict[str, Any]:
    schema = RawEvent.model_json_schema(ref_template=ref_template)
    schema["title"] = "Event envelope"
    schema["description"] = (
        "CloudEvents 1.0 attribute names plus the extensions schemaversion, correlationid and "
        "causationid; `data` holds the payload of the given type and schema version."
    )
    schema["properties"]["data"]["description"] = "The event payload (see the type's schema)."
    return schema


def _header_schema(model: type[EventPayload]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Kafka record headers (values are UTF-8 strings).",
        "properties": {
            "ce_id": {"type": "string", "format": "uuid", "description": "Event id"},
            "ce_type": {"type": "string", "const": model.event_type},
            "ce_source": {"type": "string", "const": model.producer},
            "ce_subject": {
                "type": "string",
                "format": "uuid",
                "description": f"Aggregate id ({model.subject_field}); also the message key",
            },
            "ce_schemaversion": {"type": "string", "const": str(model.event_version)},
            "ce_correlationid": {"type": "string", "minLength": 1, "maxLength": 128},
        },
        "required": [
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_subject",
            "ce_schemaversion",
            "ce_correlationid",
        ],
    }


def _message_payload(model: type[EventPayload]) -> dict[str, Any]:
    return {
        "allOf": [
            {"$ref": COMPONENT_REF.format(model=ENVELOPE_SCHEMA)},
            {
                "type": "object",
                "properties": {
                    "type": {"const": model.event_type},
                    "schemaversion": {"const": model.event_version},
                    "source": {"const": model.producer},
                    "data": {"$ref": COMPONENT_REF.format(model=model.__name__)},
                },
            },
        ]
    }


def _message(model: type[EventPayload]) -> dict[str, Any]:
    return {
        "name": message_name(model),
        "title": _title(model),
        "summary": _summary(model),
        "contentType": "application/json",
        "correlationId": {
            "description": "Correlation id of the originating request or process",
            "location": "$message.header#/ce_correlationid",
        },
        "headers": _header_schema(model),
        "payload": _message_payload(model),
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": f"The envelope subject ({model.subject_field})",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def build_asyncapi(registry: EventRegistry = REGISTRY, topic_prefix: str = "ww") -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document (as plain data) for every event in the registry."""
    models = _producing_models(registry)
    by_service: dict[str, list[type[EventPayload]]] = {}
    for model in models:
        by_service.setdefault(model.producer, []).append(model)

    schemas: dict[str, Any] = {}
    _hoist(schemas, ENVELOPE_SCHEMA, _envelope_schema(COMPONENT_REF))
    for model in models:
        _hoist(schemas, model.__name__, model.model_json_schema(ref_template=COMPONENT_REF))

    messages = {message_name(m): _message(m) for m in models}

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for service in sorted(by_service):
        address = f"{topic_prefix}.{service}"
        names = [message_name(m) for m in by_service[service]]
        channels[address] = {
            "address": address,
            "title": f"{service.capitalize()} events",
            "description": (
                f"Events published by the {service} service. Key: the envelope subject. "
                f"Dead letters go to `{address}.dlq`."
            ),
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
            "bindings": {"kafka": {"topic": address, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        operations[f"publish{service.capitalize()}Events"] = {
            "action": "send",
            "title": f"Publish {service} events",
            "summary": f"The {service} service publishes its events (via its outbox relay).",
            "channel": {"$ref": f"#/channels/{address}"},
            "messages": [{"$ref": f"#/channels/{address}/messages/{n}"} for n in names],
        }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": DOC_TITLE,
            "version": DOC_VERSION,
            "description": _DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {name: schemas[name] for name in sorted(schemas)},
        },
    }


class _DocDumper(yaml.SafeDumper):
    """yaml.SafeDumper that writes multi-line strings as literal blocks (readable descriptions)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_DocDumper.add_representer(str, _represent_str)


def render_asyncapi(registry: EventRegistry = REGISTRY, topic_prefix: str = "ww") -> str:
    """The AsyncAPI document as YAML text (deterministic; what yaml.safe_dump writes, except
    that multi-line strings are literal blocks)."""
    return yaml.dump(
        build_asyncapi(registry, topic_prefix),
        Dumper=_DocDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


def event_json_schema(model: type[EventPayload]) -> dict[str, Any]:
    """Standalone JSON Schema (2020-12) of the whole envelope carrying one event type."""
    schema = Event[model].model_json_schema()  # type: ignore[valid-type]
    props = schema["properties"]
    props["type"] = {**props["type"], "const": model.event_type}
    props["schemaversion"] = {**props["schemaversion"], "const": model.event_version}
    props["source"] = {**props["source"], "const": model.producer}
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{message_name(model)}.json",
        **{k: v for k, v in schema.items() if k != "title"},
        "title": f"{model.event_type} v{model.event_version}",
        "description": _summary(model),
    }


def envelope_json_schema() -> dict[str, Any]:
    """Standalone JSON Schema (2020-12) of the envelope with an untyped `data` object."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": "envelope.json",
        **_envelope_schema("#/$defs/{model}"),
    }


def _dump_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_json_schemas(registry: EventRegistry = REGISTRY) -> dict[str, str]:
    """File name -> JSON text for every event schema plus `envelope.json`."""
    files = {"envelope.json": _dump_json(envelope_json_schema())}
    for model in _producing_models(registry):
        files[f"{message_name(model)}.json"] = _dump_json(event_json_schema(model))
    return files


def write_json_schemas(directory: Path, registry: EventRegistry = REGISTRY) -> list[Path]:
    """Write one `<type>.v<version>.json` per event and `envelope.json`; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in sorted(render_json_schemas(registry).items()):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


__all__ = [
    "build_asyncapi",
    "envelope_json_schema",
    "event_json_schema",
    "message_name",
    "render_asyncapi",
    "render_json_schemas",
    "write_json_schemas",
]
