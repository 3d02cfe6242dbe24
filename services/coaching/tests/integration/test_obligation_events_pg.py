"""The job-search obligation from events on PostgreSQL: the regime of intake.completed, and
starters exemptions from starters events (issue 5 item 7).

Decisions tested here (docs/coaching-rules.md, section 2 "In the service"):
- the regime explained at the intake applies from the first WW day;
- starters.research_period_started / start_period_granted exempt their days (pro rata:
  one activity per full obligated week of the regular regime; fully exempt: `exempt`);
- starters.stopped cuts the exemption at stopped_on; an exemption may arrive before the
  claim (its events come on another topic), and a redelivery changes nothing (inbox);
- evaluating twice publishes once.
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

from coaching.obligations import service
from coaching.obligations.rules import ObligationPolicy
from shared.clock import local_today
from shared.db.audit import Actor
from shared.events.common import ObligationRegime, RegistrationChannel
from shared.events.envelope import Event
from shared.events.intake import ClaimRegistered, IntakeCompleted
from shared.events.starters import (
    StartersResearchPeriodStarted,
    StartersRevived,
    StartersSchemeEnded,
    StartersStartPeriodGranted,
    StartersStopped,
)
from shared.messaging.consumer import Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from tests.support.fakes import incoming
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container

pytestmark = pytest.mark.integration
TODAY = local_today()
T0 = dt.datetime.now(dt.UTC)
POLICY = ObligationPolicy()


def _days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


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


def _claim(
    c: ServiceContainer, first_ww_day: dt.date, regime: ObligationRegime | None
) -> uuid.UUID:
    claim_id = uuid.uuid4()
    registered = ClaimRegistered(
        claim_id=claim_id,
        office_code="AMS",
        first_ww_day=first_ww_day,
        registered_at=T0,
        channel=RegistrationChannel.CLAIMANT,
        claimant_subject=f"cl-{claim_id.hex[:8]}",
    )
    assert c.consumer.process(incoming(registered)) is Outcome.PROCESSED
    completed = IntakeCompleted(
        claim_id=claim_id,
        appointment_id=uuid.uuid4(),
        coach_id=uuid.uuid4(),
        held_at=T0,
        explained_topics=["job_search_obligation"],
        agreed_next_step="apply",
        within_deadline=True,
        obligation_regime=regime,
    )
    assert c.consumer.process(incoming(completed)) is Outcome.PROCESSED
    return claim_id


def _research(claim_id: uuid.UUID, app: uuid.UUID, start: int, end: int) -> Any:
    return StartersResearchPeriodStarted(
        claim_id=claim_id, application_id=app, starts_on=_days(start), ends_on=_days(end)
    )


def _granted(claim_id: uuid.UUID, app: uuid.UUID, start: int, end: int) -> Any:
    return StartersStartPeriodGranted(
        claim_id=claim_id,
        application_id=app,
        starts_on=_days(start),
        ends_on=_days(end),
        reduction_percent=29,
    )


def _activities(c: ServiceContainer, claim_id: uuid.UUID, *days: int) -> None:
    with c.engine.begin() as conn:
        case_id = conn.execute(
            text("SELECT id FROM cases WHERE claim_id = :c"), {"c": claim_id}
        ).scalar_one()
        for i, day in enumerate(days):
            conn.execute(
                text(
                    "INSERT INTO job_search_activities (id, case_id, claim_id, kind, "
                    "activity_date, employer, reported_by, reported_at) VALUES "
                    "(:id, :case, :claim, 'application', :d, :e, 'claimant', now())"
                ),
                {
                    "id": uuid.uuid4(),
                    "case": case_id,
                    "claim": claim_id,
                    "d": _days(day),
                    "e": f"E{i}",
                },
            )


def _run(c: ServiceContainer) -> service.EvaluationRun:
    return service.run_evaluation(
        uows=c.uow,
        policy=POLICY,
        today=TODAY,
        task_due_days=7,
        chunk_size=2,  # several chunks in the tests below
        actor=Actor.system("test"),
    )


def _periods(c: ServiceContainer, claim_id: uuid.UUID) -> list[tuple[Any, ...]]:
    with c.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT period_start, required, counted, exempt_days, status "
                    "FROM obligation_periods WHERE claim_id = :c ORDER BY period_start"
                ),
                {"c": claim_id},
            )
        ]


def _published(c: ServiceContainer, event_type: str, claim_id: uuid.UUID) -> list[dict[str, Any]]:
    with c.engine.connect() as conn:
        bodies = conn.execute(
            text("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq"), {"t": event_type}
        ).scalars()
        events = [json.loads(b)["data"] for b in bodies]
    return [e for e in events if e["claim_id"] == str(claim_id)]


def test_starters_exemptions_pro_rata_and_exempt(coaching: ServiceContainer) -> None:
    deliver = coaching.consumer.process
    # Periods: P0 = -84..-57, P1 = -56..-29, P2 = -28..-1.
    claim = _claim(coaching, _days(-84), ObligationRegime.REGULAR)
    app = uuid.uuid4()
    # Research period: the last 10 days of P0 (-66..-57) -> 18 obligated days -> 2 required.
    research = Event.create(_research(claim, app, -66, -57))
    assert deliver(incoming(research)) is Outcome.PROCESSED
    assert deliver(incoming(research, offset=5)) is Outcome.DUPLICATE
    # Start period from -56 for 26 weeks, stopped on -35: P1 exempt for 22 days -> 0: exempt.
    assert deliver(incoming(_granted(claim, app, -56, -56 + 182))) is Outcome.PROCESSED
    stopped = StartersStopped(
        claim_id=claim, application_id=app, stopped_on=_days(-35), revival_possible_until=TODAY
    )
    assert deliver(incoming(stopped)) is Outcome.PROCESSED
    _activities(coaching, claim, -80, -60, -3)  # 2 in P0 (one on an exempt day), 1 in P2

    run = _run(coaching)
    assert (run.periods_evaluated, run.missed, run.tasks_created) == (3, 1, 1)
    assert _periods(coaching, claim) == [
        (_days(-84), 2, 2, 10, "compliant"),
        (_days(-56), 0, 0, 22, "exempt"),
        (_days(-28), 4, 1, 0, "not_compliant"),
    ]
    evaluated = _published(coaching, "obligation.evaluated", claim)
    assert [(e["activities_required"], e["compliant"]) for e in evaluated] == [
        (2, True),
        (0, True),
        (4, False),
    ]
    (missed,) = _published(coaching, "obligation.missed", claim)
    assert missed["period_start"] == _days(-28).isoformat()

    # A second run publishes nothing more.
    again = _run(coaching)
    assert (again.periods_evaluated, again.missed, again.tasks_created) == (0, 0, 0)
    assert len(_published(coaching, "obligation.evaluated", claim)) == 3
    assert len(_published(coaching, "obligation.missed", claim)) == 1


def test_an_exemption_before_the_claim_and_a_stop_before_the_start(
    coaching: ServiceContainer,
) -> None:
    deliver = coaching.consumer.process
    claim_id = uuid.uuid4()
    app = uuid.uuid4()
    # The starters events come first (another topic): the exemption is kept by claim.
    assert deliver(incoming(_research(claim_id, app, -28, -1))) is Outcome.PROCESSED
    registered = ClaimRegistered(
        claim_id=claim_id,
        office_code="AMS",
        first_ww_day=_days(-56),
        registered_at=T0,
        channel=RegistrationChannel.STAFF,
    )
    assert deliver(incoming(registered)) is Outcome.PROCESSED
    # The regime is set by a coach here (the intake did not name one).
    with coaching.engine.begin() as conn:
        conn.execute(
            text("UPDATE cases SET obligation_regime = 'regular' WHERE claim_id = :c"),
            {"c": claim_id},
        )
    # A second application whose start period was stopped before it began exempts nothing.
    other = uuid.uuid4()
    assert deliver(incoming(_granted(claim_id, other, -50, 100))) is Outcome.PROCESSED
    stopped = StartersStopped(
        claim_id=claim_id,
        application_id=other,
        stopped_on=_days(-51),
        revival_possible_until=TODAY,
    )
    assert deliver(incoming(stopped)) is Outcome.PROCESSED
    _activities(coaching, claim_id, -56, -50, -40, -29)
    run = _run(coaching)
    assert run.periods_evaluated == 2
    assert _periods(coaching, claim_id) == [
        (_days(-56), 4, 4, 0, "compliant"),
        (_days(-28), 0, 0, 28, "exempt"),
    ]
    with coaching.session_factory() as s:
        case_id = s.execute(
            text("SELECT id FROM cases WHERE claim_id = :c"), {"c": claim_id}
        ).scalar_one()
        assert service.status_by_case(s, [case_id], TODAY) == {case_id: "exempt"}


def test_each_regime_from_the_intake(coaching: ServiceContainer) -> None:
    regular = _claim(coaching, _days(-28), ObligationRegime.REGULAR)
    none = _claim(coaching, _days(-28), ObligationRegime.NONE)
    individual = _claim(coaching, _days(-28), ObligationRegime.INDIVIDUAL)  # no count yet
    not_yet = _claim(coaching, _days(-27), ObligationRegime.REGULAR)  # P0 ends today: open
    unknown = _claim(coaching, _days(-28), None)
    _activities(coaching, regular, -28, -20, -10, -1)
    run = _run(coaching)
    assert (run.periods_evaluated, run.missed) == (2, 0)
    assert _periods(coaching, regular) == [(_days(-28), 4, 4, 0, "compliant")]
    assert _periods(coaching, none) == [(_days(-28), 0, 0, 0, "no_obligation")]
    assert _periods(coaching, individual) == []
    assert _periods(coaching, not_yet) == []
    assert _periods(coaching, unknown) == []
    # Tomorrow the period that ends today is due.
    tomorrow = service.run_evaluation(
        uows=coaching.uow,
        policy=POLICY,
        today=_days(1),
        task_due_days=7,
        chunk_size=500,
        actor=Actor.system("test"),
    )
    assert (tomorrow.periods_evaluated, tomorrow.missed) == (1, 1)
    assert _periods(coaching, not_yet) == [(_days(-27), 4, 0, 0, "not_compliant")]


def _close(c: ServiceContainer, claim_id: uuid.UUID, closed_on: dt.date) -> None:
    with c.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE cases SET status = 'closed', closed_on = :d, closed_at = now(), "
                "closure_result = 'self_employed' WHERE claim_id = :c"
            ),
            {"d": closed_on, "c": claim_id},
        )


def _regimes(c: ServiceContainer, claim_id: uuid.UUID) -> list[tuple[Any, ...]]:
    with c.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT r.regime, r.starts_on, r.ends_on FROM obligation_regimes r "
                    "JOIN cases c ON c.id = r.case_id WHERE c.claim_id = :c ORDER BY r.starts_on"
                ),
                {"c": claim_id},
            )
        ]


def test_revival_reopens_the_closed_case_and_the_obligation_applies_again(
    coaching: ServiceContainer,
) -> None:
    deliver = coaching.consumer.process
    # WW from -84; the case closed on -60 (left WW as self-employed); revived on -28.
    claim = _claim(coaching, _days(-84), ObligationRegime.REGULAR)
    _close(coaching, claim, _days(-60))
    app = uuid.uuid4()
    revived = Event.create(
        StartersRevived(claim_id=claim, application_id=app, revived_on=_days(-28))
    )
    assert deliver(incoming(revived)) is Outcome.PROCESSED
    assert deliver(incoming(revived, offset=9)) is Outcome.DUPLICATE
    with coaching.engine.connect() as conn:
        status, reopened = conn.execute(
            text("SELECT status, reopened_at IS NOT NULL FROM cases WHERE claim_id = :c"),
            {"c": claim},
        ).one()
    assert (status, reopened) == ("open", True)
    (event,) = _published(coaching, "case.reopened", claim)
    assert event["reason"] == "WW revived (starters scheme)"
    # The regime ended with the closure and starts again on the revival day.
    assert _regimes(coaching, claim) == [
        ("regular", _days(-84), _days(-60)),
        ("regular", _days(-28), None),
    ]
    _activities(coaching, claim, -80, -79, -78, -77, -20)
    run = _run(coaching)
    # P0 of the first regime (-84..-57) was cut by the closure on -60: never due; the first
    # period after the revival (-28..-1) is due and missed (1 of 4).
    assert _periods(coaching, claim) == [(_days(-28), 4, 1, 0, "not_compliant")]
    assert run.missed == 1


def test_a_revival_of_an_open_case_changes_nothing(coaching: ServiceContainer) -> None:
    claim = _claim(coaching, _days(-10), ObligationRegime.REGULAR)
    revived = StartersRevived(claim_id=claim, application_id=uuid.uuid4(), revived_on=TODAY)
    assert coaching.consumer.process(incoming(revived)) is Outcome.PROCESSED
    assert _published(coaching, "case.reopened", claim) == []
    assert _regimes(coaching, claim) == []


@pytest.mark.parametrize("outcome", ["refused", "withdrawn"])
def test_a_refusal_or_withdrawal_ends_the_research_exemption(
    coaching: ServiceContainer, outcome: str
) -> None:
    deliver = coaching.consumer.process
    claim = _claim(coaching, _days(-56), ObligationRegime.REGULAR)
    app = uuid.uuid4()
    # A research period over the whole second period (-28..-1) would exempt it entirely;
    # refused/withdrawn on -15 leaves -14..-1 obligated: 14 days -> 2 required.
    assert deliver(incoming(_research(claim, app, -28, -1))) is Outcome.PROCESSED
    ended = StartersSchemeEnded(
        claim_id=claim,
        application_id=app,
        outcome=outcome,  # type: ignore[arg-type]
        ended_on=_days(-15),
    )
    assert deliver(incoming(ended)) is Outcome.PROCESSED
    _run(coaching)
    assert _periods(coaching, claim)[-1] == (_days(-28), 2, 0, 14, "not_compliant")
