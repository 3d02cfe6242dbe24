"""Agendas, slots and automatic intake booking on PostgreSQL (issue 3, ADR 0010).

Slots are placed on the first working day after today (`D1`): with the 5-working-day deadline
that weekday occurs exactly once between now and the deadline, so slot counts are exact.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from intake.agendas.rules import local_to_utc
from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.concurrency import requests_on_barrier
from tests.support.intake import add_roster_coach, intake_on_pg, known_coach_sub
from tests.support.pg import PgDatabases
from tests.support.system import free_port, processes, service_env, wait_healthy
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1 = WorkingDays().add_working_days(TODAY, 1)
AMS_POSTCODE = "1011 AB"


def _claim(bsn: str, postcode: str = AMS_POSTCODE) -> dict[str, Any]:
    return {
        "bsn": bsn,
        "given_name": "Noor",
        "family_name": "Smit",
        "date_of_birth": "1990-02-02",
        "first_ww_day": TODAY.isoformat(),
        "postcode": postcode,
    }


def _block(start: str, end: str, office: str = "AMS", day: dt.date = D1) -> dict[str, Any]:
    return {"weekday": day.weekday(), "start_time": start, "end_time": end, "office_code": office}


def add_coach(url_or_engine: Any, office: str = "AMS", *, active: bool = True) -> uuid.UUID:
    """A roster coach, as coaching's coach.registered would leave it (a URL or an engine)."""
    if not isinstance(url_or_engine, str):
        return add_roster_coach(url_or_engine, office, active=active)
    engine = create_engine(url_or_engine)
    try:
        return add_roster_coach(engine, office, active=active)
    finally:
        engine.dispose()


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        if "coach" in roles:  # a coach on the roster: unknown coaches are refused (ADR 0022)
            sub = known_coach_sub(self.container.engine, sub, office or "AMS")
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin", sub="admin-1")

    def lead(self, office: str = "AMS") -> dict[str, str]:
        return self.as_("team_lead", sub=f"lead-{office}", office=office)

    def coach(self, office: str = "AMS", *, active: bool = True) -> uuid.UUID:
        return add_coach(self.container.engine, office, active=active)

    def put_agenda(self, coach_id: uuid.UUID, *blocks: dict[str, Any], office: str = "AMS") -> Any:
        r = self.client.put(
            f"/v1/coaches/{coach_id}/agenda",
            json={"blocks": list(blocks)},
            headers=self.lead(office),
        )
        assert r.status_code == 200, r.text
        return r.json()

    def register(self, postcode: str = AMS_POSTCODE) -> str:
        r = self.client.post(
            "/v1/claims",
            json=_claim(synthetic_bsn(self.rng), postcode),
            headers=self.as_("benefits_officer"),
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def appointments(self, claim_id: str) -> list[dict[str, Any]]:
        r = self.client.get(f"/v1/claims/{claim_id}/appointments", headers=self.admin)
        assert r.status_code == 200, r.text
        result: list[dict[str, Any]] = r.json()
        return result

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0]) for r in rows]


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    c = intake_on_pg(pg, state_dir)
    yield Intake(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        random.Random(11),
    )
    c.stop()


def _local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hh, mm))


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


# --- agenda API ---------------------------------------------------------------------------


def test_agenda_crud_regenerates_slots(intake: Intake) -> None:
    coach = intake.coach()
    agenda = intake.put_agenda(coach, _block("09:00", "12:00"))
    assert agenda["slot_minutes"] == 45
    assert agenda["buffer_minutes"] == 15
    assert [b["start_time"] for b in agenda["blocks"]] == ["09:00:00"]
    assert agenda["free_slots"] >= 3
    before = agenda["free_slots"]
    cap = intake.client.get(
        "/v1/offices/AMS/capacity",
        params={"from": D1.isoformat(), "to": D1.isoformat()},
        headers=intake.as_("coach"),
    )
    assert cap.status_code == 200, cap.text
    assert cap.json()["days"] == [{"date": D1.isoformat(), "free_slots": 3}]

    r = intake.client.post(
        f"/v1/coaches/{coach}/agenda/exceptions",
        json={"start_date": D1.isoformat(), "end_date": D1.isoformat(), "kind": "training"},
        headers=intake.lead(),
    )
    assert r.status_code == 201, r.text
    exception_id = r.json()["id"]
    own = intake.client.get(
        f"/v1/coaches/{coach}/agenda", headers=intake.as_("coach", sub=str(coach))
    )
    assert own.status_code == 200, own.text
    assert own.json()["free_slots"] == before - 3
    assert [e["kind"] for e in own.json()["exceptions"]] == ["training"]

    r = intake.client.delete(
        f"/v1/coaches/{coach}/agenda/exceptions/{exception_id}", headers=intake.admin
    )
    assert r.status_code == 204, r.text
    again = intake.client.get(f"/v1/coaches/{coach}/agenda", headers=intake.lead())
    assert again.json()["free_slots"] == before
    assert again.json()["exceptions"] == []
    # Replacing with no blocks withdraws every free slot.
    assert intake.put_agenda(coach)["free_slots"] == 0
    actions = [
        r[0] for r in intake.sql("SELECT action FROM audit_log WHERE resource_type='agenda'")
    ]
    assert sorted(actions) == sorted(
        ["agenda.replace_blocks"] * 2 + ["agenda.add_exception", "agenda.delete_exception"]
    )


def test_agenda_validation_and_access(intake: Intake) -> None:
    coach = intake.coach()
    url = f"/v1/coaches/{coach}/agenda"
    overlap = {"blocks": [_block("09:00", "12:00"), _block("11:00", "13:00", "ZAA")]}
    body = _problem(intake.client.put(url, json=overlap, headers=intake.lead()), 422)
    assert body["errors"][0]["field"] == "blocks.1"
    backwards = {"blocks": [_block("12:00", "09:00")]}
    _problem(intake.client.put(url, json=backwards, headers=intake.lead()), 422)
    unknown = {"blocks": [_block("09:00", "10:00", "XXX")]}
    _problem(intake.client.put(url, json=unknown, headers=intake.lead()), 422)
    bad_day = {"blocks": [{**_block("09:00", "10:00"), "weekday": 7}]}
    _problem(intake.client.put(url, json=bad_day, headers=intake.lead()), 422)
    ok = {"blocks": [_block("09:00", "10:00")]}
    _problem(intake.client.put(url, json=ok, headers=intake.lead("RTD")), 403)
    _problem(
        intake.client.put(f"/v1/coaches/{uuid.uuid4()}/agenda", json=ok, headers=intake.admin), 404
    )
    inactive = intake.coach(active=False)
    _problem(
        intake.client.put(f"/v1/coaches/{inactive}/agenda", json=ok, headers=intake.admin), 409
    )
    bad_range = {"start_date": "2026-12-03", "end_date": "2026-12-01", "kind": "leave"}
    _problem(intake.client.post(f"{url}/exceptions", json=bad_range, headers=intake.lead()), 422)
    bad_kind = {"start_date": "2026-12-01", "end_date": "2026-12-01", "kind": "holiday"}
    _problem(intake.client.post(f"{url}/exceptions", json=bad_kind, headers=intake.lead()), 422)
    _problem(intake.client.delete(f"{url}/exceptions/{uuid.uuid4()}", headers=intake.lead()), 404)
    # Reads: a coach only their own, a team lead only their office's.
    _problem(intake.client.get(url, headers=intake.as_("coach", sub=str(uuid.uuid4()))), 404)
    _problem(intake.client.get(url, headers=intake.lead("RTD")), 404)
    assert intake.client.get(url, headers=intake.lead()).status_code == 200
    assert intake.sql("SELECT count(*) FROM agenda_blocks")[0][0] == 0


# --- booking ------------------------------------------------------------------------------


def test_registration_books_the_earliest_slot(intake: Intake) -> None:
    coach = intake.coach()
    intake.put_agenda(coach, _block("13:00", "15:00"), _block("09:00", "10:00"))
    first, second = intake.register(), intake.register()
    (a1,) = intake.appointments(first)
    (a2,) = intake.appointments(second)
    assert dt.datetime.fromisoformat(a1["starts_at"]) == _local(D1, 9)
    assert dt.datetime.fromisoformat(a2["starts_at"]) == _local(D1, 13)
    assert (a1["status"], a1["coach_id"], a1["office_code"]) == ("booked", str(coach), "AMS")
    assert dt.date.fromisoformat(a1["deadline"]) >= D1
    scheduled = intake.events("intake.scheduled")
    assert [e["data"]["claim_id"] for e in scheduled] == [first, second]
    assert intake.events("intake.capacity_shortfall") == []

    url = f"/v1/appointments/{a1['id']}"
    assert intake.client.get(url, headers=intake.as_("coach", sub=str(coach))).status_code == 200
    assert intake.client.get(url, headers=intake.lead()).status_code == 200
    _problem(intake.client.get(url, headers=intake.as_("coach", sub=str(uuid.uuid4()))), 404)
    _problem(intake.client.get(url, headers=intake.lead("RTD")), 404)
    _problem(intake.client.get(url, headers=intake.as_("claimant", sub="someone-else")), 404)
    _problem(
        intake.client.get(
            f"/v1/claims/{first}/appointments", headers=intake.as_("claimant", sub="x")
        ),
        404,
    )
    reads = intake.sql("SELECT count(*) FROM audit_log WHERE action = 'appointment.read'")
    assert reads[0][0] == 2


def test_a_claimant_sees_their_own_appointment(intake: Intake) -> None:
    intake.put_agenda(intake.coach(), _block("09:00", "10:00"))
    me = intake.as_("claimant", sub="claimant-noor")
    body = _claim(synthetic_bsn(intake.rng))
    r = intake.client.post(
        "/v1/claims", json=body, headers=intake.tokens.signed_in(me, body["bsn"])
    )
    assert r.status_code == 201, r.text
    listed = intake.client.get(f"/v1/claims/{r.json()['id']}/appointments", headers=me)
    assert listed.status_code == 200, listed.text
    (appointment,) = listed.json()
    assert intake.client.get(f"/v1/appointments/{appointment['id']}", headers=me).status_code == 200


def test_a_neighbour_office_is_used_when_the_home_office_is_full(intake: Intake) -> None:
    intake.put_agenda(intake.coach("AMS"), _block("11:00", "11:45"))
    intake.put_agenda(intake.coach("ZAA"), _block("09:00", "10:00", "ZAA"), office="ZAA")
    # HLM (35 min) is within reach too, ALK (49 min) is not.
    intake.put_agenda(intake.coach("ALK"), _block("08:00", "09:00", "ALK"), office="ALK")
    first, second, third = intake.register(), intake.register(), intake.register()
    assert intake.appointments(first)[0]["office_code"] == "AMS"  # home first, though later
    assert intake.appointments(second)[0]["office_code"] == "ZAA"
    assert intake.appointments(third) == []
    (shortfall,) = intake.events("intake.capacity_shortfall")
    assert shortfall["data"]["claim_id"] == third
    assert shortfall["data"]["offices_searched"][:3] == ["AMS", "ZAA", "HLM"]
    assert "ALK" not in shortfall["data"]["offices_searched"]


def test_the_unplanned_list_fills_and_drains_when_capacity_appears(intake: Intake) -> None:
    claims = [intake.register() for _ in range(3)]
    assert len(intake.events("intake.capacity_shortfall")) == 3
    page = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    assert page["total"] == 3
    assert {i["claim_id"] for i in page["items"]} == set(claims)
    _problem(intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead("RTD")), 403)

    intake.put_agenda(intake.coach(), _block("09:00", "10:45"))  # two slots
    page = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    assert page["total"] == 1
    booked = [c for c in claims if intake.appointments(c)]
    assert booked == claims[:2]  # same deadline: the longest waiting first
    assert [e["data"]["claim_id"] for e in intake.events("intake.scheduled")] == claims[:2]


def test_the_database_refuses_double_booking(intake: Intake) -> None:
    coach = intake.coach()
    intake.put_agenda(coach, _block("09:00", "10:45"))
    claim_a = intake.register()
    other = intake.register("3011 AB")  # Rotterdam: no agenda there, a shortfall
    a = intake.appointments(claim_a)[0]
    free_slot = intake.sql(
        "SELECT id, starts_at, ends_at FROM slots WHERE id NOT IN "
        "(SELECT slot_id FROM appointments) ORDER BY starts_at DESC LIMIT 1"
    )[0]
    slot_a = (uuid.UUID(a["slot_id"]), a["starts_at"], a["ends_at"])

    def insert(
        claim: str, slot: tuple[Any, Any, Any], shift: dt.timedelta = dt.timedelta(0)
    ) -> None:
        intake.sql(
            "INSERT INTO appointments (id, claim_id, slot_id, coach_id, office_code, starts_at, "
            "ends_at, status, deadline, booked_at) VALUES (:id, :claim, :slot, :coach, 'AMS', "
            "CAST(:s AS timestamptz) + :shift, CAST(:e AS timestamptz) + :shift, 'booked', "
            ":deadline, now())",
            id=uuid.uuid4(),
            claim=uuid.UUID(claim),
            slot=slot[0],
            coach=coach,
            s=slot[1],
            e=slot[2],
            shift=shift,
            deadline=D1,
        )

    # A second active appointment on the same slot (shifted: not the coach-overlap rule).
    with pytest.raises(IntegrityError, match="uq_appointments_active_slot"):
        insert(other, slot_a, dt.timedelta(days=300))
    # A second active appointment of the same claim.
    with pytest.raises(IntegrityError, match="uq_appointments_active_claim"):
        insert(claim_a, free_slot)
    # PostgreSQL: overlapping times of one coach, whatever the slot.
    with pytest.raises(IntegrityError, match="ex_appointments_coach_overlap"):
        insert(other, (free_slot[0], a["starts_at"], a["ends_at"]), dt.timedelta(minutes=30))
    # A cancelled appointment frees the slot for another claim.
    intake.sql("UPDATE appointments SET status = 'cancelled_by_service' WHERE id = :i", i=a["id"])
    insert(other, slot_a)


# --- acceptance: concurrency through a real server -------------------------------------------


def test_100_concurrent_registrations_for_10_slots(
    pg: PgDatabases, state_dir: Path, tmp_path: Path
) -> None:
    url = pg.create("intake")
    coach = add_coach(url)
    tokens = Tokens(state_dir / "dev-jwt-key.pem")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = service_env(
        "intake",
        state_dir=state_dir,
        database_url=url,
        port=port,
        extra={"WW_TRANSPORT": "embedded", "WW_LOG_LEVEL": "WARNING", "INTAKE_DB_POOL_SIZE": "20"},
    )
    rng = random.Random(100)
    bsns = {synthetic_bsn(rng) for _ in range(200)}
    bodies = [_claim(b) for b in sorted(bsns)[:100]]
    assert len(bodies) == 100
    with processes(tmp_path) as procs:
        proc = procs.start("intake", ["serve", "intake"], env)
        wait_healthy(base, proc=proc)
        lead = Tokens.header(tokens.user("team_lead", sub="lead-AMS", office="AMS"))
        r = httpx.put(
            f"{base}/v1/coaches/{coach}/agenda",
            json={"blocks": [_block("09:00", "19:00")]},  # 10 slots of 45 + 15 minutes
            headers=lead,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        staff = Tokens.header(tokens.user("benefits_officer", sub="officer-1"))

        # All 100 released at once by a barrier, each on its own connection.
        responses = requests_on_barrier(
            base, [("POST", "/v1/claims", {"json": b, "headers": staff}) for b in bodies]
        )
        statuses = [r.status_code for r in responses]
        assert statuses == [201] * 100, proc.text()[-3000:]

    engine = create_engine(url)
    try:
        with engine.connect() as conn:

            def scalar(sql: str) -> int:
                return int(conn.execute(text(sql)).scalar_one())

            assert scalar("SELECT count(*) FROM appointments WHERE status = 'booked'") == 10
            assert scalar("SELECT count(DISTINCT slot_id) FROM appointments") == 10
            assert scalar("SELECT count(*) FROM unplanned_claims") == 90
            assert scalar("SELECT count(*) FROM outbox WHERE event_type='intake.scheduled'") == 10
            assert (
                scalar("SELECT count(*) FROM outbox WHERE event_type='intake.capacity_shortfall'")
                == 90
            )
            assert scalar("SELECT count(*) FROM claims") == 100
    finally:
        engine.dispose()


# --- preferences: declared unavailable times, a coach met before ----------------------------


def test_registration_respects_declared_unavailable_times(intake: Intake) -> None:
    intake.put_agenda(intake.coach(), _block("09:00", "12:00"))  # 09:00, 10:00, 11:00
    body = {
        **_claim(synthetic_bsn(intake.rng)),
        "unavailable": [{"weekday": D1.weekday(), "start_time": "08:00", "end_time": "10:30"}],
    }
    r = intake.client.post("/v1/claims", json=body, headers=intake.as_("benefits_officer"))
    assert r.status_code == 201, r.text
    assert r.json()["unavailable"][0]["end_time"] == "10:30:00"
    (appointment,) = intake.appointments(r.json()["id"])
    assert dt.datetime.fromisoformat(appointment["starts_at"]) == _local(D1, 11)
    # A whole day declared unavailable by date: nothing fits, a shortfall (not a silent miss).
    whole_day = {**_claim(synthetic_bsn(intake.rng)), "unavailable": [{"date": D1.isoformat()}]}
    r = intake.client.post("/v1/claims", json=whole_day, headers=intake.as_("benefits_officer"))
    assert r.status_code == 201, r.text
    assert intake.appointments(r.json()["id"]) == []
    (shortfall,) = intake.events("intake.capacity_shortfall")
    assert shortfall["data"]["claim_id"] == r.json()["id"]


@pytest.mark.parametrize(
    "unavailable",
    [
        [{"weekday": 0, "date": "2026-12-01"}],
        [{"start_time": "09:00", "end_time": "10:00"}],
        [{"weekday": 7}],
        [{"weekday": 1, "start_time": "11:00", "end_time": "10:00"}],
        [{"weekday": 1, "start_time": "09:00+01:00", "end_time": "10:00+01:00"}],
        [{"weekday": 1, "colour": "red"}],
        [{"weekday": 1}] * 21,
        {"weekday": 1},
    ],
)
def test_bad_unavailable_times_are_refused_naming_the_field(
    intake: Intake, unavailable: Any
) -> None:
    body = {**_claim(synthetic_bsn(intake.rng)), "unavailable": unavailable}
    problem = _problem(
        intake.client.post("/v1/claims", json=body, headers=intake.as_("benefits_officer")), 422
    )
    assert {e["field"].split(".")[0] for e in problem["errors"]} == {"unavailable"}
    assert intake.sql("SELECT count(*) FROM claims")[0][0] == 0


def test_a_coach_met_in_an_earlier_intake_is_preferred(intake: Intake) -> None:
    early, met = intake.coach(), intake.coach()
    intake.put_agenda(early, _block("09:00", "09:45"))
    intake.put_agenda(met, _block("11:00", "11:45"))
    bsn = synthetic_bsn(intake.rng)
    headers = intake.as_("benefits_officer")
    first = intake.client.post("/v1/claims", json=_claim(bsn), headers=headers).json()["id"]
    (a,) = intake.appointments(first)
    assert a["coach_id"] == str(early)  # no history yet: the earliest slot
    # History: that claim's intake was held by `met` last month, and the claim is closed.
    intake.sql(
        "UPDATE appointments SET status = 'completed', coach_id = :met, "
        "starts_at = starts_at - interval '30 days', ends_at = ends_at - interval '30 days' "
        "WHERE id = :id",
        met=met,
        id=uuid.UUID(a["id"]),
    )
    intake.sql("UPDATE claims SET status = 'closed' WHERE id = :id", id=uuid.UUID(first))
    again = intake.client.post("/v1/claims", json=_claim(bsn), headers=headers)
    assert again.status_code == 201, again.text
    (b,) = intake.appointments(again.json()["id"])
    assert b["coach_id"] == str(met)  # continuity, though 09:00 with `early` is free
    assert dt.datetime.fromisoformat(b["starts_at"]) == _local(D1, 11)
    # Someone else, with no history, still gets the earliest slot.
    (c,) = intake.appointments(intake.register())
    assert c["coach_id"] == str(early)


# --- the planning run and capacity that appears -------------------------------------------


def test_the_planning_run_rolls_horizons_forward_and_books_overdue_claims(
    intake: Intake,
) -> None:
    waiting = intake.register()  # no agenda anywhere: a shortfall, on the AMS list
    yesterday = TODAY - dt.timedelta(days=1)
    intake.sql("UPDATE unplanned_claims SET deadline = :d", d=yesterday)
    coach = intake.coach()
    intake.put_agenda(coach, _block("09:00", "09:45"))
    # The agenda change books only claims whose deadline lies ahead: this one is overdue.
    assert intake.appointments(waiting) == []
    # Pretend the horizon lags (no run for a while): slots only until today.
    intake.sql("UPDATE agendas SET slots_until = :d", d=TODAY)

    _problem(intake.client.post("/v1/admin/planning/run", headers=intake.lead()), 403)
    r = intake.client.post("/v1/admin/planning/run", headers=intake.admin)
    assert r.status_code == 200, r.text
    run = r.json()
    horizon = WorkingDays().add_working_days(TODAY, 20)
    assert run == {
        "agendas_extended": 1,
        "slots_until": horizon.isoformat(),
        "booked": 1,
        "still_unplanned": 0,
    }
    (a,) = intake.appointments(waiting)
    assert a["deadline"] == yesterday.isoformat()  # the missed deadline is kept (KPIs: late)
    assert dt.datetime.fromisoformat(a["starts_at"]) == _local(D1, 9)
    last = intake.sql("SELECT max(starts_at) FROM slots WHERE coach_id = :c", c=coach)[0][0]
    assert last.date() > WorkingDays().add_working_days(TODAY, 15)
    # A second run finds nothing to do.
    again = intake.client.post("/v1/admin/planning/run", headers=intake.admin).json()
    assert (again["agendas_extended"], again["booked"]) == (0, 0)
    assert len(intake.sql("SELECT 1 FROM audit_log WHERE action = 'planning.run'")) == 2


def test_a_team_lead_runs_the_planning_of_their_own_office(intake: Intake) -> None:
    waiting = intake.register()  # no agenda anywhere: on the AMS list
    elsewhere = intake.register("1811 AA")  # on the ALK list
    yesterday = TODAY - dt.timedelta(days=1)
    intake.sql("UPDATE unplanned_claims SET deadline = :d", d=yesterday)
    intake.put_agenda(intake.coach(), _block("09:00", "09:45"))
    assert intake.appointments(waiting) == []  # overdue: the agenda change leaves it waiting

    url = "/v1/offices/AMS/planning/run"
    _problem(intake.client.post(url, headers=intake.lead("ALK")), 403)
    _problem(intake.client.post(url, headers=intake.as_("coach", office="AMS")), 403)
    _problem(intake.client.post("/v1/offices/XXX/planning/run", headers=intake.admin), 404)
    assert intake.appointments(waiting) == []  # the refused calls changed nothing

    r = intake.client.post(url, headers=intake.lead("AMS"))
    assert r.status_code == 200, r.text
    assert r.json() == {"office_code": "AMS", "booked": 1, "still_unplanned": 0}
    (a,) = intake.appointments(waiting)
    assert a["deadline"] == yesterday.isoformat()  # booked late, the missed deadline kept
    # Only the office's own list: the ALK claim waits for ALK's run (or the scheduler's).
    assert intake.appointments(elsewhere) == []
    listed = intake.client.get("/v1/offices/ALK/unplanned", headers=intake.lead("ALK")).json()
    assert [i["claim_id"] for i in listed["items"]] == [elsewhere]
    again = intake.client.post(url, headers=intake.lead("AMS")).json()
    assert again == {"office_code": "AMS", "booked": 0, "still_unplanned": 0}
    audit = intake.sql("SELECT actor FROM audit_log WHERE action = 'planning.run_office'")
    assert [r[0] for r in audit] == ["lead-AMS", "lead-AMS"]


def test_a_slot_freed_by_a_claimant_goes_to_a_waiting_claim(intake: Intake) -> None:
    intake.put_agenda(intake.coach(), _block("09:00", "09:45"))  # one slot
    me = intake.as_("claimant", sub="claimant-noor")
    body = _claim(synthetic_bsn(intake.rng))
    r = intake.client.post(
        "/v1/claims", json=body, headers=intake.tokens.signed_in(me, body["bsn"])
    )
    mine = r.json()["id"]
    waiting = intake.register()
    assert intake.appointments(waiting) == []
    (a,) = intake.appointments(mine)
    r = intake.client.post(
        f"/v1/appointments/{a['id']}/cancel", json={"reason_code": "illness"}, headers=me
    )
    assert r.status_code == 200, r.text
    (b,) = intake.appointments(waiting)
    assert b["slot_id"] == a["slot_id"]
    listed = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    assert [i["claim_id"] for i in listed["items"]] == [mine]
