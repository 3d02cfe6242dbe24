"""The starters database: declarative base and the messaging/audit tables."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.db.audit import AuditLogMixin
from shared.db.types import NAMING_CONVENTION
from shared.messaging.tables import MessagingTables, OutboxMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    """Base of every starters table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OutboxMessage(OutboxMixin, Base):
    """Events waiting for the relay."""

    __tablename__ = "outbox"


class ProcessedEvent(ProcessedEventMixin, Base):
    """Inbox: events already applied by this service."""

    __tablename__ = "processed_events"


class AuditLog(AuditLogMixin, Base):
    """Append-only audit trail."""

    __tablename__ = "audit_log"


TABLES = MessagingTables(outbox=OutboxMessage, processed=ProcessedEvent, audit=AuditLog)
