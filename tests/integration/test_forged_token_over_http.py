"""Forged tokens over real HTTP: 401 problem+json and the connection stays usable (issue 13).

On main, a token whose header said `alg: RS256` raised a TypeError inside the verifier: the
answer was a 500 and the error handler re-raised into the server, which dropped the
connection. TestClient hides both, so this test talks HTTP/1.1 to a uvicorn server on a
loopback socket and pipelines requests on one connection.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from shared.messaging.embedded import EmbeddedBroker
from shared.web.app import build_app
from tests.support.system import container, free_port
from tests.support.tokens import Tokens, forged_tokens


@pytest.fixture
def running_coaching(tmp_path: Path) -> Iterator[tuple[int, Tokens]]:
    """A real coaching app (it has the partner routes too) on a free loopback port."""
    c = container("coaching", broker=EmbeddedBroker(), state_dir=tmp_path, transport="embedded")
    c.migrate()
    port = free_port()
    config = uvicorn.Config(
        build_app(c, manage_lifecycle=False),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield port, Tokens(tmp_path / "dev-jwt-key.pem")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        c.stop()


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (Content-Length framed) from the socket; the rest stays buffered."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the server closed the connection; got {bytes(buffer)!r}")
        buffer.extend(chunk)
    head, _, _ = bytes(buffer).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    start = len(head) + 4
    while len(buffer) < start + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("the server closed the connection mid-body")
        buffer.extend(chunk)
    body = bytes(buffer[start : start + length])
    del buffer[: start + length]
    return int(status_line.split()[1]), headers, body


def _get(path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize(
    "kind", ["alg RS256 junk signature", "alg EdDSA junk signature", "roles: 5", "alg none"]
)
def test_forged_token_over_http(running_coaching: tuple[int, Tokens], kind: str) -> None:
    port, tokens = running_coaching
    forged = forged_tokens(tokens.key)[kind]
    valid = tokens.user("admin", sub="8b0c8d6e-0000-4000-8000-000000000001")
    # A staff route and a partner route (the partner API has its own verifier), then a
    # valid request on the same connection: it must still be open and answered.
    requests = [
        _get("/v1/partner-clients", forged),
        _get("/partner/v1/vacancies", forged),
        _get("/v1/partner-clients", valid),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(requests))
        buffer = bytearray()
        answers = [_read_response(sock, buffer) for _ in requests]
    for status, headers, body in answers[:2]:
        assert status == 401, body
        assert headers["content-type"].startswith("application/problem+json"), headers
        assert headers["www-authenticate"].startswith("Bearer"), headers
        assert headers.get("connection", "").lower() != "close", headers
        assert b"urn:ww:problem:unauthorized" in body
    assert answers[2][0] == 200, answers[2]
