"""App factory shared by the four services: middleware, errors, health, readiness, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from shared.logging import configure_logging, get_logger
from shared.runtime import ServiceContainer
from shared.web.middleware import (
    BodySizeLimitMiddleware,
    CorrelationIdMiddleware,
    MetricsMiddleware,
)
from shared.web.problems import install_problem_handlers
from shared.web.validation import check_parameters

log = get_logger(__name__)


def get_container(request: Request) -> ServiceContainer:
    """FastAPI dependency: the service's container."""
    container: ServiceContainer = request.app.state.container
    return container


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness: the process answers")
    def health(request: Request) -> dict[str, str]:
        container = request.app.state.container
        body = {"status": "ok", "service": container.name}
        if container.verifier.local_key_id is not None:  # dev/embedded: for `ww token`
            body["local_key_id"] = container.verifier.local_key_id
        return body

    @router.get("/ready", summary="Readiness: database and broker reachable", response_model=None)
    async def ready(request: Request) -> JSONResponse:
        container: ServiceContainer = request.app.state.container
        checks: dict[str, str] = {}
        for name, check in (
            ("database", container.check_database),
            ("broker", container.check_broker),
        ):
            try:
                await run_in_threadpool(check)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"unavailable: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
    def metrics(request: Request) -> Response:
        container: ServiceContainer = request.app.state.container
        return Response(generate_latest(container.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def build_app(container: ServiceContainer, *, manage_lifecycle: bool = True) -> FastAPI:
    """Assemble the FastAPI app; workers start in the lifespan when settings ask for it."""
    settings = container.settings
    spec = container.spec
    configure_logging(level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle and settings.run_workers:
            container.start_relay()
            container.start_consumer()
        log.info("service.started", service=spec.name, transport=settings.transport)
        try:
            yield
        finally:
            if manage_lifecycle:
                await run_in_threadpool(container.stop)
            log.info("service.stopped", service=spec.name)

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=spec.openapi_tags or None,
        docs_url="/docs",
        openapi_url="/openapi.json",
        # Every route, present and future: no control character in a query or path parameter.
        dependencies=[Depends(check_parameters)],
    )
    app.state.container = container
    install_problem_handlers(app)
    app.include_router(_ops_router())
    for router in spec.routers:
        app.include_router(router)
    # Order matters: the outermost (last added) runs first.
    app.add_middleware(MetricsMiddleware, metrics=container.metrics)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CorrelationIdMiddleware)
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """Advertise problem+json for error responses in the OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = {
            "type": "object",
            "description": "RFC 9457 problem details",
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "location": {"type": "string"},
                            "message": {"type": "string"},
                            "code": {"type": "string"},
                        },
                    },
                },
            },
            "required": ["type", "title", "status"],
        }
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
