"""Webhook delivery and DNS rebinding (issue 13 item 6), on PostgreSQL with real receivers.

The name is resolved once, every answer is checked, and the request connects to the
checked address with the original `Host`, TLS SNI and certificate check against the host
name. The resolver here is the process's own `socket.getaddrinfo`, patched to answer
differently on each call (first the "public" receiver, then 127.0.0.1), so a second lookup
by the HTTP client, as before the fix, would reach the listener on 127.0.0.1.

Loopback stands in for the internet: 127.0.0.2 is passed as `allow_networks` (production
passes nothing). Two listeners share one port: the agency's HTTPS receiver on 127.0.0.2
and an "internal service" on 127.0.0.1 that records every connection it gets.
"""

from __future__ import annotations

import functools
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from coaching.partner.webhooks import service
from tests.support.coaching import Office, office
from tests.support.tls import Pki, make_pki

from .test_partner_candidates_pg import agency, claimant_case, consent, desk, refs, search
from .test_partner_webhooks_pg import doc_verify

pytestmark = pytest.mark.integration
__all__ = ["desk", "office"]

HOST = "agency.example.nl"
GOOD = "127.0.0.2"  # "public" in these tests
EVIL = "127.0.0.1"  # the internal service a rebinding answer points at
STAND_IN = [ipaddress.IPv4Network(f"{GOOD}/32")]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@dataclass
class Net:
    """The two listeners on one port and what they saw."""

    port: int
    received: list[tuple[dict[str, str], bytes, str]] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)
    internal_connections: int = 0


def _listeners(pki: Pki, cert_name: str) -> Iterator[Net]:
    # The internal service first (any free port), then the receiver on the same port.
    for _ in range(200):  # a port taken on 127.0.0.2 only is rare: a few tries find one
        internal = socket.socket()
        internal.bind((EVIL, 0))
        port = internal.getsockname()[1]
        try:
            probe = socket.socket()
            probe.bind((GOOD, port))
            probe.close()
            break
        except OSError:
            internal.close()
    else:
        pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2 after 200 tries")
    internal.listen(8)
    net = Net(port=port)

    def accept() -> None:
        while True:
            try:
                conn, _ = internal.accept()
            except OSError:
                return
            net.internal_connections += 1
            conn.close()

    threading.Thread(target=accept, daemon=True).start()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            net.received.append((headers, body, self.path))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    cert, key = pki.server_files(cert_name)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.sni_callback = lambda sock, name, _ctx: net.sni.append(name)  # type: ignore[func-returns-value]

    class TlsServer(http.server.ThreadingHTTPServer):
        def get_request(self) -> tuple[socket.socket, Any]:
            sock, addr = super().get_request()
            try:
                return ctx.wrap_socket(sock, server_side=True), addr
            except (ssl.SSLError, OSError):
                sock.close()
                raise

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    server = TlsServer((GOOD, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield net
    finally:
        server.shutdown()
        server.server_close()
        internal.close()


@pytest.fixture
def net(pki: Pki) -> Iterator[Net]:
    yield from _listeners(pki, HOST)


@pytest.fixture
def wrong_cert_net(pki: Pki) -> Iterator[Net]:
    yield from _listeners(pki, "someone-else.example.nl")


@dataclass
class Rebinding:
    """`socket.getaddrinfo` answering `answers` in turn for HOST (the last one from then
    on), and the real lookup for every other name."""

    answers: list[str]
    lookups: list[str] = field(default_factory=list)


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> Rebinding:
    state = Rebinding(answers=[GOOD, EVIL])
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HOST:
            return real(host, port, *args, **kwargs)
        state.lookups.append(host)
        answer = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


def _withdrawn_consent_pending(o: Office, client_id: str, url: str) -> tuple[dict[str, str], str]:
    """An agency with `url` registered that was shown a candidate who then withdrew consent:
    one delivery pending. Returns (agency headers, secret)."""
    h = agency(o, client_id)
    r = o.client.put("/partner/v1/webhook", json={"url": url}, headers=h)
    assert r.status_code == 200, r.text
    claim, sub = claimant_case(o)
    consent(o, claim, sub)
    assert len(refs(search(o, h))) == 1
    consent(o, claim, sub, "none")
    return h, str(r.json()["secret"])


def test_delivery_goes_to_the_checked_address_not_to_a_rebound_answer(
    desk: Office, net: Net, pki: Pki, rebinding: Rebinding
) -> None:
    url = f"https://{HOST}:{net.port}/hooks/ww"
    _, secret = _withdrawn_consent_pending(desk, "agency-rebind", url)

    outcome = service.deliver_due(
        desk.container.uow,
        http_post=functools.partial(service.pinned_post, verify=pki.client_context()),
        allow_networks=STAND_IN,
    )

    assert (outcome.attempted, outcome.delivered) == (1, 1), desk.sql(
        "SELECT last_error FROM webhook_deliveries"
    )
    assert rebinding.lookups == [HOST]  # resolved once, by the check
    assert net.internal_connections == 0  # the second answer was never used
    ((headers, body, path),) = net.received
    assert headers["host"] == f"{HOST}:{net.port}"  # the name, not the address
    assert net.sni == [HOST]
    assert path == "/hooks/ww"
    assert json.loads(body)["type"] == "consent.withdrawn"
    assert doc_verify()(secret.encode(), headers["x-ww-signature"], body, int(time.time()))


def test_a_first_answer_into_our_network_is_refused_unsent(
    desk: Office, net: Net, pki: Pki, rebinding: Rebinding
) -> None:
    rebinding.answers = [EVIL, GOOD]  # the other way round: the check sees 127.0.0.1
    _withdrawn_consent_pending(desk, "agency-rebind-first", f"https://{HOST}:{net.port}/h")

    outcome = service.deliver_due(
        desk.container.uow,
        http_post=functools.partial(service.pinned_post, verify=pki.client_context()),
        allow_networks=STAND_IN,
    )

    assert (outcome.attempted, outcome.retrying) == (1, 1)
    assert rebinding.lookups == [HOST]
    assert net.internal_connections == 0
    assert net.received == []
    ((status, error),) = desk.sql("SELECT status, last_error FROM webhook_deliveries")
    assert status == "pending"
    assert error.startswith("refused:")
    assert "non-public" in error


def test_the_certificate_is_checked_against_the_host_name_not_the_address(
    desk: Office, wrong_cert_net: Net, pki: Pki, rebinding: Rebinding
) -> None:
    # The receiver at the checked address holds a certificate for another name.
    url = f"https://{HOST}:{wrong_cert_net.port}/hooks/ww"
    _withdrawn_consent_pending(desk, "agency-wrong-cert", url)

    outcome = service.deliver_due(
        desk.container.uow,
        http_post=functools.partial(service.pinned_post, verify=pki.client_context()),
        allow_networks=STAND_IN,
    )

    assert (outcome.attempted, outcome.retrying) == (1, 1)
    assert wrong_cert_net.received == []
    assert wrong_cert_net.sni == [HOST]
    assert wrong_cert_net.internal_connections == 0
    ((error,),) = desk.sql("SELECT last_error FROM webhook_deliveries")
    assert error == "ConnectError: no response"


def test_localhost_is_pinned_to_127_0_0_1_without_a_lookup(
    desk: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside production `http://localhost` is allowed; it is pinned to 127.0.0.1 and the
    request still names `localhost:<port>` as its Host."""
    seen: list[tuple[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append((self.headers["Host"], self.client_address[0]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    looked_up: list[str] = []
    try:
        _withdrawn_consent_pending(desk, "agency-local", f"http://localhost:{port}/h")
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            looked_up.append(str(host))
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        outcome = service.deliver_due(desk.container.uow, allow_local_http=True)
    finally:
        server.shutdown()
        server.server_close()
    assert outcome.delivered == 1
    assert seen == [(f"localhost:{port}", "127.0.0.1")]
    assert "localhost" not in looked_up
