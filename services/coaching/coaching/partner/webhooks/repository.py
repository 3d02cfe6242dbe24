"""Queries of the partner webhooks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coaching.partner.candidates.models import PartnerProfileView
from coaching.partner.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint(session: Session, client_id: str) -> WebhookEndpoint | None:
    """The client's endpoint, if registered."""
    return session.get(WebhookEndpoint, client_id)


def viewers_with_endpoint(session: Session, candidate_ref: uuid.UUID) -> list[str]:
    """Clients that were ever shown this candidate and have a webhook endpoint."""
    stmt = (
        select(PartnerProfileView.client_id)
        .join(WebhookEndpoint, WebhookEndpoint.client_id == PartnerProfileView.client_id)
        .where(PartnerProfileView.candidate_ref == candidate_ref)
        .distinct()
        .order_by(PartnerProfileView.client_id)
    )
    return list(session.scalars(stmt))


def add_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert delivery rows, skipping any whose `dedupe_key` is already queued (the same
    event for the same client); returns how many were added."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(WebhookDelivery)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        # The ids of the rows added (a rowcount is not reported for a multi-row insert).
        .returning(WebhookDelivery.id)
    )
    return len(session.execute(stmt).all())


def deliveries_of(
    session: Session, client_id: str, *, limit: int, offset: int
) -> tuple[Sequence[WebhookDelivery], int]:
    """A client's deliveries, newest first, and their total."""
    where = WebhookDelivery.client_id == client_id
    total = session.scalar(select(func.count()).select_from(WebhookDelivery).where(where)) or 0
    rows = session.scalars(
        select(WebhookDelivery)
        .where(where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def delivery_of(session: Session, client_id: str, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    """One of the client's deliveries (None when it is another client's or unknown)."""
    return session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.client_id == client_id
        )
    ).one_or_none()


def attempts_of(session: Session, delivery_id: uuid.UUID) -> Sequence[WebhookAttempt]:
    """The attempts log of one delivery, first attempt first."""
    return session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.attempt, WebhookAttempt.at)
    ).all()
