"""Unit of work: one transaction that rolls back unless the service commits it explicitly.

Events are added to the outbox inside the same transaction as the state change, so an
event exists if and only if the change was committed.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared.context import correlation_id_var
from shared.db.audit import Actor
from shared.events.envelope import Event, EventPayload
from shared.messaging.tables import MessagingTables


class UnitOfWork:
    """`with uow_factory() as uow: ...; uow.commit()` - leaving without commit rolls back."""

    session: Session

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        tables: MessagingTables,
        topic: str,
        on_events_committed: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._tables = tables
        self._topic = topic
        self._on_events_committed = on_events_committed
        self._committed = False
        self._events: list[Event[Any]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._committed = False
        self._events = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and releases the connection; unlike
        # rollback() it leaves loaded objects readable (detached, not expired) for responses.
        self.session.close()

    def commit(self) -> None:
        """Commit the state change together with its outbox rows."""
        self.session.commit()
        self._committed = True
        if self._events and self._on_events_committed is not None:
            self._on_events_committed()

    def rollback(self) -> None:
        """Discard everything done so far in this unit of work."""
        self.session.rollback()
        self._events = []

    @property
    def events(self) -> list[Event[Any]]:
        """Events added in this unit of work (for tests and logging)."""
        return list(self._events)

    def publish(self, payload: EventPayload) -> Event[Any]:
        """Queue an event in the outbox; it is sent by the relay after commit."""
        event = Event.create(payload)
        self.session.add(
            self._tables.outbox(
                event_id=event.id,
                event_type=event.type,
                topic=self._topic,
                message_key=str(event.subject),
                body=event.to_json_bytes().decode(),
            )
        )
        self._events.append(event)
        return event

    def audit(
        self,
        *,
        actor: Actor,
        action: str,
        resource_type: str,
        resource_id: object,
        reason: str | None = None,
        old: dict[str, Any] | None = None,
        new: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit row in the same transaction as the change it records."""
        self.session.add(
            self._tables.audit(
                actor=actor.subject,
                actor_kind=actor.kind,
                actor_roles=list(actor.roles),
                action=action,
                resource_type=resource_type,
                resource_id=str(resource_id),
                reason=reason,
                old_values=old,
                new_values=new,
                correlation_id=correlation_id_var.get(),
            )
        )


UnitOfWorkFactory = Callable[[], UnitOfWork]
