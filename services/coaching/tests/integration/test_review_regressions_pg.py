"""Regressions of a review of the coaching service, on PostgreSQL: reopen and the maximum
caseload, stale case rows under concurrency, BSNs in free text, closed cases and their
tasks, implausible dates, the starters specialism of ended applications, the retried
queue, the stored evaluation watermark, and a case closed ahead of its closed_on."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from coaching.assignment import service as assignment
from coaching.assignment.rules import AssignmentPolicy
from coaching.cases import repository as cases_repository
from coaching.contacts import service as contacts
from coaching.contacts.schemas import ContactMomentCreate
from coaching.obligations import repository as obligations_repository
from coaching.obligations import service as obligations
from coaching.obligations.rules import ObligationPolicy
from coaching.obligations.schemas import ActivityCreate as JobSearchActivityCreate
from coaching.obligations.schemas import RegimeUpdate
from coaching.transfers import service as transfers
from coaching.transfers.schemas import TransferReason
from coaching.workplans import service as workplans
from coaching.workplans.schemas import ActivityCreate as WorkPlanActivityCreate
from shared.clock import LOCAL_TZ, local_today
from shared.events.common import ObligationRegime
from shared.events.envelope import Event
from shared.events.starters import StartersRevived
from shared.messaging.consumer import Outcome
from shared.web.auth import Principal
from shared.web.problems import Conflict
from tests.support.coaching import Office, office
from tests.support.concurrency import requests_on_barrier, serve
from tests.support.fakes import incoming

pytestmark = pytest.mark.integration
__all__ = ["office"]

POLICY = AssignmentPolicy()
ADMIN = Principal(subject="admin-1", kind="user", roles=frozenset({"admin"}))


def _days(n: int) -> dt.date:
    return local_today() + dt.timedelta(days=n)


def _local_noon(n: int) -> dt.datetime:
    # Noon on a local day, not `now() - interval`: across a DST change that lands on the
    # next local day when the test runs late in the evening (CI once ran at 22:30 UTC).
    return dt.datetime.combine(_days(n), dt.time(12), tzinfo=LOCAL_TZ)


def _assigned(coach_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {
        "coach_id": coach_id,
        "assignment_status": "assigned",
        "segment": "personal",
        "score_provisional": False,
        "age_at_first_ww_day": 40,
        **extra,
    }


def _open_cases(office: Office, coach_id: uuid.UUID) -> int:
    return int(
        office.sql(
            "SELECT count(*) FROM cases WHERE coach_id = :a AND status = 'open'", a=coach_id
        )[0][0]
    )


# --- 1. reopen and the maximum caseload ----------------------------------------------------


def test_reopen_never_puts_the_coach_above_their_maximum(office: Office) -> None:
    a = office.coach("Anouk", 1)  # maximum 5
    (closed,) = office.cases(1, **_assigned(a))
    admin = office.as_("admin")
    r = office.client.post(
        f"/v1/cases/{closed}/close", json={"result": "entitlement_ended"}, headers=admin
    )
    assert r.status_code == 200, r.text
    office.cases(5, **_assigned(a))  # the place was taken meanwhile
    r = office.client.post(f"/v1/cases/{closed}/reopen", json={"reason": "mistake"}, headers=admin)
    assert r.status_code == 200, r.text
    assert _open_cases(office, a) == 5
    body = r.json()
    assert (body["status"], body["coach_id"], body["assignment_status"]) == (
        "open",
        None,
        "unassigned",
    )
    (reopened,) = office.published("case.reopened")
    assert reopened["coach_id"] is None
    assert [e["claim_id"] for e in office.published("case.unassigned")] == [str(closed)]


def test_reopen_goes_to_a_colleague_with_room_when_the_coach_is_full(office: Office) -> None:
    a = office.coach("Anouk", 1)
    b = office.coach("Bram", 36)
    (closed,) = office.cases(1, **_assigned(a))
    admin = office.as_("admin")
    office.client.post(
        f"/v1/cases/{closed}/close", json={"result": "entitlement_ended"}, headers=admin
    )
    office.cases(5, **_assigned(a))
    r = office.client.post(f"/v1/cases/{closed}/reopen", json={"reason": "mistake"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["coach_id"], r.json()["assignment_status"]) == (str(b), "assigned")
    assert _open_cases(office, a) == 5


def test_reopen_returns_the_case_to_its_coach_with_room(office: Office) -> None:
    a = office.coach("Anouk", 1)
    office.coach("Bram", 36)
    (closed,) = office.cases(1, **_assigned(a))
    admin = office.as_("admin")
    office.client.post(
        f"/v1/cases/{closed}/close", json={"result": "entitlement_ended"}, headers=admin
    )
    office.cases(4, **_assigned(a))
    r = office.client.post(f"/v1/cases/{closed}/reopen", json={"reason": "mistake"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["coach_id"] == str(a)
    assert _open_cases(office, a) == 5


def test_a_revival_reopens_without_putting_the_coach_above_their_maximum(office: Office) -> None:
    a = office.coach("Anouk", 1)
    (closed,) = office.cases(1, **_assigned(a, first_ww_day=_days(-30)))
    office.client.post(
        f"/v1/cases/{closed}/close",
        json={"result": "self_employed"},
        headers=office.as_("admin"),
    )
    office.cases(5, **_assigned(a))
    revived = Event.create(
        StartersRevived(claim_id=closed, application_id=uuid.uuid4(), revived_on=local_today())
    )
    assert office.container.consumer.process(incoming(revived)) is Outcome.PROCESSED
    case = office.case(closed)
    assert (case.status, case.coach_id, case.assignment_status) == ("open", None, "unassigned")
    assert _open_cases(office, a) == 5


# --- 2. stale case rows ----------------------------------------------------------------------


def test_concurrent_identical_transfers_move_the_case_once(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    claims = office.cases(4, **_assigned(a))
    admin = office.as_("admin")
    body = {"to_coach_id": str(b), "reason_category": "caseload_balance", "reason_text": "x"}
    for claim in claims:
        url = f"/v1/cases/{claim}/transfer"
        # Over HTTP, both released by one barrier.
        with serve(office.client.app) as base:
            results = requests_on_barrier(
                base, [("POST", url, {"json": body, "headers": admin})] * 2
            )
        assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
        outcomes = sorted(r.json()["outcome"] for r in results)
        assert outcomes == ["transferred", "unchanged"]
        moved = [e for e in office.published("case.transferred") if e["claim_id"] == str(claim)]
        assert [(e["from_coach_id"], e["to_coach_id"]) for e in moved] == [(str(a), str(b))]


def test_a_transfer_acts_on_the_case_as_committed_not_a_stale_row(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    (claim,) = office.cases(1, **_assigned(a))
    with office.container.uow() as stale:
        # Read (coach A) and held, as a request holds the case it loaded; the identity map
        # then hands this row back to later selects of the same transaction.
        seen = cases_repository.by_claim(stale.session, claim)
        assert seen is not None
        assert seen.coach_id == a
        with office.container.uow() as other:
            transfers.transfer(
                uow=other,
                claim_id=claim,
                to_coach_id=b,
                reason_category=TransferReason.CASELOAD_BALANCE,
                reason_text="first",
                principal=ADMIN,
                policy=POLICY,
                today=local_today(),
            )
        result = transfers.transfer(
            uow=stale,
            claim_id=claim,
            to_coach_id=b,
            reason_category=TransferReason.CASELOAD_BALANCE,
            reason_text="retry",
            principal=ADMIN,
            policy=POLICY,
            today=local_today(),
        )
    assert (result.outcome, result.from_coach_id) == ("unchanged", b)
    assert len(office.published("case.transferred")) == 1


def test_a_case_closed_concurrently_is_not_transferred(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    (claim,) = office.cases(1, **_assigned(a))
    with office.container.uow() as stale:
        seen = cases_repository.by_claim(stale.session, claim)  # held: see above
        assert seen is not None
        assert seen.status == "open"
        r = office.client.post(
            f"/v1/cases/{claim}/close",
            json={"result": "entitlement_ended"},
            headers=office.as_("admin"),
        )
        assert r.status_code == 200
        with pytest.raises(Conflict):
            transfers.transfer(
                uow=stale,
                claim_id=claim,
                to_coach_id=b,
                reason_category=TransferReason.CASELOAD_BALANCE,
                reason_text="x",
                principal=ADMIN,
                policy=POLICY,
                today=local_today(),
            )
    assert office.published("case.transferred") == []


def _writes(claim: uuid.UUID) -> dict[str, Callable[[Any], object]]:
    today = local_today()
    return {
        "job_search_activity": lambda uow: obligations.report_activity(
            uow=uow,
            claim_id=claim,
            data=JobSearchActivityCreate(kind="application", activity_date=today),
            principal=ADMIN,
            today=today,
        ),
        "regime": lambda uow: obligations.set_regime(
            uow=uow,
            claim_id=claim,
            data=RegimeUpdate(regime=ObligationRegime.NONE, reason="ill"),
            principal=ADMIN,
            policy=ObligationPolicy(),
            today=today,
        ),
        "work_plan": lambda uow: workplans.create_activity(
            uow=uow,
            claim_id=claim,
            principal=ADMIN,
            data=WorkPlanActivityCreate(kind="application", description="apply", due_on=_days(7)),
            idempotency_key=None,
            today=today,
        ),
        "contact": lambda uow: contacts.plan_contact(
            uow=uow,
            claim_id=claim,
            principal=ADMIN,
            data=ContactMomentCreate(
                planned_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
                channel="phone",
                purpose="check-in",
            ),
            idempotency_key=None,
            now=dt.datetime.now(dt.UTC),
        ),
    }


@pytest.mark.parametrize("write", ["job_search_activity", "regime", "work_plan", "contact"])
def test_writes_check_the_case_open_under_its_row_lock(office: Office, write: str) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a, first_ww_day=_days(-3), obligation_regime="regular"))
    with office.container.uow() as stale:
        seen = cases_repository.by_claim(stale.session, claim)  # read while open, and held
        assert seen is not None
        assert seen.status == "open"
        r = office.client.post(
            f"/v1/cases/{claim}/close",
            json={"result": "entitlement_ended"},
            headers=office.as_("admin"),
        )
        assert r.status_code == 200
        with pytest.raises(Conflict):
            _writes(claim)[write](stale)


# --- 3. BSN in free text --------------------------------------------------------------------


def test_a_reopen_reason_with_a_bsn_is_refused_and_never_published(office: Office) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a))
    admin = office.as_("admin")
    office.client.post(
        f"/v1/cases/{claim}/close", json={"result": "entitlement_ended"}, headers=admin
    )
    r = office.client.post(
        f"/v1/cases/{claim}/reopen", json={"reason": "claimant 123456782 called"}, headers=admin
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["reason"]
    assert office.published("case.reopened") == []


def test_a_transfer_reason_with_a_bsn_is_refused(office: Office) -> None:
    a = office.coach("Anouk", 36)
    b = office.coach("Bram", 36)
    (claim,) = office.cases(1, **_assigned(a))
    r = office.client.post(
        f"/v1/cases/{claim}/transfer",
        json={"to_coach_id": str(b), "reason_category": "other", "reason_text": "bsn 123456782"},
        headers=office.as_("admin"),
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["reason_text"]


# --- 5. closed cases and their tasks -------------------------------------------------------


def _case_with_task(office: Office) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a, first_ww_day=_days(-40), obligation_regime="regular"))
    r = office.client.post("/v1/admin/obligations/evaluate", headers=office.as_("admin"))
    assert r.status_code == 200
    ((task_id,),) = office.sql("SELECT id FROM coach_tasks")
    return a, claim, task_id


def test_closing_cancels_the_open_tasks_and_a_closed_case_task_cannot_be_done(
    office: Office,
) -> None:
    a, claim, task_id = _case_with_task(office)
    coach = office.as_("coach", sub=str(a))
    assert office.client.get("/v1/tasks", headers=coach).json()["total"] == 1
    r = office.client.post(
        f"/v1/cases/{claim}/close", json={"result": "entitlement_ended"}, headers=coach
    )
    assert r.status_code == 200
    assert office.sql("SELECT status FROM coach_tasks") == [("cancelled",)]
    audited = office.sql("SELECT resource_id FROM audit_log WHERE action = 'task.cancel'")
    assert audited == [(str(task_id),)]
    assert office.client.get("/v1/tasks", headers=coach).json()["total"] == 0
    cancelled = office.client.get("/v1/tasks", params={"status": "cancelled"}, headers=coach)
    assert cancelled.status_code == 200
    r = office.client.post(f"/v1/tasks/{task_id}/done", json={"note": "x"}, headers=coach)
    assert r.status_code == 409


def test_an_open_task_of_a_closed_case_is_neither_listed_nor_done(office: Office) -> None:
    a, claim, task_id = _case_with_task(office)
    office.sql("UPDATE cases SET status = 'closed' WHERE claim_id = :c", c=claim)  # older data
    coach = office.as_("coach", sub=str(a))
    assert office.client.get("/v1/tasks", headers=coach).json()["total"] == 0
    r = office.client.post(f"/v1/tasks/{task_id}/done", json={}, headers=coach)
    assert r.status_code == 409
    assert office.sql("SELECT status FROM coach_tasks") == [("open",)]


def test_a_full_work_resumption_cancels_the_tasks(office: Office) -> None:
    a, claim, _ = _case_with_task(office)
    r = office.client.post(
        f"/v1/cases/{claim}/work-resumptions",
        json={"kind": "full", "start_date": local_today().isoformat(), "hours_per_week": 36},
        headers=office.as_("coach", sub=str(a)),
    )
    assert r.status_code == 201, r.text
    assert office.sql("SELECT status FROM coach_tasks") == [("cancelled",)]


# --- 6 and B. implausible dates are 422, never 500 -----------------------------------------


def test_a_trial_placement_in_year_9999_is_422_naming_the_field(office: Office) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a))
    r = office.client.post(
        f"/v1/cases/{claim}/work-plan/activities",
        json={
            "kind": "trial_placement",
            "description": "x",
            "due_on": _days(10).isoformat(),
            "employer": "E",
            "starts_on": "9999-11-30",
            "ends_on": "9999-12-01",
        },
        headers=office.as_("coach", sub=str(a)),
    )
    assert r.status_code == 422, r.text
    # Both dates are past the request-wide date bound (ADR 0024); starts_on is named.
    assert "starts_on" in [e["field"] for e in r.json()["errors"]]


def test_a_regime_far_ahead_is_422_naming_effective_from(office: Office) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a, first_ww_day=_days(-30), obligation_regime="regular"))
    coach = office.as_("coach", sub=str(a))
    for day in ("9999-12-31", _days(367).isoformat()):
        r = office.client.put(
            f"/v1/cases/{claim}/obligation/regime",
            json={"regime": "none", "effective_from": day, "reason": "abc"},
            headers=coach,
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["effective_from"]
    r = office.client.put(
        f"/v1/cases/{claim}/obligation/regime",
        json={"regime": "none", "effective_from": _days(366).isoformat(), "reason": "abc"},
        headers=coach,
    )
    assert r.status_code == 200, r.text
    assert office.client.get(f"/v1/cases/{claim}/obligation", headers=coach).status_code == 200


# --- 8. the starters specialism of ended applications --------------------------------------


def test_only_running_starters_applications_ask_for_the_starters_specialism(
    office: Office,
) -> None:
    running, ended, stopped, later = (uuid.uuid4() for _ in range(4))
    rows = [
        (running, _days(-10), _days(20), None),
        (ended, _days(-60), _days(-1), None),
        (stopped, _days(-10), _days(20), _days(-1)),
        (later, _days(-10), _days(20), _days(0)),  # stopped today: still exempt today
    ]
    for claim, starts, ends, stopped_on in rows:
        office.sql(
            "INSERT INTO obligation_exemptions (id, claim_id, application_id, reason, "
            "starts_on, ends_on, stopped_on, updated_at) VALUES (:id, :c, :a, "
            "'starters_research_period', :s, :e, :st, now())",
            id=uuid.uuid4(),
            c=claim,
            a=uuid.uuid4(),
            s=starts,
            e=ends,
            st=stopped_on,
        )
    with office.container.uow() as uow:
        found = assignment.starters_claims(
            uow, [running, ended, stopped, later], today=local_today()
        )
    assert found == {running, later}


# --- 9. the retried queue stops at the first all-at-maximum --------------------------------


def test_a_closure_in_a_full_office_assigns_one_queued_case_and_stops(office: Office) -> None:
    a = office.coach("Anouk", 1)  # maximum 5
    assigned = office.cases(5, **_assigned(a))
    special: dict[str, Any] = {
        "assignment_status": "unassigned",
        "segment": "personal",
        "score_provisional": False,
        "age_at_first_ww_day": 60,  # asks for the over-55 specialism nobody has
    }
    office.cases(50, **special)
    office.sql("UPDATE cases SET updated_at = '2020-01-01T00:00:00Z' WHERE coach_id IS NULL")
    r = office.client.post(
        f"/v1/cases/{assigned[0]}/close",
        json={"result": "entitlement_ended"},
        headers=office.as_("admin"),
    )
    assert r.status_code == 200
    assert _open_cases(office, a) == 5
    queued = office.sql(
        "SELECT count(*) FROM cases WHERE coach_id IS NULL AND assignment_status = 'unassigned'"
    )
    assert queued == [(49,)]
    # One assigned, one more tried (all at maximum): the other 48 were not decided again.
    touched = office.sql(
        "SELECT count(*) FROM cases WHERE age_at_first_ww_day = 60 "
        "AND updated_at > '2020-01-01T00:00:00Z'"
    )
    assert touched == [(2,)]


# --- 4. the stored evaluation watermark ----------------------------------------------------


def test_the_evaluation_keeps_the_watermark_that_selects_due_cases(office: Office) -> None:
    a = office.coach("Anouk", 36)
    due, marked = office.cases(
        2, **_assigned(a, first_ww_day=_days(-60), obligation_regime="regular")
    )
    admin = office.as_("admin")
    # A case whose watermark says its periods up to yesterday are handled is no candidate.
    office.sql(
        "UPDATE cases SET obligation_evaluated_until = :d WHERE claim_id = :c",
        d=_days(-1),
        c=marked,
    )
    r = office.client.post("/v1/admin/obligations/evaluate", headers=admin)
    assert r.status_code == 200, r.text
    assert office.sql(
        "SELECT c.obligation_evaluated_until, max(p.period_end) FROM cases c "
        "JOIN obligation_periods p ON p.case_id = c.id WHERE c.claim_id = :c "
        "GROUP BY c.obligation_evaluated_until",
        c=due,
    ) == [(_days(-5), _days(-5))]
    assert office.sql(
        "SELECT count(*) FROM obligation_periods p JOIN cases c ON c.id = p.case_id "
        "WHERE c.claim_id = :c",
        c=marked,
    ) == [(0,)]
    with office.container.uow() as uow:
        cutoff = local_today() - dt.timedelta(days=ObligationPolicy().period_days)
        assert (
            obligations_repository.cases_due(uow.session, cutoff=cutoff, after=None, limit=10) == []
        )
    again = office.client.post("/v1/admin/obligations/evaluate", headers=admin).json()
    assert again["periods_evaluated"] == 0


# --- A. a case closed ahead of its closed_on -----------------------------------------------


def test_the_days_a_case_sat_closed_ahead_of_its_closed_on_are_not_obligated(
    office: Office,
) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a, first_ww_day=_days(-84), obligation_regime="regular"))
    admin = office.as_("admin")
    r = office.client.post(
        f"/v1/cases/{claim}/close",
        json={"result": "work_resumed", "closed_on": _days(30).isoformat()},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    # As if it was closed 60 days ago, ahead of a first working day 10 days from now.
    office.sql(
        "UPDATE cases SET closed_at = :t, closed_on = :d WHERE claim_id = :c",
        t=_local_noon(-60),
        d=_days(10),
        c=claim,
    )
    r = office.client.post(
        f"/v1/cases/{claim}/reopen", json={"reason": "job fell through"}, headers=admin
    )
    assert r.status_code == 200, r.text
    regimes = office.sql(
        "SELECT r.regime, r.starts_on, r.ends_on FROM obligation_regimes r "
        "JOIN cases c ON c.id = r.case_id WHERE c.claim_id = :c ORDER BY r.starts_on",
        c=claim,
    )
    # Obligated until the day before it was closed; again from the reopen day.
    assert regimes == [("regular", _days(-84), _days(-61)), ("regular", _days(0), None)]
    r = office.client.post("/v1/admin/obligations/evaluate", headers=admin)
    assert r.status_code == 200
    # P0 (-84..-57) was cut short by the closure; nothing inside -60..-1 is evaluated.
    assert office.sql("SELECT count(*) FROM obligation_periods") == [(0,)]
    assert office.published("obligation.missed") == []


def test_a_case_closed_ahead_on_its_first_ww_day_resumes_from_the_reopen(
    office: Office,
) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a, first_ww_day=_days(-84), obligation_regime="regular"))
    admin = office.as_("admin")
    office.client.post(
        f"/v1/cases/{claim}/close",
        json={"result": "work_resumed", "closed_on": _days(5).isoformat()},
        headers=admin,
    )
    office.sql("UPDATE cases SET closed_at = :t WHERE claim_id = :c", t=_local_noon(-84), c=claim)
    r = office.client.post(f"/v1/cases/{claim}/reopen", json={"reason": "x"}, headers=admin)
    assert r.status_code == 200, r.text
    regimes = office.sql("SELECT regime, starts_on, ends_on FROM obligation_regimes")
    assert regimes == [("regular", _days(0), None)]
    office.client.post("/v1/admin/obligations/evaluate", headers=admin)
    assert office.sql("SELECT count(*) FROM obligation_periods") == [(0,)]


def test_a_case_closed_ahead_and_reopened_the_same_day_keeps_its_regime(office: Office) -> None:
    a = office.coach("Anouk", 36)
    (claim,) = office.cases(1, **_assigned(a, first_ww_day=_days(-84), obligation_regime="regular"))
    admin = office.as_("admin")
    office.client.post(
        f"/v1/cases/{claim}/close",
        json={"result": "work_resumed", "closed_on": _days(30).isoformat()},
        headers=admin,
    )
    r = office.client.post(f"/v1/cases/{claim}/reopen", json={"reason": "typo"}, headers=admin)
    assert r.status_code == 200, r.text
    assert office.sql("SELECT count(*) FROM obligation_regimes") == [(0,)]
