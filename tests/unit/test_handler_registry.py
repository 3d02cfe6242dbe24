"""The one way to register event handlers (shared.messaging.handlers, issue 16)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.db.uow import UnitOfWork
from shared.events.coaching import CoachDeactivated, CoachRegistered, CoachUpdated
from shared.events.envelope import Event
from shared.events.intake import IntakeCancelled
from shared.events.registry import UnknownEventTypeError
from shared.messaging.handlers import (
    DuplicateHandlerError,
    HandlerRegistry,
    PayloadMismatchError,
)


def _coach_event(payload: CoachRegistered | CoachUpdated | CoachDeactivated) -> Event[Any]:
    return Event.create(payload)


def _registered() -> CoachRegistered:
    return CoachRegistered(
        coach_id=uuid.uuid4(),
        office_code="AMS",
        display_name="Anna de Vries",
        specialisms=[],
        contract_hours=32,
        holds_intakes=True,
    )


def test_a_handler_is_registered_under_its_payloads_event_type() -> None:
    seen: list[object] = []
    registry = HandlerRegistry()
    registry.on(CoachRegistered, lambda event, uow: seen.append(event.data))

    handlers = registry.build()
    assert set(handlers) == {"coach.registered"}
    event = _coach_event(_registered())
    handlers["coach.registered"](event, None)  # type: ignore[arg-type]
    assert seen == [event.data]


def test_one_handler_for_several_payloads_is_registered_once_per_class() -> None:
    registry = HandlerRegistry()

    def upsert(event: Event[CoachRegistered] | Event[CoachUpdated], uow: UnitOfWork) -> None:
        """Upsert the coach."""

    registry.on(CoachRegistered, upsert)
    registry.on(CoachUpdated, upsert)
    assert registry.event_types == {"coach.registered", "coach.updated"}
    assert registry["coach.updated"].__doc__ == "Upsert the coach."
    assert registry["coach.updated"].__wrapped__ is upsert  # type: ignore[attr-defined]


def test_a_second_handler_for_one_event_type_is_refused() -> None:
    registry = HandlerRegistry()
    registry.on(CoachRegistered, lambda event, uow: None)
    with pytest.raises(DuplicateHandlerError, match=r"coach\.registered"):
        registry.on(CoachRegistered, lambda event, uow: None)


def test_including_an_overlapping_registry_is_refused() -> None:
    feature, service = HandlerRegistry(), HandlerRegistry()
    feature.on(CoachRegistered, lambda event, uow: None)
    service.on(CoachRegistered, lambda event, uow: None)
    with pytest.raises(DuplicateHandlerError):
        service.include(feature)


def test_an_included_registry_adds_its_handlers() -> None:
    feature, service = HandlerRegistry(), HandlerRegistry()
    feature.on(CoachDeactivated, lambda event, uow: None)
    service.on(CoachRegistered, lambda event, uow: None)
    service.include(feature)
    assert service.event_types == {"coach.registered", "coach.deactivated"}
    assert len(service) == 2
    assert "coach.deactivated" in service


def test_a_payload_of_another_class_is_a_wiring_error_not_a_silent_call() -> None:
    called: list[bool] = []
    registry = HandlerRegistry()
    registry.on(CoachUpdated, lambda event, uow: called.append(True))
    wrong = _coach_event(_registered())
    with pytest.raises(PayloadMismatchError, match="CoachUpdated, got CoachRegistered"):
        registry["coach.updated"](wrong, None)  # type: ignore[arg-type]
    assert called == []


def test_types_by_name_must_be_in_the_event_catalogue() -> None:
    registry = HandlerRegistry()
    registry.on_types([IntakeCancelled.event_type], lambda event, uow: None)
    assert registry.event_types == {"intake.cancelled"}
    with pytest.raises(UnknownEventTypeError, match=r"intake\.canceled"):
        registry.on_types(["intake.canceled"], lambda event, uow: None)


@pytest.mark.parametrize("service", ["intake", "triage", "coaching", "starters"])
def test_every_service_handles_only_catalogued_types_with_checked_handlers(service: str) -> None:
    """Each service's handlers come from one registry: every key is a catalogued event type
    and every handler is the registry's checked wrapper (no hand-built dict entries)."""
    import importlib

    from shared.events.registry import REGISTRY

    module = importlib.import_module(f"{service}.handlers")
    handlers = (
        module.HANDLERS if hasattr(module, "HANDLERS") else module.make_handlers(threshold=0.5)
    )
    known = {model.event_type for model in REGISTRY.models()}
    assert handlers
    assert set(handlers) <= known
    assert all(hasattr(handler, "__wrapped__") for handler in handlers.values())
