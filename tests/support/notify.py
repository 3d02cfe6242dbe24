"""A fake GOV.UK Notify / NotifyNL API: POST /v2/notifications/sms, as the real one answers.

A fake *provider* (an external SaaS we cannot run), which the test rules allow; it is not
a stand-in for a mail server, database or broker (those are real in every test). It
checks what the real API checks for this call: the bearer JWT (HS256, signed with the
API key's secret, `iss` = the service id, `iat` within 30 s), the template id, the
`body` personalisation and the phone number, and answers 201 with Notify's JSON, or
Notify's error JSON (400, 403, 429, 500).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest

_PHONE = re.compile(r"\+?[0-9]{9,15}")


@dataclass
class FakeNotify:
    """The fake API on 127.0.0.1:<free port>; `received` holds the accepted notifications."""

    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    template_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received: list[dict[str, Any]] = field(default_factory=list)
    delay_s: float = 0.0
    _failures: list[int] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_key(self) -> str:
        """A key in Notify's format: `<name>-<service id>-<secret>`."""
        return f"ww_test-{self.service_id}-{self.secret}"

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, status: int, n: int = 1) -> None:
        """Answer the next `n` requests with `status` (429, 500, 503 ...)."""
        with self._lock:
            self._failures.extend([status] * n)

    def start(self) -> FakeNotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = fake._answer(self.path, self.headers.get("Authorization"), body)
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(self, path: str, auth: str | None, raw: bytes) -> tuple[int, dict[str, Any]]:
        def error(status: int, kind: str, message: str) -> tuple[int, dict[str, Any]]:
            return status, {"status_code": status, "errors": [{"error": kind, "message": message}]}

        with self._lock:
            forced = self._failures.pop(0) if self._failures else None
        if forced == 429:
            return error(429, "RateLimitError", "Exceeded rate limit for key type LIVE")
        if forced is not None:
            return error(forced, "Exception", "Internal server error")
        if path != "/v2/notifications/sms":
            return error(404, "NotFound", "Not found")
        if not auth or not auth.startswith("Bearer "):
            return error(401, "AuthError", "Unauthorized: authentication token must be provided")
        try:
            token = auth.removeprefix("Bearer ")
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token, self.secret, algorithms=["HS256"], options={"verify_iat": False}
            )
        except jwt.PyJWTError:
            return error(403, "AuthError", "Invalid token: signature, api token not found")
        if header.get("typ") != "JWT" or claims.get("iss") != self.service_id:
            return error(403, "AuthError", "Invalid token: iss field not provided")
        if abs(time.time() - float(claims.get("iat", 0))) > 30:
            return error(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )
        try:
            data = json.loads(raw)
        except ValueError:
            return error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        if data.get("template_id") != self.template_id:
            return error(400, "BadRequestError", "Template not found")
        if "body" not in (data.get("personalisation") or {}):
            return error(400, "BadRequestError", "Missing personalisation: body")
        number = str(data.get("phone_number", "")).replace(" ", "")
        if not _PHONE.fullmatch(number):
            return error(400, "ValidationError", "phone_number Not enough digits")
        notification_id = str(uuid.uuid4())
        with self._lock:
            self.received.append({"id": notification_id, **data})
        base = "https://api.notifications.service.gov.uk"
        return 201, {
            "id": notification_id,
            "reference": data.get("reference"),
            "content": {"body": data["personalisation"]["body"], "from_number": "UWV"},
            "uri": f"{base}/v2/notifications/{notification_id}",
            "template": {
                "id": self.template_id,
                "version": 1,
                "uri": f"{base}/services/{self.service_id}/templates/{self.template_id}",
            },
        }


@pytest.fixture
def fake_notify() -> Iterator[FakeNotify]:
    """The fake Notify API on a free port."""
    fake = FakeNotify().start()
    try:
        yield fake
    finally:
        fake.stop()
