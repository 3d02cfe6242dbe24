"""A repeated no-show reaches the coach (issue 12 item 3), on PostgreSQL through the event
handlers and the API.

Rules tested (docs/coaching-rules.md section 6, `coaching.noshows`):
- every `intake.no_show` keeps intake's count on the case; the first (intake books a
  summons, `intake.scheduled` with `summoned`) gets no task; the caseload shows the count,
  the flag and the summons;
- a repeated no-show (count >= COACHING_NO_SHOW_REPEAT_THRESHOLD, default 2, or intake's
  `flagged_for_coach`) gets a `repeated_no_show` task, due
  COACHING_NO_SHOW_TASK_DUE_WORKING_DAYS working days later, for the case's coach (no coach:
  the office's team lead);
- a digital case with a repeated no-show moves to personal service: a system override,
  audited with its reason, and the case gets a coach (continuity with the booked intake
  coach) or goes to the team lead's queue, where the flag shows too;
- idempotent (a redelivery is a duplicate; one task, one audit row) and order-tolerant
  (the no-shows before the claim and the score; an older no-show after a newer one);
- a later re-score does not undo the override; a later human override in triage does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from coaching.coaches.models import Coach
from shared.clock import local_today
from shared.events.common import Band, Channel, Segment
from shared.events.envelope import Event
from shared.events.intake import IntakeNoShow, IntakeScheduled
from shared.events.triage import TriageOverridden, TriageScored
from shared.messaging.consumer import Outcome
from shared.messaging.embedded import EmbeddedBroker
from shared.reference.working_days import WorkingDays
from shared.runtime import ServiceContainer
from shared.web.app import build_app
from tests.support.coaching import roster_coach
from tests.support.fakes import claim_registered, incoming
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

NOW = dt.datetime.now(dt.UTC)
FIRST_WW_DAY = local_today() - dt.timedelta(days=10)


@pytest.fixture(autouse=True)
def _now_is_this_tests_start() -> None:
    """The events' times count from this test's start, not from the module's import: the
    system's own override (a repeated no-show) is stamped with the wall clock, so a human
    override "5 minutes later" than an import-time NOW lost to it once the suite took more
    than ten minutes to reach this module."""
    global NOW
    NOW = dt.datetime.now(dt.UTC)


@dataclass
class Desk:
    c: ServiceContainer
    client: TestClient
    tokens: Tokens

    def deliver(self, payload: Any, *, at: dt.datetime | None = None) -> Outcome:
        event = payload if isinstance(payload, Event) else Event.create(payload, occurred_at=at)
        return self.c.consumer.process(incoming(event))

    def sql(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        with self.c.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(statement), params)]

    def case(self, claim_id: uuid.UUID) -> dict[str, Any]:
        (row,) = self.sql(
            "SELECT id, segment, coach_id, assignment_status, no_show_count, no_show_flag, "
            "segment_override, summons_at, checkin_on FROM cases WHERE claim_id = :c",
            c=claim_id,
        )
        return row

    def tasks(self, claim_id: uuid.UUID) -> list[dict[str, Any]]:
        return self.sql(
            "SELECT kind, appointment_id, coach_id, due_on, status FROM coach_tasks "
            "WHERE claim_id = :c ORDER BY created_at",
            c=claim_id,
        )

    def audit(self, action: str, resource_id: Any) -> list[dict[str, Any]]:
        return self.sql(
            "SELECT actor, actor_kind, reason, old_values, new_values FROM audit_log "
            "WHERE action = :a AND resource_id = :r",
            a=action,
            r=str(resource_id),
        )

    def coach(self, office: str = "AMS") -> uuid.UUID:
        coach_id = uuid.uuid4()
        with self.c.session_factory() as s:
            s.add(
                Coach(
                    id=coach_id,
                    display_name="Coach",
                    office_code=office,
                    specialisms=[],
                    contract_hours=32,
                    holds_intakes=True,
                    active=True,
                )
            )
            s.commit()
        return coach_id

    def headers(self, role: str, sub: str, office: str | None = None) -> dict[str, str]:
        if role == "coach":
            roster_coach(self.c, sub, office or "AMS")
        return Tokens.header(self.tokens.user(role, sub=sub, office=office))


def _desk(pg: PgDatabases, state_dir: Path, **settings: Any) -> Iterator[Desk]:
    c = build_container(
        "coaching",
        database_url=pg.create("coaching"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
        **settings,
    )
    yield Desk(
        c, TestClient(build_app(c, manage_lifecycle=False)), Tokens(state_dir / "dev-jwt-key.pem")
    )
    c.stop()


@pytest.fixture
def desk(pg: PgDatabases, state_dir: Path) -> Iterator[Desk]:
    yield from _desk(pg, state_dir)


def _registered(claim_id: uuid.UUID) -> Any:
    return claim_registered(claim_id=claim_id).model_copy(update={"first_ww_day": FIRST_WW_DAY})


def _scored(claim_id: uuid.UUID, segment: Segment, *, at: dt.datetime) -> TriageScored:
    return TriageScored(
        claim_id=claim_id,
        score_id=uuid.uuid4(),
        probability=0.7 if segment is Segment.DIGITAL else 0.4,
        band=Band.B50_75 if segment is Segment.DIGITAL else Band.B25_50,
        segment=segment,
        model_version="werkverkenner-2026.1",
        provisional=False,
        factors=[],
        over_55=False,
        under_27=False,
        scored_at=at,
        trigger="questionnaire",
        current_segment=segment,
    )


def _scheduled(
    claim_id: uuid.UUID, coach_id: uuid.UUID, *, summoned: bool = False
) -> IntakeScheduled:
    starts = NOW + dt.timedelta(days=2)
    return IntakeScheduled(
        claim_id=claim_id,
        appointment_id=uuid.uuid4(),
        coach_id=coach_id,
        office_code="AMS",
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=45),
        deadline=starts.date(),
        channel=Channel.FACE_TO_FACE,
        summoned=summoned,
    )


def _no_show(
    claim_id: uuid.UUID, coach_id: uuid.UUID, count: int, *, flagged: bool | None = None
) -> IntakeNoShow:
    return IntakeNoShow(
        claim_id=claim_id,
        appointment_id=uuid.uuid4(),
        coach_id=coach_id,
        scheduled_at=NOW - dt.timedelta(hours=1),
        no_show_count=count,
        flagged_for_coach=count >= 2 if flagged is None else flagged,
    )


def _digital_case(desk: Desk, coach_id: uuid.UUID) -> uuid.UUID:
    """A registered claim, booked with `coach_id`, triaged digital (a check-in, no coach)."""
    claim_id = uuid.uuid4()
    assert desk.deliver(_registered(claim_id)) is Outcome.PROCESSED
    assert desk.deliver(_scheduled(claim_id, coach_id)) is Outcome.PROCESSED
    assert desk.deliver(_scored(claim_id, Segment.DIGITAL, at=NOW)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["segment"], case["assignment_status"], case["coach_id"]) == (
        "digital",
        "digital",
        None,
    )
    return claim_id


def test_first_no_show_shows_count_and_summons_without_a_task(desk: Desk) -> None:
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    assert desk.deliver(_no_show(claim_id, intake_coach, 1)) is Outcome.PROCESSED
    summons = _scheduled(claim_id, intake_coach, summoned=True)
    assert desk.deliver(summons) is Outcome.PROCESSED

    case = desk.case(claim_id)
    assert (case["no_show_count"], case["no_show_flag"], case["segment"]) == (1, False, "digital")
    assert case["summons_at"] == summons.starts_at
    assert desk.tasks(claim_id) == []  # the summons follows by itself; nothing for the coach
    lead = desk.headers("team_lead", "lead-1", "AMS")
    read = desk.client.get(f"/v1/cases/{claim_id}", headers=lead).json()
    assert (read["no_show_count"], read["no_show_flag"], read["segment_override"]) == (
        1,
        False,
        None,
    )
    assert dt.datetime.fromisoformat(read["summons_at"]) == summons.starts_at


def test_repeated_no_show_moves_a_digital_case_to_personal_with_a_task(desk: Desk) -> None:
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    assert desk.deliver(_no_show(claim_id, intake_coach, 1)) is Outcome.PROCESSED
    second = _no_show(claim_id, intake_coach, 2)
    recorded = dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)  # Thursday before Easter 2026
    assert desk.deliver(second, at=recorded) is Outcome.PROCESSED

    case = desk.case(claim_id)
    assert (case["no_show_count"], case["no_show_flag"]) == (2, True)
    # Personal service, by coaching's system override; assigned to the coach the claimant
    # was booked with (continuity); the digital check-in is gone.
    assert (case["segment"], case["segment_override"]) == ("personal", "repeated_no_show")
    assert (case["assignment_status"], case["coach_id"], case["checkin_on"]) == (
        "assigned",
        intake_coach,
        None,
    )
    (override,) = desk.audit("case.segment_override", case["id"])
    assert (override["actor"], override["actor_kind"]) == ("coaching", "system")
    assert override["reason"].startswith("repeated_no_show: 2 no-shows")
    assert override["old_values"] == {"segment": "digital"}
    assert override["new_values"]["segment"] == "personal"

    # The task: due 2 working days after the day recorded (Good Friday and Easter Monday
    # are not working days: Thursday 2 April -> Tuesday 7, Wednesday 8 April).
    (task,) = desk.tasks(claim_id)
    assert (task["kind"], task["appointment_id"], task["status"]) == (
        "repeated_no_show",
        second.appointment_id,
        "open",
    )
    assert task["coach_id"] == intake_coach
    assert task["due_on"] == dt.date(2026, 4, 8)
    assert task["due_on"] == WorkingDays().add_working_days(dt.date(2026, 4, 2), 2)

    # The coach's caseload shows the flag, the count and the task as the next action.
    coach = desk.headers("coach", str(intake_coach), "AMS")
    mine = desk.client.get("/v1/cases", params={"status": "open"}, headers=coach)
    assert mine.status_code == 200, mine.text
    (row,) = mine.json()["items"]
    assert (row["claim_id"], row["no_show_count"], row["no_show_flag"]) == (str(claim_id), 2, True)
    assert (row["segment"], row["segment_override"]) == ("personal", "repeated_no_show")
    assert (row["next_action"], row["next_action_on"]) == (
        "follow up repeated_no_show",
        "2026-04-08",
    )
    flagged = desk.client.get("/v1/cases", params={"no_show_flag": "true"}, headers=coach).json()
    assert [x["claim_id"] for x in flagged["items"]] == [str(claim_id)]
    tasks = desk.client.get("/v1/tasks", headers=coach).json()["items"]
    assert [(t["kind"], t["appointment_id"]) for t in tasks] == [
        ("repeated_no_show", str(second.appointment_id))
    ]


def test_no_coach_with_room_puts_the_case_in_the_team_leads_queue_with_the_flag(
    desk: Desk,
) -> None:
    intake_coach = desk.coach(office="RTD")  # the booked coach works elsewhere: no fit here
    claim_id = _digital_case(desk, intake_coach)
    assert desk.deliver(_no_show(claim_id, intake_coach, 2)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["segment"], case["assignment_status"], case["coach_id"]) == (
        "personal",
        "unassigned",
        None,
    )
    lead = desk.headers("team_lead", "lead-1", "AMS")
    queue = desk.client.get("/v1/offices/AMS/unassigned-cases", headers=lead)
    assert queue.status_code == 200, queue.text
    (row,) = queue.json()["items"]
    assert (row["claim_id"], row["no_show_count"], row["no_show_flag"]) == (str(claim_id), 2, True)
    assert row["segment_override"] == "repeated_no_show"
    (task,) = desk.client.get("/v1/tasks", headers=lead).json()["items"]
    assert (task["kind"], task["coach_id"]) == ("repeated_no_show", None)


def test_a_redelivered_no_show_changes_nothing(desk: Desk) -> None:
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    event = Event.create(_no_show(claim_id, intake_coach, 2))
    assert desk.deliver(event) is Outcome.PROCESSED
    assert desk.deliver(event) is Outcome.DUPLICATE
    case = desk.case(claim_id)
    assert case["no_show_count"] == 2
    assert len(desk.tasks(claim_id)) == 1
    assert len(desk.audit("case.segment_override", case["id"])) == 1
    assigned = desk.sql(
        "SELECT count(*) AS n FROM outbox WHERE event_type = 'case.assigned' "
        "AND body::jsonb -> 'data' ->> 'claim_id' = :c",
        c=str(claim_id),
    )
    assert assigned[0]["n"] == 2  # digital once, then the coach once


def test_no_shows_before_the_claim_and_the_score_are_applied_when_they_come(desk: Desk) -> None:
    intake_coach = desk.coach()
    claim_id = uuid.uuid4()
    assert desk.deliver(_no_show(claim_id, intake_coach, 1)) is Outcome.PROCESSED
    assert desk.deliver(_no_show(claim_id, intake_coach, 2)) is Outcome.PROCESSED
    assert len(desk.tasks(claim_id)) == 1  # the task waits on the unregistered case
    assert desk.deliver(_registered(claim_id)) is Outcome.PROCESSED
    assert desk.deliver(_scheduled(claim_id, intake_coach)) is Outcome.PROCESSED
    assert desk.deliver(_scored(claim_id, Segment.DIGITAL, at=NOW)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["segment"], case["segment_override"], case["assignment_status"]) == (
        "personal",
        "repeated_no_show",
        "assigned",
    )
    assert case["coach_id"] == intake_coach
    coach = desk.headers("coach", str(intake_coach), "AMS")
    tasks = desk.client.get("/v1/tasks", headers=coach).json()["items"]
    assert [t["kind"] for t in tasks] == ["repeated_no_show"]


def test_an_older_no_show_arriving_late_adds_no_task_and_keeps_the_count(desk: Desk) -> None:
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    assert desk.deliver(_no_show(claim_id, intake_coach, 2)) is Outcome.PROCESSED
    assert desk.deliver(_no_show(claim_id, intake_coach, 1)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["no_show_count"], case["no_show_flag"]) == (2, True)
    assert len(desk.tasks(claim_id)) == 1


def test_a_rescore_keeps_the_override_and_a_later_human_override_wins(desk: Desk) -> None:
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    assert desk.deliver(_no_show(claim_id, intake_coach, 2)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    later = NOW + dt.timedelta(minutes=5)
    assert desk.deliver(_scored(claim_id, Segment.DIGITAL, at=later)) is Outcome.PROCESSED
    assert desk.case(claim_id)["segment"] == "personal"  # a re-score does not undo it
    assert len(desk.audit("case.segment_override", case["id"])) == 1

    human = TriageOverridden(
        claim_id=claim_id,
        override_id=uuid.uuid4(),
        score_id=uuid.uuid4(),
        segment=Segment.DIGITAL,
        previous_segment=Segment.PERSONAL,
        reason_category="other",
        overridden_by_role="triage_analyst",
        overridden_at=later + dt.timedelta(minutes=5),
    )
    assert desk.deliver(human, at=human.overridden_at) is Outcome.PROCESSED
    after = desk.case(claim_id)
    assert (after["segment"], after["segment_override"]) == ("digital", None)
    # A later re-score of the same digital segment keeps the human decision.
    rescore = _scored(claim_id, Segment.DIGITAL, at=later + dt.timedelta(minutes=10))
    assert desk.deliver(rescore) is Outcome.PROCESSED
    assert desk.case(claim_id)["segment"] == "digital"


def test_a_closed_case_gets_no_task_and_is_not_moved(desk: Desk) -> None:
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    with desk.c.engine.begin() as conn:
        conn.execute(
            text("UPDATE cases SET status = 'closed' WHERE claim_id = :c"), {"c": claim_id}
        )
    assert desk.deliver(_no_show(claim_id, intake_coach, 2)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["no_show_count"], case["segment"]) == (2, "digital")
    assert desk.tasks(claim_id) == []


@pytest.fixture
def strict_desk(pg: PgDatabases, state_dir: Path) -> Iterator[Desk]:
    yield from _desk(pg, state_dir, no_show_repeat_threshold=3, no_show_task_due_working_days=0)


def test_the_threshold_and_the_due_days_are_settings(strict_desk: Desk) -> None:
    desk = strict_desk
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    # Intake did not flag the second one (its own setting says 3 as well): not repeated.
    assert desk.deliver(_no_show(claim_id, intake_coach, 2, flagged=False)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["no_show_flag"], case["segment"], desk.tasks(claim_id)) == (False, "digital", [])
    saturday = dt.datetime(2026, 6, 6, 10, tzinfo=dt.UTC)
    third = _no_show(claim_id, intake_coach, 3, flagged=False)
    assert desk.deliver(third, at=saturday) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["no_show_flag"], case["segment"]) == (True, "personal")
    (task,) = desk.tasks(claim_id)
    assert task["due_on"] == dt.date(2026, 6, 8)  # 0 working days: the next working day


def test_intakes_flag_counts_even_below_coachings_threshold(strict_desk: Desk) -> None:
    desk = strict_desk
    intake_coach = desk.coach()
    claim_id = _digital_case(desk, intake_coach)
    assert desk.deliver(_no_show(claim_id, intake_coach, 2, flagged=True)) is Outcome.PROCESSED
    case = desk.case(claim_id)
    assert (case["no_show_flag"], case["segment"], len(desk.tasks(claim_id))) == (
        True,
        "personal",
        1,
    )
