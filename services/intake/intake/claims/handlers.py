"""Intake's handlers for the coaching case's end and reopening."""

from __future__ import annotations

from typing import Any

from intake.claims import lifecycle
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.envelope import Event
from shared.messaging.consumer import Handler
from shared.reference import load_offices


def handle_case_closed(event: Event[Any], uow: UnitOfWork) -> None:
    """case.closed: the claim closes with the case result; its future intakes are cancelled."""
    lifecycle.close_for_case(uow=uow, closed=event.data, now=utcnow())


def reopen_handler(settings: IntakeSettings) -> Handler:
    def handle_case_reopened(event: Event[Any], uow: UnitOfWork) -> None:
        """case.reopened: the claim reopens, unless the person has a newer open claim (ADR
        0015); an intake that was never held is booked again."""
        lifecycle.reopen_for_case(
            uow=uow,
            reopened=event.data,
            now=utcnow(),
            offices=load_offices(),
            settings=settings,
        )

    return handle_case_reopened
