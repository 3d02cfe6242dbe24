"""The triage service on a fresh PostgreSQL database, driven through its API and its consumer."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.events.common import Channel
from shared.events.envelope import EventPayload
from shared.events.intake import IntakeCompleted, IntakeScheduled
from shared.messaging.consumer import Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.fakes import claim_registered, coach_registered, incoming
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens
from tests.support.triage import BASE, BERT

# The reference person (logit 0.55) and Bert, 58 (logit -3.048, personal; hindering age,
# self-efficacy, expectation) of docs/triage-model.md.
BASE_ANSWERS: dict[str, Any] = BASE
BERT_ANSWERS: dict[str, Any] = BERT


DEFAULT_COACH = uuid.UUID("00000000-0000-4000-8000-00000000c0ac")


@dataclass
class Triage:
    """Handles on one triage service under test."""

    container: ServiceContainer
    client: TestClient
    tokens: Tokens

    def as_(self, *roles: str, sub: str | None = None, office: str | None = None) -> dict[str, str]:
        """Authorization header of a person. A coach token names a coach triage knows
        (delivered as coach.registered; unknown coaches are refused, ADR 0022): a given
        UUID subject, else the default coach."""
        if "coach" in roles:
            sub = sub or str(DEFAULT_COACH)
            try:
                self.deliver(coach_registered(coach_id=uuid.UUID(sub)))
            except ValueError:
                pass  # not a coach id: the token is refused as an unknown coach
        return Tokens.header(self.tokens.user(*roles, sub=sub or "user-1", office=office))

    def deliver(self, payload: EventPayload) -> Outcome:
        """Feed one event to the service's consumer, as the transport would."""
        return self.container.consumer.process(incoming(payload))

    def register(
        self,
        *,
        claimant: str | None = None,
        age: int | None = 40,
        office_code: str = "AMS",
        first_ww_day: dt.date | None = None,
        **extra: Any,
    ) -> uuid.UUID:
        """Deliver claim.registered for a new claim; returns its id."""
        claim_id = uuid.uuid4()
        payload = claim_registered(
            claim_id=claim_id,
            office_code=office_code,
            age_at_first_ww_day=age,
            claimant_subject=claimant,
            **extra,
        )
        if first_ww_day is not None:
            payload = payload.model_copy(update={"first_ww_day": first_ww_day})
        assert self.deliver(payload) is Outcome.PROCESSED
        return claim_id

    def schedule(self, claim_id: uuid.UUID, coach_id: uuid.UUID) -> uuid.UUID:
        """Deliver intake.scheduled: the coach holds the claim's intake."""
        appointment_id = uuid.uuid4()
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        assert (
            self.deliver(
                IntakeScheduled(
                    claim_id=claim_id,
                    appointment_id=appointment_id,
                    coach_id=coach_id,
                    office_code="AMS",
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(minutes=45),
                    deadline=starts.date(),
                    channel=Channel.FACE_TO_FACE,
                )
            )
            is Outcome.PROCESSED
        )
        return appointment_id

    def complete(
        self,
        claim_id: uuid.UUID,
        coach_id: uuid.UUID,
        answers: dict[str, Any] | None = None,
    ) -> None:
        """Deliver intake.completed (optionally with questionnaire answers)."""
        assert (
            self.deliver(
                IntakeCompleted(
                    claim_id=claim_id,
                    appointment_id=uuid.uuid4(),
                    coach_id=coach_id,
                    held_at=dt.datetime.now(dt.UTC),
                    explained_topics=["job_search_obligation"],
                    agreed_next_step="apply for two jobs a week",
                    questionnaire_answers=answers,
                    within_deadline=True,
                    obligation_regime="regular",
                )
            )
            is Outcome.PROCESSED
        )

    def submit(
        self,
        claim_id: uuid.UUID,
        answers: dict[str, Any],
        headers: dict[str, str],
        version: str = "1",
    ) -> Any:
        """PUT the questionnaire."""
        return self.client.put(
            f"/v1/claims/{claim_id}/questionnaire",
            json={"questionnaire_version": version, "answers": answers},
            headers=headers,
        )

    def sql(self, sql: str, **params: Any) -> list[Any]:
        """Run SQL on the service's database."""
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """Bodies of the outbox events of one type, in order."""
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0]) for r in rows]


@pytest.fixture
def triage_factory(pg: PgDatabases, state_dir: Path) -> Iterator[Callable[..., Triage]]:
    """Build triage services (settings overridable) on fresh databases."""
    built: list[ServiceContainer] = []

    def make(**overrides: Any) -> Triage:
        overrides.setdefault("log_level", "WARNING")
        c = build_container(
            "triage",
            database_url=pg.create("triage"),
            transport="embedded",
            broker=EmbeddedBroker(),
            state_dir=state_dir,
            **overrides,
        )
        built.append(c)
        return Triage(
            c,
            TestClient(build_app(c, manage_lifecycle=False)),
            Tokens(state_dir / "dev-jwt-key.pem"),
        )

    yield make
    for c in built:
        c.stop()


@pytest.fixture
def triage(triage_factory: Callable[..., Triage]) -> Triage:
    """A triage service with default settings."""
    return triage_factory()


@pytest.fixture
def base_answers() -> dict[str, Any]:
    """The reference person's answers (logit 0.55 at age 27-44)."""
    return dict(BASE_ANSWERS)


@pytest.fixture
def bert_answers() -> dict[str, Any]:
    """Bert's answers (docs/triage-model.md; age 58)."""
    return dict(BERT_ANSWERS)
