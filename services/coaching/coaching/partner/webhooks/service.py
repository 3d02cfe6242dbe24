"""Partner webhooks: endpoints, the delivery outbox and the dispatcher.

Events are rows in `webhook_deliveries`, added in the transaction of the change that
caused them (a consent withdrawn, a case closed), so an event exists if and only if the
change was committed. `deliver_due` sends them (signed), retrying with exponential
backoff: 30 s x 2^(n-1) after the n-th failed attempt, failed after 8 attempts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from coaching.partner.webhooks import repository
from coaching.partner.webhooks.models import (
    DELIVERED,
    FAILED,
    PENDING,
    WebhookDelivery,
    WebhookEndpoint,
)
from coaching.partner.webhooks.signing import HEADER, canonical_body, signature
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.logging import get_logger
from shared.web.problems import InvalidField, NotFound

log = get_logger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=30)
TIMEOUT_S = 5.0
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

HttpPost = Callable[[str, bytes, Mapping[str, str]], int]
"""`(url, body, headers) -> status code`; raises `httpx.HTTPError` when nothing came back."""


def httpx_post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST with httpx: 5 s timeout, redirects not followed (a redirect is a failure)."""
    response = httpx.post(url, content=body, headers=dict(headers), timeout=TIMEOUT_S)
    return response.status_code


def check_url(url: str, *, allow_local_http: bool) -> str:
    """The endpoint URL, or 422: https to a public host; http only to 127.0.0.1 or
    localhost when `allow_local_http` (dev and test). No credentials in the URL, no IP
    literal of a private, loopback or link-local network (our own network is no target)."""
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise InvalidField("url", "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise InvalidField("url", "not a valid URL") from None
    if parts.username or parts.password:
        raise InvalidField("url", "must not contain credentials")
    if parts.fragment:
        raise InvalidField("url", "must not contain a fragment")
    if not host:
        raise InvalidField("url", "must name a host")
    local = host.lower() in _LOCAL_HOSTS
    if parts.scheme == "http":
        if not (allow_local_http and local):
            raise InvalidField("url", "must use https")
        return url
    if parts.scheme != "https":
        raise InvalidField("url", "must use https")
    if local and not allow_local_http:
        raise InvalidField("url", "must be a public host")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return url
    if not (allow_local_http and local) and (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
    ):
        raise InvalidField("url", "must be a public host")
    return url


def register(
    *, uow: UnitOfWork, client_id: str, url: str, allow_local_http: bool, actor: Actor
) -> tuple[WebhookEndpoint, str]:
    """Register or replace the client's endpoint with a new secret (returned once).

    Replacing rotates the secret at once: pending deliveries are signed with the new one.
    """
    check_url(url, allow_local_http=allow_local_http)
    secret = "whsec_" + secrets.token_urlsafe(32)
    now = utcnow()
    row = repository.endpoint(uow.session, client_id)
    old = None if row is None else {"url": row.url}
    if row is None:
        row = WebhookEndpoint(client_id=client_id, url=url, secret=secret, created_at=now)
        uow.session.add(row)
    else:
        row.url = url
        row.secret = secret
    row.updated_at = now
    uow.session.flush()
    uow.audit(
        actor=actor,
        action="partner_webhook.register",
        resource_type="webhook_endpoint",
        resource_id=client_id,
        old=old,
        new={"url": url, "secret": "rotated"},
    )
    uow.commit()
    return row, secret


def get(*, uow: UnitOfWork, client_id: str) -> WebhookEndpoint:
    """The client's endpoint, or 404."""
    row = repository.endpoint(uow.session, client_id)
    if row is None:
        raise NotFound("no webhook endpoint registered")
    return row


def remove(*, uow: UnitOfWork, client_id: str, actor: Actor) -> None:
    """Remove the client's endpoint (404 when none); pending deliveries then fail."""
    row = get(uow=uow, client_id=client_id)
    uow.session.delete(row)
    uow.audit(
        actor=actor,
        action="partner_webhook.delete",
        resource_type="webhook_endpoint",
        resource_id=client_id,
        old={"url": row.url},
    )
    uow.commit()


def notify_viewers(
    *, uow: UnitOfWork, candidate_ref: uuid.UUID, event_type: str, occurred_at: dt.datetime
) -> int:
    """Queue `event_type` for every client that was shown the candidate and has an
    endpoint (in the caller's transaction); returns how many deliveries were queued.

    The payload carries no personal data: the event id, type, candidate_ref and time."""
    clients = repository.viewers_with_endpoint(uow.session, candidate_ref)
    event_id = uuid.uuid4()
    for client_id in clients:
        uow.session.add(
            WebhookDelivery(
                id=uuid.uuid4(),
                client_id=client_id,
                event_type=event_type,
                payload={
                    "id": str(event_id),
                    "type": event_type,
                    "candidate_ref": str(candidate_ref),
                    "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(),
                },
                status=PENDING,
                attempts=0,
                next_attempt_at=occurred_at,
                created_at=occurred_at,
            )
        )
    return len(clients)


def list_deliveries(
    *, uow: UnitOfWork, client_id: str, limit: int, offset: int
) -> tuple[Sequence[WebhookDelivery], int]:
    """The client's own delivery log, newest first."""
    return repository.deliveries_of(uow.session, client_id, limit=limit, offset=offset)


@dataclass(frozen=True)
class DeliveryRun:
    """Counts of one dispatcher run."""

    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s, ..."""
    return BACKOFF_BASE * (2 ** (attempts - 1))


def deliver_due(
    uows: Callable[[], UnitOfWork],
    *,
    now: dt.datetime | None = None,
    limit: int = 100,
    http_post: HttpPost = httpx_post,
    clock: Callable[[], float] = time.time,
) -> DeliveryRun:
    """Send the deliveries due at `now` (at most `limit`), one transaction each.

    Each delivery is locked while it is sent, so two dispatchers never send it twice; a
    2xx answer is delivered, anything else (or no answer) is retried with backoff. The
    signature's timestamp is the moment of sending (`clock`), not `now`.
    """
    now = now or utcnow()
    with uows() as uow:
        ids = repository.due_ids(uow.session, now, limit)
    attempted = delivered = retrying = failed = 0
    for delivery_id in ids:
        with uows() as uow:
            row = repository.lock_due(uow.session, delivery_id, now)
            if row is None:
                continue
            outcome = _attempt(uow, row, now=now, http_post=http_post, clock=clock)
            uow.commit()
        attempted += 1
        delivered += outcome == DELIVERED
        retrying += outcome == PENDING
        failed += outcome == FAILED
    return DeliveryRun(attempted, delivered, retrying, failed)


def _attempt(
    uow: UnitOfWork,
    row: WebhookDelivery,
    *,
    now: dt.datetime,
    http_post: HttpPost,
    clock: Callable[[], float],
) -> str:
    endpoint = repository.endpoint(uow.session, row.client_id)
    row.attempts += 1
    row.last_attempt_at = now
    if endpoint is None:
        row.status = FAILED
        row.next_attempt_at = None
        row.last_status_code = None
        row.last_error = "no webhook endpoint registered"
        return FAILED
    body = canonical_body(row.payload)
    headers = {
        "Content-Type": "application/json",
        HEADER: signature(endpoint.secret, body, int(clock())),
        "X-WW-Event-Id": str(row.payload.get("id", "")),
        "X-WW-Event-Type": row.event_type,
        "X-WW-Delivery-Id": str(row.id),
        "User-Agent": "ww-coaching-webhooks/1",
    }
    status: int | None = None
    error: str | None = None
    try:
        status = http_post(endpoint.url, body, headers)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: no response"
    row.last_status_code = status
    if status is not None and 200 <= status < 300:
        row.status = DELIVERED
        row.delivered_at = now
        row.next_attempt_at = None
        row.last_error = None
        return DELIVERED
    row.last_error = error or f"HTTP {status}"
    if row.attempts >= MAX_ATTEMPTS:
        row.status = FAILED
        row.next_attempt_at = None
        log.warning(
            "webhook.failed",
            client_id=row.client_id,
            delivery_id=str(row.id),
            attempts=row.attempts,
        )
        return FAILED
    row.next_attempt_at = now + backoff(row.attempts)
    return PENDING
