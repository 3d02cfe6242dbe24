"""The case's segment follows triage on PostgreSQL: scores, overrides, and re-scores that
keep an override (issue 4: "coaching receives the new segment").

Decisions tested here:
- triage.scored sets the case's score; its segment is triage's `current_segment` when
  given (an override still in force), else the score's segment (older producers).
- triage.overridden sets the case's segment (the human decision); an override older than
  the case's latest score is already reflected in that score and is not applied again.
- Each event is applied once (inbox), also when redelivered.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from shared.events.common import Band, Segment
from shared.events.envelope import Event
from shared.events.triage import TriageOverridden, TriageScored
from shared.messaging.consumer import Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from tests.support.fakes import claim_registered, incoming
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)


@pytest.fixture
def coaching(pg: PgDatabases, state_dir: Path) -> Iterator[ServiceContainer]:
    c = build_container(
        "coaching",
        database_url=pg.create("coaching"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    yield c
    c.stop()


def _scored(claim_id: uuid.UUID, at: dt.datetime, segment: Segment, **extra: Any) -> TriageScored:
    return TriageScored(
        claim_id=claim_id,
        score_id=uuid.uuid4(),
        probability=0.4 if segment is Segment.PERSONAL else 0.7,
        band=Band.B25_50 if segment is Segment.PERSONAL else Band.B50_75,
        segment=segment,
        model_version="werkverkenner-2026.1",
        provisional=False,
        factors=[],
        over_55=False,
        under_27=False,
        scored_at=at,
        trigger="questionnaire",
        **extra,
    )


def _overridden(claim_id: uuid.UUID, at: dt.datetime, segment: Segment) -> TriageOverridden:
    return TriageOverridden(
        claim_id=claim_id,
        score_id=uuid.uuid4(),
        previous_segment=Segment.DIGITAL if segment is Segment.PERSONAL else Segment.PERSONAL,
        segment=segment,
        reason_category="health",
        overridden_by_role="coach",
        overridden_at=at,
        override_id=uuid.uuid4(),
    )


def _segment(c: ServiceContainer, claim_id: uuid.UUID) -> str | None:
    with c.engine.connect() as conn:
        value = conn.execute(
            text("SELECT segment FROM cases WHERE claim_id = :c"), {"c": claim_id}
        ).scalar_one()
    return None if value is None else str(value)


def test_override_then_rescore_keeping_it_then_new_answers(coaching: ServiceContainer) -> None:
    claim_id = uuid.uuid4()
    deliver = coaching.consumer.process
    assert deliver(incoming(claim_registered(claim_id=claim_id))) is Outcome.PROCESSED
    assert deliver(incoming(_scored(claim_id, T0, Segment.DIGITAL))) is Outcome.PROCESSED
    assert _segment(coaching, claim_id) == "digital"

    override = Event.create(_overridden(claim_id, T0 + dt.timedelta(hours=1), Segment.PERSONAL))
    assert deliver(incoming(override)) is Outcome.PROCESSED
    assert _segment(coaching, claim_id) == "personal"
    assert deliver(incoming(override, offset=9)) is Outcome.DUPLICATE

    # A re-score of the same answers: the score says digital, the override stays in force.
    kept = _scored(
        claim_id,
        T0 + dt.timedelta(hours=2),
        Segment.DIGITAL,
        current_segment=Segment.PERSONAL,
        override_in_force=True,
    )
    assert deliver(incoming(kept)) is Outcome.PROCESSED
    assert _segment(coaching, claim_id) == "personal"

    # New answers: triage says the override no longer holds.
    fresh = _scored(
        claim_id,
        T0 + dt.timedelta(hours=3),
        Segment.DIGITAL,
        current_segment=Segment.DIGITAL,
        override_in_force=False,
    )
    assert deliver(incoming(fresh)) is Outcome.PROCESSED
    assert _segment(coaching, claim_id) == "digital"

    # An override older than the latest score is already reflected in it.
    stale = _overridden(claim_id, T0 + dt.timedelta(hours=1, minutes=30), Segment.PERSONAL)
    assert deliver(incoming(stale)) is Outcome.PROCESSED
    assert _segment(coaching, claim_id) == "digital"


def test_an_override_before_the_case_exists_opens_it(coaching: ServiceContainer) -> None:
    claim_id = uuid.uuid4()
    deliver = coaching.consumer.process
    assert deliver(incoming(_overridden(claim_id, T0, Segment.PERSONAL))) is Outcome.PROCESSED
    assert _segment(coaching, claim_id) == "personal"
    assert deliver(incoming(claim_registered(claim_id=claim_id))) is Outcome.PROCESSED
    assert _segment(coaching, claim_id) == "personal"


def test_a_score_without_current_segment_uses_its_segment(coaching: ServiceContainer) -> None:
    claim_id = uuid.uuid4()
    assert coaching.consumer.process(incoming(_scored(claim_id, T0, Segment.PERSONAL))) is (
        Outcome.PROCESSED
    )
    assert _segment(coaching, claim_id) == "personal"
