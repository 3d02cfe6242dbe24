"""A service's database shape: its declarative base's metadata and its messaging/audit tables.

Every service maps the same three tables (outbox, processed_events, audit_log) on its own
declarative base; `service_tables(Base)` does it, so each `<svc>/db.py` is the base and one call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.db.audit import AuditLogMixin
from shared.db.types import NAMING_CONVENTION
from shared.messaging.tables import MessagingTables, OutboxMixin, ProcessedEventMixin

# What a service's mapped outbox, processed_events and audit_log classes are to the type checker:
# their mixins, which declare every column with its type.
OutboxRow = OutboxMixin
ProcessedEventRow = ProcessedEventMixin
AuditLogRow = AuditLogMixin


def service_metadata() -> MetaData:
    """The metadata of a service's declarative base: constraint names by NAMING_CONVENTION."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def _mapped(base: type[DeclarativeBase], name: str, mixin: type, table: str, doc: str) -> type[Any]:
    # Declared in the service's db module, as if written there (repr, pickling, error messages).
    namespace = {"__tablename__": table, "__module__": base.__module__, "__doc__": doc}
    return type(name, (mixin, base), namespace)


def service_tables(base: type[DeclarativeBase]) -> MessagingTables:
    """Map outbox, processed_events and audit_log on `base` (once per service)."""
    return MessagingTables(
        outbox=_mapped(
            base, "OutboxMessage", OutboxMixin, "outbox", "Events waiting for the relay."
        ),
        processed=_mapped(
            base,
            "ProcessedEvent",
            ProcessedEventMixin,
            "processed_events",
            "Inbox: events already applied by this service.",
        ),
        audit=_mapped(base, "AuditLog", AuditLogMixin, "audit_log", "Append-only audit trail."),
    )
