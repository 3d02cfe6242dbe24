"""Every request of every service goes through the shared input rules (ADR 0024).

- each request body model, and each model nested in one, derives from `RequestModel`;
- each app carries the `check_parameters` dependency for query and path parameters;
- each date or datetime query parameter refuses a date outside the request bounds.

A new route or schema that forgets the rules fails here, not in production.
"""

from __future__ import annotations

import datetime as dt
import inspect
import typing
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.web.validation import RequestModel, check_parameters
from ww.registry import SERVICE_NAMES, load_spec


def _models(tp: Any, acc: set[type[BaseModel]]) -> None:
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        if tp not in acc:
            acc.add(tp)
            for f in tp.model_fields.values():
                _models(f.annotation, acc)
        return
    for arg in typing.get_args(tp):
        _models(arg, acc)


def _routes(service: str) -> list[APIRoute]:
    return [
        r for router in load_spec(service).routers for r in router.routes if isinstance(r, APIRoute)
    ]


def _has_date(tp: Any) -> bool:
    if tp in (dt.date, dt.datetime):
        return True
    return any(_has_date(a) for a in typing.get_args(tp))


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_request_body_model_derives_from_request_model(service: str) -> None:
    models: set[type[BaseModel]] = set()
    for route in _routes(service):
        for param in route.dependant.body_params:
            _models(param.field_info.annotation, models)
    assert models, "no request bodies found: the walk is broken"
    missing = sorted(
        f"{m.__module__}.{m.__qualname__}" for m in models if not issubclass(m, RequestModel)
    )
    assert not missing, f"request models not on RequestModel: {missing}"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_route_refuses_a_control_character_in_a_query_parameter(
    service: str, tmp_path: Any
) -> None:
    """Behavioural: the app-wide check runs on every route before authorisation, so an
    unauthenticated request with NUL in any query parameter is a 422 naming it."""
    from fastapi.testclient import TestClient

    from shared.messaging.embedded import EmbeddedBroker
    from shared.web.app import build_app
    from tests.support.system import container

    c = container(
        service,
        database_url="sqlite://",
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=tmp_path,
    )
    try:
        app = build_app(c, manage_lifecycle=False)
        assert any(d.dependency is check_parameters for d in app.router.dependencies)
        client = TestClient(app)
        wrong = []
        for route in _routes(service):
            path = route.path
            for param in route.dependant.path_params:
                path = path.replace("{" + param.name + "}", "00000000-0000-0000-0000-000000000001")
            for method in route.methods or ():
                r = client.request(method, path, params={"ww_probe": "a\x00b"})
                fields = (
                    [e.get("field") for e in r.json().get("errors", [])]
                    if r.status_code == 422
                    else []
                )
                if fields != ["ww_probe"]:
                    wrong.append(f"{method} {route.path}: {r.status_code}")
        assert not wrong, wrong
    finally:
        c.stop()


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_date_query_parameter_is_bounded(service: str) -> None:
    unbounded = []
    for route in _routes(service):
        stack = [route.dependant]
        while stack:
            dep = stack.pop()
            stack.extend(dep.dependencies)
            for param in dep.query_params:
                if not _has_date(param.field_info.annotation):
                    continue
                far = (
                    "9999-12-31T00:00:00Z"
                    if dt.datetime in _flat(param.field_info.annotation)
                    else "9999-12-31"
                )
                _, errors = param.validate(far, {}, loc=("query", param.alias))
                if not errors:
                    unbounded.append(f"{route.path} {param.alias}")
    assert not unbounded, f"date query parameters without the request bounds: {unbounded}"


def _flat(tp: Any) -> set[Any]:
    out = {tp}
    for a in typing.get_args(tp):
        out |= _flat(a)
    return out
