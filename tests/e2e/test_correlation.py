"""The correlation id travels: HTTP header -> envelope -> consumer -> the next event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import structlog
from fastapi.testclient import TestClient
from sqlalchemy import select

from shared.clock import local_today
from shared.db.uow import UnitOfWork
from shared.events import Event
from shared.messaging.relay import drain
from shared.web.app import build_app
from tests.support.system import embedded_containers
from tests.support.tokens import Tokens


def _bodies(container: Any, event_type: str) -> list[dict[str, Any]]:
    outbox = container.spec.tables.outbox
    with container.session_factory() as s:
        rows = s.scalars(select(outbox.body).where(outbox.event_type == event_type)).all()
    return [json.loads(b) for b in rows]


def test_correlation_and_causation_ids_follow_the_slice(state_dir: Path, tokens: Tokens) -> None:
    cs = embedded_containers(state_dir)
    seen_in_consumer: list[dict[str, Any]] = []
    original = cs["coaching"].consumer._handlers["triage.scored"]

    def spy(event: Event[Any], uow: UnitOfWork) -> None:
        seen_in_consumer.append(dict(structlog.contextvars.get_contextvars()))
        original(event, uow)

    cs["coaching"].consumer._handlers["triage.scored"] = spy
    try:
        with TestClient(build_app(cs["intake"], manage_lifecycle=False)) as client:
            r = client.post(
                "/v1/claims",
                json={
                    "bsn": "111222333",
                    "given_name": "Kees",
                    "family_name": "Bakker",
                    "date_of_birth": "1975-09-01",
                    "first_ww_day": local_today().isoformat(),
                    "postcode": "3011 AB",
                },
                headers={
                    **tokens.header(tokens.user("admin")),
                    "X-Correlation-ID": "corr-slice-42",
                },
            )
        assert r.status_code == 201
        assert r.headers["X-Correlation-ID"] == "corr-slice-42"
        for name in ("intake", "triage", "coaching"):
            drain(cs[name].relay)

        registered = _bodies(cs["intake"], "claim.registered")[0]
        scored = _bodies(cs["triage"], "triage.scored")[0]
        opened = _bodies(cs["coaching"], "case.opened")[0]
        assert registered["correlationid"] == "corr-slice-42"
        assert registered["causationid"] is None
        assert scored["correlationid"] == "corr-slice-42"
        assert scored["causationid"] == registered["id"]  # caused by the registration
        assert opened["correlationid"] == "corr-slice-42"
        assert opened["causationid"] == registered["id"]
        assert seen_in_consumer == [
            {"correlation_id": "corr-slice-42", "causation_id": scored["id"]}
        ]
    finally:
        for c in cs.values():
            c.stop()
