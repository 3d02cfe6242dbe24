"""The checked-in event contract (docs/asyncapi.yaml, docs/events/*.json) matches the code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from shared.events import REGISTRY
from shared.events.asyncapi import (
    build_asyncapi,
    message_name,
    render_asyncapi,
    write_json_schemas,
)

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI_FILE = ROOT / "docs" / "asyncapi.yaml"
EVENTS_DIR = ROOT / "docs" / "events"
REGENERATE = "the event contract is stale: run `ww events asyncapi` and commit docs/"
PERSONAL_ID = re.compile(r"bsn|burgerservicenummer|sofi(nummer)?", re.IGNORECASE)


def _walk(node: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"unresolvable $ref {ref}"
        assert part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def test_checked_in_asyncapi_matches_code() -> None:
    assert ASYNCAPI_FILE.exists(), REGENERATE
    assert ASYNCAPI_FILE.read_text(encoding="utf-8") == render_asyncapi(), REGENERATE


def test_checked_in_json_schemas_match_code(tmp_path: Path) -> None:
    written = write_json_schemas(tmp_path)
    expected = {p.name: p.read_text(encoding="utf-8") for p in written}
    actual = {p.name: p.read_text(encoding="utf-8") for p in EVENTS_DIR.glob("*.json")}
    assert sorted(actual) == sorted(expected), REGENERATE
    for name, text in expected.items():
        assert actual[name] == text, f"{name}: {REGENERATE}"


def test_json_schema_files_are_one_per_event_plus_envelope(tmp_path: Path) -> None:
    names = sorted(p.name for p in write_json_schemas(tmp_path))
    wanted = sorted(
        ["envelope.json"] + [f"{m.event_type}.v{m.event_version}.json" for m in REGISTRY.models()]
    )
    assert names == wanted
    for path in tmp_path.iterdir():
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n")
        assert (
            text
            == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )


def test_rendering_is_deterministic_and_parses_back() -> None:
    text = render_asyncapi()
    assert text == render_asyncapi()
    assert yaml.safe_load(text) == build_asyncapi()
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), "no timestamps in the document"


def test_document_header() -> None:
    doc = build_asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] == "WW case-handling events"
    assert doc["info"]["version"] == "1.0.0"
    description = doc["info"]["description"]
    for phrase in (
        "CloudEvents 1.0",
        "schemaversion",
        "correlationid",
        "causationid",
        "at-least-once",
        "outbox",
        "inbox",
        "`<topic>.dlq`",
        "dlq_error",
        "dlq_consumer",
        "dlq_attempts",
        "dlq_origin_topic",
        "dlq_origin_partition",
        "dlq_origin_offset",
        "never a BSN",
    ):
        assert phrase.lower() in description.lower(), phrase


def test_every_registered_event_is_a_message_on_its_producers_channel() -> None:
    doc = build_asyncapi()
    messages = doc["components"]["messages"]
    models = REGISTRY.models()
    assert sorted(messages) == sorted(message_name(m) for m in models)
    for model in models:
        name = message_name(model)
        channel = doc["channels"][f"ww.{model.producer}"]
        assert channel["messages"][name] == {"$ref": f"#/components/messages/{name}"}
        message = messages[name]
        assert message["name"] == name
        assert message["summary"], f"{name} has no summary (model docstring)"
        assert message["headers"]["properties"]["ce_type"]["const"] == model.event_type
        assert message["headers"]["properties"]["ce_source"]["const"] == model.producer
        assert set(message["headers"]["required"]) == {
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_subject",
            "ce_schemaversion",
            "ce_correlationid",
        }
        envelope_ref, narrowing = message["payload"]["allOf"]
        assert envelope_ref == {"$ref": "#/components/schemas/EventEnvelope"}
        assert narrowing["properties"]["type"] == {"const": model.event_type}
        assert narrowing["properties"]["data"] == {"$ref": f"#/components/schemas/{model.__name__}"}


def test_channels_and_operations() -> None:
    doc = build_asyncapi()
    producers = sorted({m.producer for m in REGISTRY.models()})
    assert producers == ["coaching", "intake", "starters", "triage"]
    assert sorted(doc["channels"]) == [f"ww.{p}" for p in producers]
    assert len(doc["operations"]) == len(producers)
    for operation in doc["operations"].values():
        assert operation["action"] == "send"
        channel_ref = operation["channel"]["$ref"]
        channel = _resolve(doc, channel_ref)
        # AsyncAPI 3: an operation's messages must be (references to) its channel's messages.
        listed = [m["$ref"] for m in operation["messages"]]
        assert listed == [f"{channel_ref}/messages/{n}" for n in channel["messages"]]
    other = build_asyncapi(topic_prefix="acc")
    assert sorted(other["channels"]) == [f"acc.{p}" for p in producers]
    assert other["channels"]["acc.intake"]["address"] == "acc.intake"


def test_every_ref_resolves_and_defs_are_hoisted() -> None:
    doc = build_asyncapi()
    refs = [node["$ref"] for _, node in _walk(doc) if isinstance(node, dict) and "$ref" in node]
    assert refs
    for ref in refs:
        _resolve(doc, ref)
    assert not any(isinstance(node, dict) and "$defs" in node for _, node in _walk(doc)), (
        "nested $defs must be hoisted into components.schemas"
    )
    schemas = doc["components"]["schemas"]
    # Nested payload models and enums become components of their own.
    assert {"FactorContribution", "Band", "Segment", "EventEnvelope"} <= set(schemas)
    factors = schemas["TriageScored"]["properties"]["factors"]
    assert factors["items"] == {"$ref": "#/components/schemas/FactorContribution"}
    # The producing models are documented, not the lenient Reader subclasses.
    assert not [name for name in schemas if name.endswith("Reader")]
    assert schemas["ClaimRegistered"]["additionalProperties"] is False


def _property_names(document: Any) -> Iterator[tuple[str, str]]:
    for path, node in _walk(document):
        if isinstance(node, dict) and isinstance(node.get("properties"), dict):
            for name in node["properties"]:
                yield path, name
        if isinstance(node, dict) and isinstance(node.get("required"), list):
            for name in node["required"]:
                if isinstance(name, str):
                    yield path, name


def test_no_schema_has_a_bsn_property(tmp_path: Path) -> None:
    documents: dict[str, Any] = {"asyncapi": build_asyncapi()}
    for path in write_json_schemas(tmp_path):
        documents[path.name] = json.loads(path.read_text(encoding="utf-8"))
    checked = 0
    for label, document in documents.items():
        for where, name in _property_names(document):
            checked += 1
            assert not PERSONAL_ID.search(name), f"{label}{where[1:]}: property {name!r}"
    assert checked > 100
    for model in REGISTRY.models():
        for field in model.model_fields:
            assert not PERSONAL_ID.search(field), f"{model.__name__}.{field}"


def test_bsn_walker_would_catch_a_bsn_property() -> None:
    schema: dict[str, Any] = {
        "properties": {"claimant": {"properties": {"Burgerservicenummer": {}}}}
    }
    assert any(PERSONAL_ID.search(name) for _, name in _property_names(schema))
