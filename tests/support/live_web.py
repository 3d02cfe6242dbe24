"""The whole system as it runs in production, for the browser acceptance tests (issue 15):
the four services as `ww run` processes on real PostgreSQL and Kafka, a real SMTP server
(intake's messages land there), and `ww web` in front of them.

One system for the whole test session (`live_web` fixture): starting it costs ~20 s. Each
test makes its own data in its own office, so the tests do not see each other's claims.

    def test_x(browser, live_web):
        coach = live_web.add_coach("AMS", "Sanne de Boer")
        claim = live_web.register_claim(office_postcode="1011 AB")
        browser.get(live_web.url("/dev/sign-in"))
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.clock import local_today
from shared.mail.sink import MailSink
from shared.testdata import synthetic_bsn
from tests.support.distributed import System, distributed_system
from tests.support.pg import PgDatabases
from tests.support.system import free_port, service_env, wait_healthy, wait_until
from tests.support.tokens import Tokens


@dataclass
class LiveWeb:
    """Handles on the running system, with the calls tests use to set up their data."""

    system: System
    web_url: str
    mail: MailSink
    tokens: Tokens
    rng: random.Random = field(default_factory=lambda: random.Random(1515))

    def url(self, path: str) -> str:
        """The web's URL of `path`."""
        return self.web_url + path

    def service(self, name: str) -> httpx.Client:
        """An HTTP client of one backend (the caller closes it)."""
        return httpx.Client(base_url=self.system.urls[name], timeout=30)

    def as_role(
        self, role: str, *, sub: str | None = None, office: str | None = None
    ) -> dict[str, str]:
        """Authorization header of a staff token."""
        return Tokens.header(self.tokens.user(role, sub=sub or f"test-{role}", office=office))

    def add_coach(
        self, office: str, name: str, *, hours: tuple[str, str] = ("09:00", "16:00")
    ) -> str:
        """A coach on the roster of `office` with an intake agenda on every weekday; waits
        until intake knows the coach (coach.created reached it over Kafka)."""
        lead = self.as_role("team_lead", sub=f"lead-{office.lower()}", office=office)
        with self.service("coaching") as coaching, self.service("intake") as intake:
            r = coaching.post(
                "/v1/coaches",
                json={"display_name": name, "office_code": office, "contract_hours": 32},
                headers=lead,
            )
            assert r.status_code == 201, r.text
            coach_id = str(r.json()["id"])
            blocks = [
                {"weekday": d, "start_time": hours[0], "end_time": hours[1], "office_code": office}
                for d in range(5)
            ]

            def agenda_set() -> bool:
                put = intake.put(
                    f"/v1/coaches/{coach_id}/agenda", json={"blocks": blocks}, headers=lead
                )
                return put.status_code == 200

            wait_until(agenda_set, timeout=30, message=f"intake to know coach {coach_id}")
        return coach_id

    def register_claim(
        self,
        *,
        postcode: str,
        given_name: str = "Fatima",
        family_name: str = "El Amrani",
        email: str | None = None,
        first_ww_day: dt.date | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Register a claim as a benefits officer; returns intake's body plus `bsn`."""
        bsn = synthetic_bsn(self.rng)
        body: dict[str, Any] = {
            "bsn": bsn,
            "given_name": given_name,
            "family_name": family_name,
            "date_of_birth": "1988-03-14",
            "first_ww_day": (first_ww_day or local_today()).isoformat(),
            "postcode": postcode,
            **extra,
        }
        if email:
            body["email"] = email
        officer = self.as_role("benefits_officer", sub="officer")
        with self.service("intake") as intake:
            r = intake.post(
                "/v1/claims",
                json=body,
                headers={**officer, "Idempotency-Key": str(uuid.uuid4())},
            )
        assert r.status_code == 201, r.text
        return {**r.json(), "bsn": bsn}

    def wait_for(self, predicate: Any, *, timeout: float = 30, what: str) -> Any:
        """Poll until the system has done something (an event crossed Kafka)."""
        return wait_until(predicate, timeout=timeout, message=what)


@contextlib.contextmanager
def live_web_system(pg: PgDatabases, kafka: str, prefix: str, tmp_path: Path) -> Iterator[LiveWeb]:
    """Start everything (see the module docstring); stop it all on exit."""
    with MailSink(directory=tmp_path / "mail") as sink:
        intake_env = {
            "INTAKE_SMTP_HOST": sink.host,
            "INTAKE_SMTP_PORT": str(sink.port),
            "INTAKE_MESSAGES_POLL_INTERVAL_S": "0.3",
        }
        with distributed_system(
            pg, kafka, prefix, tmp_path, extra_env={"intake": intake_env}
        ) as system:
            port = free_port()
            env = service_env("web", state_dir=system.state_dir)
            env.update(
                {
                    "WEB_PORT": str(port),
                    "WEB_ENVIRONMENT": "test",
                    "WEB_PUBLIC_URL": f"http://127.0.0.1:{port}",
                    **{f"WEB_{s.upper()}_URL": u for s, u in system.urls.items()},
                }
            )
            web = system.procs.start("web", ["web"], env)
            web_url = f"http://127.0.0.1:{port}"
            wait_healthy(web_url, timeout=60, proc=web)
            yield LiveWeb(system=system, web_url=web_url, mail=sink, tokens=system.tokens)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests on the live system run last: started once for the session, its four
    services (each polling its outbox and consumer) would otherwise keep a share of the
    CPU busy under every test that runs after the first browser test."""
    uses = [i for i in items if "live_web" in getattr(i, "fixturenames", ())]
    if uses:
        rest = [i for i in items if "live_web" not in getattr(i, "fixturenames", ())]
        items[:] = rest + uses


@pytest.fixture(scope="session")
def live_web(
    pg: PgDatabases, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveWeb]:
    """The system of this module, once per test session (see the module docstring)."""
    tmp = tmp_path_factory.mktemp("live-web")
    prefix = f"web{uuid.uuid4().hex[:8]}"
    with live_web_system(pg, kafka_bootstrap, prefix, tmp) as live:
        yield live
