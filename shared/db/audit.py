"""Append-only audit log: who did what, when and why, with old and new values."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, Uuid, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db.types import JSONType, UTCDateTime, utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: a person (subject) or a partner application (client id), or the system."""

    subject: str
    kind: str = "user"  # user | application | system
    roles: tuple[str, ...] = ()

    @classmethod
    def system(cls, name: str) -> Actor:
        """The service itself, e.g. an event handler."""
        return cls(subject=name, kind="system")


class AuditLogMixin:
    """Columns of a service's audit_log table; rows are never updated or deleted."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    action: Mapped[str] = mapped_column(String(80))
    resource_type: Mapped[str] = mapped_column(String(80))
    resource_id: Mapped[str] = mapped_column(String(80), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    correlation_id: Mapped[str | None] = mapped_column(String(128))


class AuditImmutableError(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


def guard_append_only(session_cls: type[Session], audit_model: type[Any]) -> None:
    """Refuse, at flush time, any update or delete of audit rows (the DB also refuses on PG)."""

    @event.listens_for(session_cls, "before_flush")
    def _check(session: Session, _ctx: Any, _instances: Any) -> None:
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, audit_model):
                raise AuditImmutableError("audit log rows are append-only")


def postgres_append_only_sql(table: str) -> list[str]:
    """DDL for a migration: triggers that reject UPDATE, DELETE and TRUNCATE on the audit table."""
    fn = f"{table}_append_only"
    return [
        f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {fn} BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION {fn}()""",
        f"""CREATE TRIGGER {fn}_truncate BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION {fn}()""",
    ]
