"""Partner webhooks: endpoints, the delivery outbox and the dispatcher.

Events are rows in `webhook_deliveries`, added in the transaction of the change that
caused them (a consent withdrawn, a case closed), so an event exists if and only if the
change was committed. `deliver_due` sends them (signed), retrying with exponential
backoff: 30 s x 2^(n-1) after the n-th failed attempt, failed after 8 attempts.
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
    http_post: HttpPost = pinned_post,
    clock: Callable[[], float] = time.time,
    allow_local_http: bool = False,
    resolve: Resolve = getaddrinfo_resolve,
    allow_networks: Networks = (),
) -> DeliveryRun:
    """Send the deliveries due at `now` (at most `limit`), one transaction each.

    Each delivery is locked while it is sent, so two dispatchers never send it twice; a
    2xx answer is delivered, anything else (or no answer) is retried with backoff. The
    signature's timestamp is the moment of sending (`clock`), not `now`.

    Before sending, the URL is checked again and its host resolved, once: an address that
    is not global (private, loopback, link-local, ...) fails the attempt unsent, except
    127.0.0.1/localhost when `allow_local_http` (pass `environment != "prod"`). The request
    then connects to the address that was checked (`pinned_post`), never resolving the name
    again, so a DNS answer that changes between the check and the connection (rebinding)
    cannot redirect it into our network. Any error of
    one delivery (a bad URL, DNS, the HTTP client) is a failed attempt of that delivery
    only: it never stops the others.
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
            outcome = _attempt(
                uow,
                row,
                now=now,
                http_post=http_post,
                clock=clock,
                allow_local_http=allow_local_http,
                resolve=resolve,
                allow_networks=allow_networks,
            )
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
    allow_local_http: bool,
    resolve: Resolve,
    allow_networks: Networks,
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
        target = resolve_public(
            endpoint.url,
            allow_local_http=allow_local_http,
            resolve=resolve,
            allow_networks=allow_networks,
        )
    except Exception as exc:  # recorded on the delivery, never raised
        error = f"refused: {exc}"[:500]
    else:
        try:
            status = http_post(target, body, headers)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: no response"
        except Exception as exc:  # one bad row must not block the others
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning(
                "webhook.send_error",
                client_id=row.client_id,
                delivery_id=str(row.id),
                error=type(exc).__name__,
            )
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
