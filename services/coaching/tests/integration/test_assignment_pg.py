"""Case assignment in the service on PostgreSQL (issue 5 item 2): the handlers load the
roster and loads, call the pure rules and store and publish the outcome.

Decisions tested here (docs/coaching-rules.md, "In the service"):
- continuity: the coach who held the intake gets the case when the segment is personal;
- a coach at their maximum caseload is passed over for the next coach by the rules;
- no coach fits: the case goes to the office's unassigned queue and `case.unassigned` is
  published once;
- digital: no coach, a check-in date 13 weeks after the first WW day;
- a provisional personal score waits for the intake; a redelivered event and a segment
  flip never reassign an assigned case.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from coaching.coaches.models import Coach
from shared.events.common import Band, Channel, Segment
from shared.events.envelope import Event
from shared.events.intake import IntakeCompleted, IntakeScheduled
from shared.events.triage import TriageScored
from shared.messaging.consumer import Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.reference.working_days import WorkingDays
from shared.runtime import ServiceContainer
from tests.support.fakes import claim_registered, incoming
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
FIRST_WW_DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=25)


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


def _coach(
    c: ServiceContainer, *, office: str = "AMS", hours: float = 36, specialisms: Any = ()
) -> uuid.UUID:
    coach_id = uuid.uuid4()
    with c.session_factory() as s:
        s.add(
            Coach(
                id=coach_id,
                display_name=f"Coach {coach_id.hex[:6]}",
                office_code=office,
                specialisms=list(specialisms),
                contract_hours=hours,
                holds_intakes=True,
                active=True,
            )
        )
        s.commit()
    return coach_id


def _scored(
    claim_id: uuid.UUID, segment: Segment, *, at: dt.datetime = T0, provisional: bool = False
) -> TriageScored:
    return TriageScored(
        claim_id=claim_id,
        score_id=uuid.uuid4(),
        probability=0.4 if segment is Segment.PERSONAL else 0.7,
        band=Band.B25_50 if segment is Segment.PERSONAL else Band.B50_75,
        segment=segment,
        model_version="werkverkenner-2026.1",
        provisional=provisional,
        factors=[],
        over_55=False,
        under_27=False,
        scored_at=at,
        trigger="questionnaire",
        current_segment=segment,
    )


def _completed(claim_id: uuid.UUID, coach_id: uuid.UUID) -> IntakeCompleted:
    return IntakeCompleted(
        claim_id=claim_id,
        appointment_id=uuid.uuid4(),
        coach_id=coach_id,
        held_at=T0,
        explained_topics=["job_search_obligation"],
        agreed_next_step="apply",
        within_deadline=True,
    )


def _scheduled(claim_id: uuid.UUID, coach_id: uuid.UUID) -> IntakeScheduled:
    return IntakeScheduled(
        claim_id=claim_id,
        appointment_id=uuid.uuid4(),
        coach_id=coach_id,
        office_code="AMS",
        starts_at=T0,
        ends_at=T0 + dt.timedelta(minutes=45),
        deadline=T0.date(),
        channel=Channel.FACE_TO_FACE,
    )


def _register(c: ServiceContainer, office: str = "AMS", **extra: Any) -> uuid.UUID:
    claim_id = uuid.uuid4()
    payload = claim_registered(claim_id=claim_id, office_code=office, **extra)
    payload = payload.model_copy(update={"first_ww_day": FIRST_WW_DAY})
    assert c.consumer.process(incoming(payload)) is Outcome.PROCESSED
    return claim_id


def _case(c: ServiceContainer, claim_id: uuid.UUID) -> dict[str, Any]:
    with c.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT coach_id, assignment_status, assignment_reason, checkin_on, "
                "intake_coach_id, assigned_at FROM cases WHERE claim_id = :c"
            ),
            {"c": claim_id},
        ).one()
    return dict(row._mapping)


def _published(c: ServiceContainer, event_type: str, claim_id: uuid.UUID) -> list[dict[str, Any]]:
    with c.engine.connect() as conn:
        bodies = conn.execute(
            text("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq"), {"t": event_type}
        ).scalars()
        events = [json.loads(b) for b in bodies]
    return [e["data"] for e in events if e["data"]["claim_id"] == str(claim_id)]


def test_the_intake_coach_gets_the_case(coaching: ServiceContainer) -> None:
    deliver = coaching.consumer.process
    coach_a = _coach(coaching, hours=16)
    _coach(coaching, hours=40)  # less loaded relative to hours: would win without continuity
    claim_id = _register(coaching)
    assert deliver(incoming(_scheduled(claim_id, coach_a))) is Outcome.PROCESSED
    assert deliver(incoming(_completed(claim_id, coach_a))) is Outcome.PROCESSED
    assert _case(coaching, claim_id)["assignment_status"] is None  # no segment yet
    scored = Event.create(_scored(claim_id, Segment.PERSONAL))
    assert deliver(incoming(scored)) is Outcome.PROCESSED

    case = _case(coaching, claim_id)
    assert (case["coach_id"], case["assignment_status"]) == (coach_a, "assigned")
    assert case["assignment_reason"] == "continuity"
    assert case["assigned_at"] is not None
    [assigned] = _published(coaching, "case.assigned", claim_id)
    assert assigned["coach_id"] == str(coach_a)
    assert assigned["rule"] == "continuity"
    assert "bsn" not in json.dumps(assigned).lower()

    # Redelivery and a segment flip do not reassign.
    assert deliver(incoming(scored, offset=7)) is Outcome.DUPLICATE
    flip = _scored(claim_id, Segment.DIGITAL, at=T0 + dt.timedelta(hours=1))
    assert deliver(incoming(flip)) is Outcome.PROCESSED
    back = _scored(claim_id, Segment.PERSONAL, at=T0 + dt.timedelta(hours=2))
    assert deliver(incoming(back)) is Outcome.PROCESSED
    case = _case(coaching, claim_id)
    assert (case["coach_id"], case["assignment_status"]) == (coach_a, "assigned")
    assert len(_published(coaching, "case.assigned", claim_id)) == 1


def test_a_provisional_personal_score_waits_for_the_intake(coaching: ServiceContainer) -> None:
    deliver = coaching.consumer.process
    coach_a = _coach(coaching, hours=16)
    _coach(coaching, hours=40)
    claim_id = _register(coaching)
    provisional = _scored(claim_id, Segment.PERSONAL, provisional=True)
    assert deliver(incoming(provisional)) is Outcome.PROCESSED
    assert _case(coaching, claim_id)["assignment_status"] is None
    assert deliver(incoming(_completed(claim_id, coach_a))) is Outcome.PROCESSED
    case = _case(coaching, claim_id)
    assert (case["coach_id"], case["intake_coach_id"]) == (coach_a, coach_a)


def test_a_full_intake_coach_is_passed_over_for_the_next(coaching: ServiceContainer) -> None:
    deliver = coaching.consumer.process
    # 0.2 h x 5 cases per hour: a maximum of one case.
    coach_a = _coach(coaching, hours=0.2)
    coach_b = _coach(coaching, hours=36)
    first, second = _register(coaching), _register(coaching)
    for claim_id in (first, second):
        assert deliver(incoming(_completed(claim_id, coach_a))) is Outcome.PROCESSED
        assert deliver(incoming(_scored(claim_id, Segment.PERSONAL))) is Outcome.PROCESSED
    assert _case(coaching, first)["coach_id"] == coach_a
    case = _case(coaching, second)
    assert case["coach_id"] == coach_b
    assert case["assignment_reason"] == "office_load"
    [assigned] = _published(coaching, "case.assigned", second)
    assert assigned["reason"] == "intake_coach_at_maximum"


def test_no_coach_goes_to_the_unassigned_queue_with_an_alert(coaching: ServiceContainer) -> None:
    deliver = coaching.consumer.process
    _coach(coaching, office="RTD")  # another office's coach never qualifies
    claim_id = _register(coaching)
    assert deliver(incoming(_scored(claim_id, Segment.PERSONAL))) is Outcome.PROCESSED
    case = _case(coaching, claim_id)
    assert (case["coach_id"], case["assignment_status"]) == (None, "unassigned")
    assert case["assignment_reason"] == "no_active_coach_in_office"
    [alert] = _published(coaching, "case.unassigned", claim_id)
    assert (alert["office_code"], alert["reason"]) == ("AMS", "no_active_coach_in_office")

    # A later event retries but does not raise the alert again while still no coach fits.
    again = _scored(claim_id, Segment.PERSONAL, at=T0 + dt.timedelta(hours=1))
    assert deliver(incoming(again)) is Outcome.PROCESSED
    assert len(_published(coaching, "case.unassigned", claim_id)) == 1

    # The team lead's queue lists it.
    from coaching.assignment import service as assignment

    with coaching.uow() as uow:
        rows, total = assignment.unassigned_cases(uow, office_code="AMS", limit=10, offset=0)
    assert total == 1
    assert rows[0].claim_id == claim_id

    # Once a coach is on the roster, the next event assigns the case.
    coach = _coach(coaching)
    latest = _scored(claim_id, Segment.PERSONAL, at=T0 + dt.timedelta(hours=2))
    assert deliver(incoming(latest)) is Outcome.PROCESSED
    assert _case(coaching, claim_id)["coach_id"] == coach
    assert len(_published(coaching, "case.assigned", claim_id)) == 1


def test_a_digital_case_gets_a_checkin_and_no_coach(coaching: ServiceContainer) -> None:
    deliver = coaching.consumer.process
    _coach(coaching)
    claim_id = _register(coaching)
    assert deliver(incoming(_scored(claim_id, Segment.DIGITAL))) is Outcome.PROCESSED
    case = _case(coaching, claim_id)
    assert (case["coach_id"], case["assignment_status"]) == (None, "digital")
    # The 13-week mark, or the working day after it (a weekend or holiday mark moves on).
    checkin = WorkingDays().on_or_after(FIRST_WW_DAY + dt.timedelta(weeks=13))
    assert case["checkin_on"] == checkin
    [assigned] = _published(coaching, "case.assigned", claim_id)
    assert (assigned["coach_id"], assigned["rule"]) == (None, "digital")
    assert assigned["checkin_on"] == checkin.isoformat()
