"""The web over the REAL four services on PostgreSQL, mounted in process: what every
integration test of the web's pages starts from (`services/web/tests/integration`).

    @dataclass
    class World(MountedWeb):
        coach: str = ""

    @pytest.fixture(scope="module")
    def world(tmp_path_factory, pg):
        with mounted_web(World, tmp_path_factory.mktemp("web-x"), pg) as w:
            w.coach = w.add_coach("AMS", "Sanne de Boer")
            yield w
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from fastapi.testclient import TestClient

from shared.messaging.relay import drain
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import embedded_containers
from tests.support.tokens import Tokens
from web.app import create_app
from web.backend import Backend
from web.settings import WebSettings

SERVICES = ("intake", "triage", "coaching", "starters")


@dataclass
class MountedWeb:
    """The four services (their apps as TestClients and as the web's ASGI backends)."""

    containers: dict[str, ServiceContainer]
    services: dict[str, TestClient]
    tokens: Tokens
    settings: WebSettings
    backends: dict[str, Backend]

    def web(self, backends: dict[str, Backend] | None = None) -> TestClient:
        """A browser-like client of a fresh web app over these services."""
        return TestClient(create_app(self.settings, backends=backends or self.backends))

    def drain_all(self) -> None:
        """Deliver every pending event; events beget events (registered -> scored -> case
        -> assigned ...), so a few rounds."""
        for _ in range(3):
            for name in SERVICES:
                drain(self.containers[name].relay)

    def staff(self, role: str, office: str | None = None, sub: str = "staff") -> dict[str, str]:
        """Authorization header of a staff token."""
        return Tokens.header(self.tokens.user(role, sub=sub, office=office))

    def add_coach(
        self,
        office: str,
        name: str,
        *,
        hours: tuple[str, str] = ("09:00", "12:00"),
        contract_hours: int = 32,
        weekdays: Sequence[int] = range(5),
    ) -> str:
        """A coach on the roster of `office` (as its team lead) with an intake agenda of
        `hours` on `weekdays`; returns the coach id."""
        lead = self.staff("team_lead", office, sub=f"lead-{office}")
        body = {"display_name": name, "office_code": office, "contract_hours": contract_hours}
        r = self.services["coaching"].post("/v1/coaches", json=body, headers=lead)
        assert r.status_code == 201, r.text
        self.drain_all()
        coach_id = str(r.json()["id"])
        blocks = [
            {"weekday": d, "start_time": hours[0], "end_time": hours[1], "office_code": office}
            for d in weekdays
        ]
        r = self.services["intake"].put(
            f"/v1/coaches/{coach_id}/agenda", json={"blocks": blocks}, headers=lead
        )
        assert r.status_code == 200, r.text
        return coach_id

    def recordings(self, *names: str) -> tuple[dict[str, Recording], dict[str, Backend]]:
        """The backends with `names` (every service when none is given) behind `Recording`
        transports, to count the calls a page makes."""
        recorders = {
            n: Recording(
                httpx.ASGITransport(app=build_app(self.containers[n], manage_lifecycle=False))
            )
            for n in names or SERVICES
        }
        backends = {
            **self.backends,
            **{n: Backend(f"http://{n}.test", r) for n, r in recorders.items()},
        }
        return recorders, backends


W = TypeVar("W", bound=MountedWeb)


@contextmanager
def mounted_web(cls: type[W], state_dir: Path, pg: PgDatabases) -> Iterator[W]:
    """The services on fresh PostgreSQL databases, as a `cls`; stopped on exit."""
    containers = embedded_containers(state_dir, database_urls=pg.create_all(), log_level="WARNING")
    apps = {n: build_app(c, manage_lifecycle=False) for n, c in containers.items()}
    try:
        yield cls(
            containers=containers,
            services={n: TestClient(a) for n, a in apps.items()},
            tokens=Tokens(state_dir / "dev-jwt-key.pem"),
            settings=WebSettings(state_dir=state_dir, environment="test", backend_retries=0),
            backends={
                n: Backend(f"http://{n}.test", httpx.ASGITransport(app=a)) for n, a in apps.items()
            },
        )
    finally:
        for c in containers.values():
            c.stop()


class Recording(httpx.AsyncBaseTransport):
    """Passes requests on and remembers their paths (to count round trips)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html
    return m.group(1)
