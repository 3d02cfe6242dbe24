"""Queries of the partner webhooks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.partner.candidates.models import PartnerProfileView
from coaching.partner.webhooks.models import PENDING, WebhookDelivery, WebhookEndpoint


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


def due_ids(session: Session, now: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Pending deliveries whose next attempt is due, oldest due first."""
    stmt = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def lock_due(session: Session, delivery_id: uuid.UUID, now: dt.datetime) -> WebhookDelivery | None:
    """The delivery, locked, if still pending and due (a concurrent dispatcher holding it
    is skipped on PostgreSQL, so no event goes out twice from two runs)."""
    stmt = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).one_or_none()


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
