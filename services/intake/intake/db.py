"""The intake database: declarative base and the messaging/audit tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import DeclarativeBase

from shared.db.service_db import service_metadata, service_tables

__all__ = ["TABLES", "AuditLog", "Base", "OutboxMessage", "ProcessedEvent"]


class Base(DeclarativeBase):
    """Base of every intake table."""

    metadata = service_metadata()


TABLES = service_tables(Base)
if TYPE_CHECKING:  # to the type checker each mapped class is its mixin (the same typed columns)
    from shared.db.service_db import AuditLogRow as AuditLog
    from shared.db.service_db import OutboxRow as OutboxMessage
    from shared.db.service_db import ProcessedEventRow as ProcessedEvent
else:
    OutboxMessage, ProcessedEvent, AuditLog = TABLES.outbox, TABLES.processed, TABLES.audit
