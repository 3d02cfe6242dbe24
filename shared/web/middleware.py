"""Pure ASGI middleware: correlation id, body size limit, request metrics and access log."""

from __future__ import annotations

import json
import time
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.context import correlation_id_var, sanitize_correlation_id
from shared.logging import get_logger
from shared.web.problems import PROBLEM_JSON, TYPE_PREFIX

log = get_logger("ww.http")

CORRELATION_HEADER = b"x-correlation-id"


class CorrelationIdMiddleware:
    """Takes X-Correlation-ID (or mints one), binds it to logs and events, echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers", [])).get(CORRELATION_HEADER)
        cid = sanitize_correlation_id(raw.decode("latin-1") if raw else None)
        token = correlation_id_var.set(cid)
        structlog.contextvars.bind_contextvars(correlation_id=cid)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (CORRELATION_HEADER, cid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id")
            correlation_id_var.reset(token)


class _BodyTooLarge(HTTPException):
    # An HTTPException, so FastAPI re-raises it while reading the body instead of turning
    # it into a generic 400; the problem handlers then answer 413.
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body exceeds {max_bytes} bytes")


class BodySizeLimitMiddleware:
    """Rejects bodies over the limit with 413 problem+json, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "type": TYPE_PREFIX + "payload-too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"the request body exceeds {self.max_bytes} bytes",
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class MetricsMiddleware:
    """Counts requests and observes latency per route template; logs one line per request."""

    def __init__(self, app: ASGIApp, *, metrics: Any) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.http_requests.labels(
                method=method, route=template, status=str(status)
            ).inc()
            self.metrics.http_latency.labels(method=method, route=template).observe(elapsed)
            if template not in ("/metrics", "/health", "/ready"):
                # The route template, never the concrete path: no identifiers in logs.
                log.info(
                    "http.request",
                    method=method,
                    route=template,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
