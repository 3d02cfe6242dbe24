"""The one way the web talks to the services: their public HTTP APIs over httpx.

Every call carries the signed-in person's bearer token (the backends decide what they may
see) and the request's correlation id; GETs are retried on transport errors and 502-504,
nothing else is (a POST may have been carried out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

CORRELATION_HEADER = "X-Correlation-ID"  # as shared/web/middleware.py reads it
_RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass
class BackendProblem(Exception):
    """A backend's RFC 9457 problem (or any 4xx/5xx), as the pages show it."""

    status: int
    title: str
    detail: str | None = None
    fields: list[str] = field(default_factory=list)
    service: str = ""

    def __str__(self) -> str:
        return f"{self.service} {self.status}: {self.title}"


class BackendUnavailable(Exception):
    """A backend did not answer (connection refused, timeout, 502-504 after retries)."""

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is unavailable")
        self.service = service


@dataclass(frozen=True)
class Backend:
    """Where one service is: a base URL and optionally a transport (tests mount the real
    service apps in process with `httpx.ASGITransport`)."""

    base_url: str
    transport: httpx.AsyncBaseTransport | None = None


def problem_of(service: str, response: httpx.Response) -> BackendProblem:
    """The readable parts of an error response; never its body verbatim when it is not a
    problem document (it might be a stack trace of a proxy)."""
    title = response.reason_phrase or "Error"
    detail: str | None = None
    names: list[str] = []
    if "json" in response.headers.get("content-type", ""):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            if isinstance(body.get("title"), str):
                title = body["title"]
            if isinstance(body.get("detail"), str):
                detail = body["detail"]
            for err in body.get("errors") or []:
                if isinstance(err, dict):
                    name = err.get("field") or err.get("loc") or err.get("pointer")
                    if isinstance(name, list):
                        name = ".".join(str(p) for p in name)
                    if isinstance(name, str):
                        names.append(name)
    return BackendProblem(response.status_code, title, detail, names, service)


class BackendClient:
    """Async clients of the four services with timeouts, retries and identity passed on."""

    def __init__(
        self,
        backends: Mapping[str, Backend | str],
        *,
        timeout_s: float = 5.0,
        connect_timeout_s: float = 2.0,
        retries: int = 2,
        backoff_s: float = 0.1,
    ) -> None:
        self.retries = retries
        self.backoff_s = backoff_s
        timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        self._clients: dict[str, httpx.AsyncClient] = {}
        for name, spec in backends.items():
            b = Backend(spec) if isinstance(spec, str) else spec
            self._clients[name] = httpx.AsyncClient(
                base_url=b.base_url, transport=b.transport, timeout=timeout
            )

    async def aclose(self) -> None:
        """Close every connection pool."""
        for c in self._clients.values():
            await c.aclose()

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        correlation_id: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The JSON body of a 2xx answer (None when empty); BackendProblem for 4xx/5xx,
        BackendUnavailable when the service cannot be reached."""
        response = await self.raw(
            service,
            method,
            path,
            token=token,
            correlation_id=correlation_id,
            params=params,
            json=json,
            headers=headers,
        )
        if not response.content:
            return None
        return response.json()

    async def raw(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        correlation_id: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A 2xx answer as it is (an .ics, a PDF: not JSON), with the same identity,
        retries and errors as `request`."""
        client = self._clients[service]
        h = {CORRELATION_HEADER: correlation_id, "Accept": "application/json"}
        if token:
            h["Authorization"] = f"Bearer {token}"
        h.update(headers or {})
        attempts = 1 + (self.retries if method.upper() == "GET" else 0)
        response: httpx.Response | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = await client.request(method, path, params=params, json=json, headers=h)
            except httpx.TransportError:
                response = None
                continue
            if response.status_code not in _RETRY_STATUSES:
                break
        if response is None or response.status_code in _RETRY_STATUSES:
            raise BackendUnavailable(service)
        if response.status_code >= 400:
            raise problem_of(service, response)
        return response

    async def get(self, service: str, path: str, **kwargs: Any) -> Any:
        """GET (retried)."""
        return await self.request(service, "GET", path, **kwargs)

    async def post(self, service: str, path: str, **kwargs: Any) -> Any:
        """POST (never retried)."""
        return await self.request(service, "POST", path, **kwargs)
