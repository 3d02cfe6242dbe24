"""Partner webhooks: endpoints, the delivery outbox and its sender.

Events are rows in `webhook_deliveries`, added in the transaction of the change that
caused them (a consent withdrawn, a case closed), so an event exists if and only if the
change was committed. They are sent by the shared outbound-delivery mechanism
(`shared.delivery`, ADR 0028) with `WebhookSender` as the channel `webhook`: signed,
retried with exponential backoff (30 s x 2^(n-1) after the n-th failed attempt), failed
after 8 attempts, every attempt in `webhook_attempts`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from prometheus_client import CollectorRegistry

from coaching.partner.webhooks import repository
from coaching.partner.webhooks.models import (
    CHANNEL,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from coaching.partner.webhooks.signing import HEADER, canonical_body, signature
from shared import delivery
from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.delivery import Attempt, DeliveryRun, RetryPolicy, SendOutcome
from shared.logging import get_logger
from shared.web.problems import InvalidField, NotFound

log = get_logger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=30)
# The numbers the partner documentation promises (docs/partner-webhooks.md): 30 s, 1, 2, 4,
# 8, 16 and 32 minutes, failed after the 8th attempt (the 6 h cap is never reached).
POLICY = RetryPolicy(max_attempts=MAX_ATTEMPTS, base=BACKOFF_BASE, factor=2.0)
KIND = "webhook"
TIMEOUT_S = 5.0
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the registered `url`, its `host` name (sent as `Host`, as
    the TLS SNI name and checked against the certificate) and the `address` that was
    resolved and checked, which is the only address the request may connect to."""

    url: str
    host: str
    address: str


HttpPost = Callable[[Target, bytes, Mapping[str, str]], int]
"""`(target, body, headers) -> status code`; raises `httpx.HTTPError` when nothing came back."""


def pinned_url(target: Target) -> httpx.URL:
    """The URL with its host replaced by the checked address (IPv6 in brackets), so the
    HTTP client connects there and resolves nothing itself."""
    return httpx.URL(target.url).copy_with(host=target.address)


def pinned_post(
    target: Target,
    body: bytes,
    headers: Mapping[str, str],
    *,
    verify: ssl.SSLContext | bool = True,
) -> int:
    """POST to the checked address only (DNS rebinding: a second lookup by the HTTP client
    could answer 127.0.0.1). The request carries the original `Host`; over https the TLS
    SNI name is the host name and the certificate is verified against it (`sni_hostname`,
    which httpcore passes as `server_hostname`). No proxy from the environment (a proxy
    would resolve the name again), redirects not followed (a redirect is a failure), 5 s
    timeout. `verify` is an SSL context in tests that trust their own CA."""
    url = httpx.URL(target.url)
    extensions = {"sni_hostname": target.host} if url.scheme == "https" else {}
    with httpx.Client(
        timeout=TIMEOUT_S, verify=verify, trust_env=False, follow_redirects=False
    ) as client:
        request = client.build_request(
            "POST",
            pinned_url(target),
            content=body,
            headers={**headers, "Host": url.netloc.decode("ascii")},
            extensions=extensions,
        )
        return client.send(request).status_code


httpx_post = pinned_post
"""The default sender (the name earlier code and tests used)."""


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


def _valid_hostname(host: str) -> bool:
    """A canonical (lowercase ASCII, no trailing dot) DNS name of valid labels whose last
    label is not numeric (`127.1`, `2130706433`, `0x7f000001` are IPv4 in disguise), with
    every `xn--` label valid punycode."""
    if not host or len(host) > 253 or not host.isascii():
        return False
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        return False
    for label in labels:
        if label.startswith("xn--"):
            try:
                label.encode("ascii").decode("idna")
            except (UnicodeError, ValueError):
                return False
    return True


_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and leads to: IPv4-mapped (::ffff:a.b.c.d),
    the deprecated IPv4-compatible ::a.b.c.d, NAT64 (64:ff9b::a.b.c.d; a NAT64 gateway
    connects to the IPv4 address) and 6to4 (2002:aabb:ccdd::). Python 3.11 calls
    ::127.0.0.1, 64:ff9b::7f00:1 and 2002:7f00:1:: global, so they are judged by their
    IPv4 address instead."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def _public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable and unicast: not private, loopback, link-local, shared (CGNAT),
    reserved, unspecified or multicast, also when an IPv6 address embeds such an IPv4."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not _public_ip(embedded):
            return False
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_local_http: bool) -> str:
    """The endpoint URL, or 422: https to a public host; http only to 127.0.0.1 or
    localhost when `allow_local_http` (dev and test). No credentials in the URL; the host
    is a canonical lowercase DNS name (no trailing dot, no numeric or hex IPv4 forms) or an
    IP literal of a public (global) address: our own network is no target. Delivery
    checks again, and resolves the name (`resolve_public`)."""
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise InvalidField("url", "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
        parsed = httpx.URL(url)
        raw_host = parsed.raw_host.decode("ascii")
    except Exception:  # anything httpx cannot send is not a URL for us
        raise InvalidField("url", "not a valid URL") from None
    if parts.username or parts.password:
        raise InvalidField("url", "must not contain credentials")
    if parts.fragment:
        raise InvalidField("url", "must not contain a fragment")
    if not host:
        raise InvalidField("url", "must name a host")
    local = host in _LOCAL_HOSTS
    if parts.scheme == "http":
        if not (allow_local_http and local):
            raise InvalidField("url", "must use https")
    elif parts.scheme != "https":
        raise InvalidField("url", "must use https")
    if local:
        if not allow_local_http:
            raise InvalidField("url", "must be a public host")
        return url
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if not _public_ip(ip):
            raise InvalidField("url", "must be a public host")
        return url
    if not _valid_hostname(host) or raw_host != host or "." not in host:
        raise InvalidField("url", "must name a valid public host name (lowercase, no trailing dot)")
    netloc_host = parts.netloc.rpartition("@")[2]
    if not netloc_host.startswith(host):
        raise InvalidField("url", "host name must be lowercase")
    return url


Resolve = Callable[[str], Sequence[str]]
"""`host -> the addresses it resolves to`; raises `OSError` when it does not resolve."""


def getaddrinfo_resolve(host: str) -> list[str]:
    """Every address `host` resolves to (socket.getaddrinfo)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


Networks = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


def resolve_public(
    url: str, *, allow_local_http: bool, resolve: Resolve, allow_networks: Networks = ()
) -> Target:
    """The target to connect to, or `ValueError`: the URL must pass `check_url`, its host
    is resolved once and every address it resolves to must be global (one private answer
    refuses it all: the client's choice among them is not ours to predict). The first
    address is the one the request is pinned to.

    Outside production (`allow_local_http`), 127.0.0.1, ::1 and localhost are exempt;
    localhost is pinned to 127.0.0.1 without asking DNS. `allow_networks` counts as global
    too: tests stand in for the internet with loopback addresses such as 127.0.0.2; never
    set in production code."""
    try:
        check_url(url, allow_local_http=allow_local_http)
    except InvalidField:
        raise ValueError("endpoint URL is not allowed") from None
    host = urlsplit(url).hostname or ""
    if allow_local_http and host in _LOCAL_HOSTS:
        return Target(url=url, host=host, address="127.0.0.1" if host == "localhost" else host)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else list(resolve(host))
    if not addresses:
        raise ValueError(f"{host} does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not (_public_ip(ip) or any(ip in net for net in allow_networks)):
            raise ValueError(f"{host} resolves to a non-public address")
    return Target(url=url, host=host, address=addresses[0])


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
    *,
    uow: UnitOfWork,
    candidate_ref: uuid.UUID,
    event_type: str,
    occurred_at: dt.datetime,
    event_id: uuid.UUID | None = None,
) -> int:
    """Queue `event_type` for every client that was shown the candidate and has an
    endpoint (in the caller's transaction); returns how many deliveries were queued.

    One delivery per event and client (`dedupe_key` `"{event id}:{client_id}"`): queueing
    the same `event_id` again adds nothing. The payload carries no personal data: the
    event id, type, candidate_ref and time."""
    clients = repository.viewers_with_endpoint(uow.session, candidate_ref)
    event_id = event_id or uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event_type,
        "candidate_ref": str(candidate_ref),
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(),
    }
    return repository.add_deliveries(
        uow.session,
        [
            {
                "id": uuid.uuid4(),
                "dedupe_key": f"{event_id}:{client_id}",
                "channel": CHANNEL,
                "client_id": client_id,
                "event_type": event_type,
                "payload": payload,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": occurred_at,
                "created_at": occurred_at,
            }
            for client_id in clients
        ],
    )


def list_deliveries(
    *, uow: UnitOfWork, client_id: str, limit: int, offset: int
) -> tuple[Sequence[WebhookDelivery], int]:
    """The client's own delivery log, newest first."""
    return repository.deliveries_of(uow.session, client_id, limit=limit, offset=offset)


def list_attempts(
    *, uow: UnitOfWork, client_id: str, delivery_id: uuid.UUID
) -> Sequence[WebhookAttempt]:
    """Every attempt of one of the client's deliveries, first first; 404 when the delivery
    is unknown or another client's (the same answer, so ids of others cannot be probed)."""
    if repository.delivery_of(uow.session, client_id, delivery_id) is None:
        raise NotFound("no such webhook delivery")
    return repository.attempts_of(uow.session, delivery_id)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s, ..."""
    return POLICY.backoff(attempts)


@dataclass(frozen=True)
class WebhookSender:
    """The `webhook` channel of `shared.delivery`: one signed POST of one delivery.

    The endpoint is looked up at each attempt (a rotated secret or a new URL applies to
    retries; a removed endpoint bounces the delivery). The URL is checked again and its
    host resolved once (`resolve_public`); the request connects to the checked address
    only (`http_post`, by default `pinned_post`). A 2xx answer is sent; a refused
    address, no answer, another status or any error of the HTTP client is a retry. It
    never raises for a failure of the delivery itself.

    Webhooks never call `attempt.handing_over()`: an HTTP client cannot tell when the
    receiver holds the whole request, so a sender that dies mid-request leaves `sending`,
    which the next run sends again (at least once; receivers drop repeated event ids).
    """

    uows: Callable[[], UnitOfWork]
    http_post: HttpPost = pinned_post
    clock: Callable[[], float] = time.time
    allow_local_http: bool = False
    resolve: Resolve = getaddrinfo_resolve
    allow_networks: Networks = ()

    def __call__(self, row: WebhookDelivery, attempt: Attempt, /) -> SendOutcome:
        with self.uows() as uow:
            endpoint = repository.endpoint(uow.session, row.client_id)
            found = None if endpoint is None else (endpoint.url, endpoint.secret)
        if found is None:
            return SendOutcome.bounced("no webhook endpoint registered")
        url, secret = found
        body = canonical_body(row.payload)
        headers = {
            "Content-Type": "application/json",
            # The moment of sending, not the due time: receivers check it against their clock.
            HEADER: signature(secret, body, int(self.clock())),
            "X-WW-Event-Id": str(row.payload.get("id", "")),
            "X-WW-Event-Type": row.event_type,
            "X-WW-Delivery-Id": str(row.id),
            "User-Agent": "ww-coaching-webhooks/1",
        }
        try:
            target = resolve_public(
                url,
                allow_local_http=self.allow_local_http,
                resolve=self.resolve,
                allow_networks=self.allow_networks,
            )
        except Exception as exc:  # recorded on the delivery, never raised
            return SendOutcome.retry(f"refused: {exc}")
        try:
            status = self.http_post(target, body, headers)
        except httpx.HTTPError as exc:
            return SendOutcome.retry(f"{type(exc).__name__}: no response")
        except Exception as exc:  # one bad row must not block the others
            log.warning(
                "webhook.send_error",
                client_id=row.client_id,
                delivery_id=str(row.id),
                error=type(exc).__name__,
            )
            return SendOutcome.retry(f"{type(exc).__name__}: {exc}")
        if 200 <= status < 300:
            return SendOutcome.sent(status_code=status)
        return SendOutcome.retry(f"HTTP {status}", status_code=status)


def deliver_due(
    uows: Callable[[], UnitOfWork],
    *,
    now: dt.datetime | None = None,
    limit: int = 100,
    http_post: HttpPost = pinned_post,
    clock: Callable[[], float] = time.time,
    allow_local_http: bool = False,
    resolve: Resolve = getaddrinfo_resolve,
    allow_networks: Networks = (),
    registry: CollectorRegistry | None = None,
) -> DeliveryRun:
    """Send the webhook deliveries due at `now` (at most `limit`) with `shared.delivery`.

    Each attempt is claimed (committed, `FOR UPDATE SKIP LOCKED`) before the POST, so two
    dispatchers never send a row at once, and recorded after it with a row in
    `webhook_attempts`; a dispatcher that died mid-attempt leaves `sending`, which a run
    after the lease (5 min) sends again. `now` fixes the due moment and the attempt time
    (tests); the signature's timestamp is the moment of sending (`clock`). See
    `WebhookSender` for the checks before sending (pass `allow_local_http` as
    `environment != "prod"`). `registry` is the service's metrics registry
    (`ww_delivery_attempts{kind="webhook"}`). The run's `delivered` is its `sent`.
    """
    sender = WebhookSender(
        uows=uows,
        http_post=http_post,
        clock=clock,
        allow_local_http=allow_local_http,
        resolve=resolve,
        allow_networks=allow_networks,
    )
    return delivery.deliver_due(
        uows,
        WebhookDelivery,
        WebhookAttempt,
        {CHANNEL: sender},
        kind=KIND,
        policy=POLICY,
        now=now,
        limit=limit,
        registry=registry,
    )
