"""Running the web: on its own (`ww web`) or beside the services in embedded mode."""

from __future__ import annotations

import socket
from collections.abc import Mapping

import uvicorn

from web.app import create_app
from web.settings import WebSettings


def web_config(
    settings: WebSettings, backend_urls: Mapping[str, str] | None = None
) -> uvicorn.Config:
    """The uvicorn configuration of the web app (backends from the settings unless given)."""
    app = create_app(settings, backends=dict(backend_urls) if backend_urls else None)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


def bind(settings: WebSettings) -> socket.socket | None:
    """The listening socket, or None when the port is taken (embedded mode then runs
    without the web instead of failing the four services)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError:
        sock.close()
        return None
    sock.set_inheritable(True)
    return sock


def run_web() -> None:
    """`ww web`: the web alone, against the backends of its settings."""
    settings = WebSettings()
    uvicorn.Server(web_config(settings)).run()
