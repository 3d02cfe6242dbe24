"""The caseload row's next action and obligation status (issue 5 item 4) from the case's
tasks, contact moments, work plan and evaluated periods, on PostgreSQL; each expected
value is derived by hand from the rows the test writes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from coaching.obligations.models import CoachTask, ObligationPeriod
from shared.clock import local_today
from tests.support.coaching import Office, office

pytestmark = pytest.mark.integration
__all__ = ["office"]


def _assigned(coach_id: uuid.UUID) -> dict[str, Any]:
    return {
        "coach_id": coach_id,
        "assignment_status": "assigned",
        "segment": "personal",
        "first_ww_day": local_today() - dt.timedelta(days=70),
    }


def _case_id(office: Office, claim: uuid.UUID) -> uuid.UUID:
    return office.case(claim).id


def _plan_contact(office: Office, claim: uuid.UUID, at: dt.datetime, headers: Any) -> str:
    r = office.client.post(
        f"/v1/cases/{claim}/contact-moments",
        json={"planned_at": at.isoformat(), "channel": "phone", "purpose": "check in"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_next_action_and_obligation_status_per_case(office: Office) -> None:
    a = office.coach("Anouk", 36)
    coach = office.as_("coach", sub=str(a))
    today = local_today()
    fresh, contact, overdue, task, held = office.cases(5, **_assigned(a))

    # contact: a phone call planned in 3 days.
    in_three = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(10), dt.UTC)
    _plan_contact(office, contact, in_three, coach)

    # overdue: an application due 2 days ago, still planned; a contact in 5 days is later.
    office.sql(
        "INSERT INTO work_plan_activities (id, case_id, kind, description, due_on, status, "
        "created_by_kind, updated_by_kind, version, created_at, updated_at) VALUES "
        "(:id, :case, 'application', 'apply at the library', :due, 'planned', 'coach', "
        "'coach', 1, now(), now())",
        id=uuid.uuid4(),
        case=_case_id(office, overdue),
        due=today - dt.timedelta(days=2),
    )
    _plan_contact(
        office,
        overdue,
        dt.datetime.combine(today + dt.timedelta(days=5), dt.time(9), dt.UTC),
        coach,
    )

    # task: a missed period (open task due in 1 day) and a not-compliant evaluation.
    task_case = _case_id(office, task)
    period_start = today - dt.timedelta(days=30)
    with office.container.session_factory() as s:
        s.add(
            CoachTask(
                id=uuid.uuid4(),
                case_id=task_case,
                claim_id=task,
                office_code="AMS",
                coach_id=a,
                kind="obligation_missed",
                period_start=period_start,
                period_end=period_start + dt.timedelta(days=27),
                due_on=today + dt.timedelta(days=1),
                status="open",
            )
        )
        for index, (start, status) in enumerate(
            [(period_start - dt.timedelta(days=28), "compliant"), (period_start, "not_compliant")]
        ):
            s.add(
                ObligationPeriod(
                    id=uuid.uuid4(),
                    case_id=task_case,
                    claim_id=task,
                    regime="regular",
                    regime_starts_on=period_start - dt.timedelta(days=28),
                    period_index=index,
                    period_start=start,
                    period_end=start + dt.timedelta(days=27),
                    required=4,
                    counted=4 if status == "compliant" else 1,
                    exempt_days=0,
                    status=status,
                )
            )
        s.commit()

    # held: a contact held before; nothing planned.
    moment = _plan_contact(office, held, dt.datetime.now(dt.UTC) - dt.timedelta(hours=2), coach)
    r = office.client.post(
        f"/v1/cases/{held}/contact-moments/{moment}/held",
        json={"notes": "went well"},
        headers=coach,
    )
    assert r.status_code == 200, r.text

    listed = office.client.get("/v1/cases?limit=10", headers=coach)
    assert listed.status_code == 200, listed.text
    got = {
        x["claim_id"]: (x["next_action"], x["next_action_on"], x["obligation_status"])
        for x in listed.json()["items"]
    }
    in_three_day = (today + dt.timedelta(days=3)).isoformat()
    assert got == {
        str(fresh): ("plan first contact", None, None),
        str(contact): (f"contact on {in_three_day}", in_three_day, None),
        str(overdue): (
            "review overdue activity",
            (today - dt.timedelta(days=2)).isoformat(),
            None,
        ),
        str(task): (
            "follow up obligation_missed",
            (today + dt.timedelta(days=1)).isoformat(),
            "not_compliant",
        ),
        str(held): ("plan next contact", None, None),
    }
    one = office.client.get(f"/v1/cases/{task}", headers=coach).json()
    assert (one["next_action"], one["obligation_status"]) == (
        "follow up obligation_missed",
        "not_compliant",
    )
