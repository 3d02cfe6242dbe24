"""`python -m bench.web_server`: the web front end as `ww web` runs it (WEB_* settings,
uvicorn), with every backend call also remembered, so the bench can ask a page which calls
it made (`GET /__bench/calls` returns and forgets them) and replay exactly those.

The recorder only appends a tuple to a list per call; the product code path is the same
`web.app.create_app` with real HTTP transports to the services.
"""

from __future__ import annotations

from typing import Any

import httpx
import uvicorn

from web.app import create_app
from web.backend import Backend
from web.settings import WebSettings


class Recording(httpx.AsyncBaseTransport):
    """A real HTTP transport that notes (service, method, path, query) of each request."""

    def __init__(self, service: str, calls: list[dict[str, Any]]) -> None:
        self.service = service
        self.calls = calls
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(
            {
                "service": self.service,
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query.decode(),
            }
        )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def main() -> None:
    settings = WebSettings()
    calls: list[dict[str, Any]] = []
    backends: dict[str, Backend | str] = {
        name: Backend(url, Recording(name, calls)) for name, url in settings.backend_urls().items()
    }
    app = create_app(settings, backends=backends)

    @app.get("/__bench/calls")
    def recorded() -> list[dict[str, Any]]:
        out = list(calls)
        calls.clear()
        return out

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
