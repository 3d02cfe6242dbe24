"""Rebooking rules on PostgreSQL through the API (issue 12, items 4, 5, 6 and 9; ADR 0017).

Decisions tested here:
- A summons lies at least `summons_lead_working_days` (1: the next working day) ahead and
  within `no_show_rebook_working_days`; nothing fits -> shortfall and the unplanned list, also
  for the planning run afterwards, never a same-day summons.
- `coach_unavailable` records an agenda exception (kind `unavailable`) for the coach's day:
  the coach's free slots that day are withdrawn for everyone; the claim is rebooked with
  another coach, or the same coach on another day only when no other coach is free.
- A slot the claimant cancelled is never offered or booked again for that claim; after a
  cancellation for illness nothing before `illness_cancel_pause_days` days.
- After cancelling, the claimant picks a new slot from `alternatives` with `reschedule`
  (a new appointment); `alternatives` offers exactly what `reschedule` accepts (exhaustive).
- `alternatives` is a page (`limit`, `offset`, `total`) filterable by `from_date`, `to_date`
  and `part_of_day`; a refused slot is 409 `slot-unavailable` with a `reason` code.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from intake.agendas.rules import LOCAL_TZ, local_day, local_to_utc
from intake.appointments.models import Appointment
from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.concurrency import serve
from tests.support.intake import add_roster_coach
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
WD = WorkingDays()
D1 = WD.add_working_days(TODAY, 1)
D2 = WD.add_working_days(TODAY, 2)
ME = "claimant-noor"


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def me(self) -> dict[str, str]:
        return self.as_("claimant", sub=ME)

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin", sub="admin-1")

    def lead(self, office: str = "AMS") -> dict[str, str]:
        return self.as_("team_lead", sub=f"lead-{office}", office=office)

    def coach(self, office: str = "AMS") -> uuid.UUID:
        return add_roster_coach(self.container.engine, office)

    def agenda(self, coach: uuid.UUID, *blocks: tuple[int, str, str, str]) -> None:
        body = {
            "blocks": [
                {"weekday": d, "start_time": s, "end_time": e, "office_code": o}
                for d, s, e, o in blocks
            ]
        }
        r = self.client.put(f"/v1/coaches/{coach}/agenda", json=body, headers=self.admin)
        assert r.status_code == 200, r.text

    def register(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """Register a claim (as the claimant by default); its one appointment, or {}."""
        body = {
            "bsn": synthetic_bsn(self.rng),
            "given_name": "Noor",
            "family_name": "Smit",
            "date_of_birth": "1990-02-02",
            "first_ww_day": TODAY.isoformat(),
            "postcode": "1011 AB",
        }
        headers = self.tokens.signed_in(headers or self.me, body["bsn"])
        r = self.client.post("/v1/claims", json=body, headers=headers)
        assert r.status_code == 201, r.text
        return self.latest(r.json()["id"])

    def latest(self, claim_id: str) -> dict[str, Any]:
        listed = self.client.get(f"/v1/claims/{claim_id}/appointments", headers=self.admin)
        assert listed.status_code == 200, listed.text
        return dict(listed.json()[0]) if listed.json() else {"claim_id": claim_id}

    def post(self, appointment: dict[str, Any], action: str, body: Any, headers: Any) -> Any:
        return self.client.post(
            f"/v1/appointments/{appointment['id']}/{action}", json=body, headers=headers
        )

    def alternatives(
        self, appointment: dict[str, Any], headers: dict[str, str] | None = None, **query: Any
    ) -> httpx.Response:
        return self.client.get(
            f"/v1/appointments/{appointment['id']}/alternatives",
            params=query,
            headers=headers or self.me,
        )

    def all_alternatives(self, appointment: dict[str, Any], **query: Any) -> list[dict[str, Any]]:
        """Every page of the alternatives (pages of 3, to walk the paging too)."""
        out: list[dict[str, Any]] = []
        while True:
            r = self.alternatives(appointment, limit=3, offset=len(out), **query)
            assert r.status_code == 200, r.text
            page = r.json()
            out.extend(page["items"])
            if len(out) >= page["total"] or not page["items"]:
                assert len(out) == page["total"]
                return out

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = self.sql("SELECT body FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)
        return [json.loads(r[0]) for r in rows]

    def slot(self, coach: uuid.UUID, starts_at: dt.datetime, office: str = "AMS") -> uuid.UUID:
        """A free slot of a coach at an arbitrary moment (outside the generated agenda)."""
        slot_id = uuid.uuid4()
        self.sql(
            "INSERT INTO slots (id, coach_id, office_code, starts_at, ends_at, state) "
            "VALUES (:id, :coach, :office, :s, :e, 'open')",
            id=slot_id,
            coach=coach,
            office=office,
            s=starts_at,
            e=starts_at + dt.timedelta(minutes=45),
        )
        return slot_id

    def move_to(self, appointment: dict[str, Any], starts_at: dt.datetime) -> None:
        """Put the appointment in a fresh slot of its coach at an arbitrary moment."""
        slot_id = self.slot(uuid.UUID(appointment["coach_id"]), starts_at)
        self.sql(
            "UPDATE appointments SET slot_id = :slot, starts_at = :s, ends_at = :e WHERE id = :id",
            slot=slot_id,
            s=starts_at,
            e=starts_at + dt.timedelta(minutes=45),
            id=uuid.UUID(appointment["id"]),
        )

    def free(self, slot_id: uuid.UUID | str) -> bool:
        rows = self.sql(
            "SELECT count(*) FROM appointments WHERE slot_id = :s "
            "AND status IN ('booked', 'rescheduled')",
            s=uuid.UUID(str(slot_id)),
        )
        return bool(rows[0][0] == 0)

    def plan(self) -> dict[str, Any]:
        r = self.client.post("/v1/admin/planning/run", headers=self.admin)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture
def make_intake(pg: PgDatabases, state_dir: Path) -> Iterator[Callable[..., Intake]]:
    made: list[ServiceContainer] = []

    def make(**settings: Any) -> Intake:
        c = build_container(
            "intake",
            database_url=pg.create("intake"),
            transport="embedded",
            broker=EmbeddedBroker(),
            state_dir=state_dir,
            log_level="WARNING",
            **settings,
        )
        made.append(c)
        return Intake(
            c,
            TestClient(build_app(c, manage_lifecycle=False)),
            Tokens(state_dir / "dev-jwt-key.pem"),
            random.Random(12),
        )

    yield make
    for c in made:
        c.stop()


def _local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hh, mm))


def _starts(a: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(a["starts_at"])


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def _later_today() -> dt.datetime:
    """A moment later today (local), at most an hour from now."""
    now = dt.datetime.now(dt.UTC)
    midnight = local_to_utc(TODAY + dt.timedelta(days=1), dt.time(0))
    return now + min(dt.timedelta(hours=1), (midnight - now) / 2)


def _no_show(intake: Intake, a: dict[str, Any]) -> dict[str, Any]:
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    r = intake.post(a, "no-show", None, intake.admin)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# Blocks on every weekday but today's: nothing is bookable today, whatever the hour.
WEEKDAYS = [d for d in range(5) if d != TODAY.weekday()]


# --- item 4: a summons gives real notice ----------------------------------------------------


def test_a_summons_is_never_on_the_same_day(make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    coach = intake.coach()
    intake.agenda(coach, *[(d, "09:00", "12:00", "AMS") for d in WEEKDAYS])
    a = intake.register()
    today_slot = intake.slot(coach, _later_today())  # free, later today, before the deadline

    summons = _no_show(intake, a)["summons"]
    assert summons is not None
    assert summons["summoned"] is True
    assert local_day(_starts(summons)) >= D1  # the next working day at the earliest
    assert local_day(_starts(summons)) <= WD.add_working_days(TODAY, 3)
    assert intake.free(today_slot)
    # The claimant moving the summons is held to the same notice.
    offered = {s["slot_id"] for s in intake.all_alternatives(summons)}
    assert str(today_slot) not in offered
    refused = _problem(
        intake.post(summons, "reschedule", {"slot_id": str(today_slot)}, intake.me), 409
    )
    assert refused["reason"] == "too_early"


def test_no_summons_slot_with_notice_is_a_shortfall_not_a_same_day_summons(
    make_intake: Callable[..., Intake],
) -> None:
    intake = make_intake()
    coach = intake.coach()
    intake.agenda(coach, (D1.weekday(), "09:00", "10:45", "AMS"))  # two slots on D1 only
    a = intake.register()
    intake.move_to(a, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    while "id" in intake.register(intake.as_("benefits_officer")):
        pass  # every D1 slot taken
    today_slot = intake.slot(coach, _later_today())

    r = intake.post(a, "no-show", None, intake.admin)
    assert r.status_code == 200, r.text
    assert (r.json()["summons"], r.json()["unplanned"]) == (None, True)
    assert intake.free(today_slot)
    shortfall = intake.events("intake.capacity_shortfall")[-1]["data"]
    assert shortfall["claim_id"] == a["claim_id"]
    # The planning run does not summon for today either (another waiting claim may take it).
    intake.plan()
    assert intake.latest(a["claim_id"])["status"] == "no_show"
    listed = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    assert a["claim_id"] in {u["claim_id"] for u in listed["items"]}


def test_summons_lead_time_is_a_setting(make_intake: Callable[..., Intake]) -> None:
    intake = make_intake(summons_lead_working_days=2)
    coach = intake.coach()
    intake.agenda(coach, *[(d, "09:00", "12:00", "AMS") for d in WEEKDAYS])
    a = intake.register()
    summons = _no_show(intake, a)["summons"]
    assert local_day(_starts(summons)) == D2


# --- item 5: coach_unavailable rebooks with another coach -----------------------------------


def test_coach_unavailable_rebooks_with_another_coach_and_blocks_the_day(
    make_intake: Callable[..., Intake],
) -> None:
    intake = make_intake()
    away, other = intake.coach(), intake.coach()
    intake.agenda(away, (D1.weekday(), "09:00", "12:00", "AMS"))
    intake.agenda(other, (D1.weekday(), "11:30", "13:30", "AMS"))  # after away's 11:00
    a = intake.register()
    assert a["coach_id"] == str(away)
    waiting = intake.register(intake.as_("benefits_officer"))  # holds away's 10:00

    reason = {"reason_code": "coach_unavailable", "reason_text": "sick"}
    r = intake.post(a, "cancel-by-service", reason, intake.lead())
    assert r.status_code == 200, r.text
    rebooked = r.json()["rebooked"]
    assert rebooked["coach_id"] == str(other)
    assert _starts(rebooked) == _local(D1, 11, 30)

    # The away coach's remaining free slots that day are offered to no one.
    exceptions = intake.client.get(f"/v1/coaches/{away}/agenda", headers=intake.admin).json()[
        "exceptions"
    ]
    assert [(e["start_date"], e["kind"]) for e in exceptions] == [(D1.isoformat(), "unavailable")]
    (free_away,) = intake.sql(
        "SELECT id FROM slots WHERE coach_id = :c AND starts_at = :s", c=away, s=_local(D1, 11)
    )
    offered = intake.all_alternatives(waiting, headers=intake.admin)
    assert [(s["coach_id"], _starts(s)) for s in offered] == [(str(other), _local(D1, 12, 30))]
    refused = _problem(
        intake.post(waiting, "reschedule", {"slot_id": str(free_away[0])}, intake.admin), 409
    )
    assert refused["reason"] == "closed"
    late = intake.register(intake.as_("benefits_officer"))
    assert (late["coach_id"], _starts(late)) == (str(other), _local(D1, 12, 30))
    # The other booking with the away coach stays as it is (staff cancel it when needed).
    assert intake.latest(waiting["claim_id"])["status"] == "booked"
    (audit,) = intake.sql("SELECT reason FROM audit_log WHERE action = 'agenda.add_exception'")
    assert audit[0] == "coach_unavailable"


def test_coach_unavailable_falls_back_to_the_same_coach_on_a_later_day(
    make_intake: Callable[..., Intake],
) -> None:
    intake = make_intake()
    only = intake.coach()
    intake.agenda(only, *[(d, "09:00", "12:00", "AMS") for d in WEEKDAYS])
    a = intake.register()
    assert local_day(_starts(a)) == D1
    r = intake.post(a, "cancel-by-service", {"reason_code": "coach_unavailable"}, intake.admin)
    assert r.status_code == 200, r.text
    rebooked = r.json()["rebooked"]
    assert rebooked["coach_id"] == str(only)
    assert local_day(_starts(rebooked)) == D2


# --- item 6: a claimant's cancellation is respected -----------------------------------------


def test_planning_never_rebooks_the_slot_the_claimant_cancelled(
    make_intake: Callable[..., Intake],
) -> None:
    intake = make_intake()
    coach = intake.coach()
    intake.agenda(coach, (D1.weekday(), "09:00", "12:00", "AMS"))
    a = intake.register()
    r = intake.post(a, "cancel", {"reason_code": "unavailable"}, intake.me)
    assert r.status_code == 200, r.text
    assert intake.plan()["booked"] == 1
    again = intake.latest(a["claim_id"])
    assert again["status"] == "booked"
    assert again["slot_id"] != a["slot_id"]
    assert _starts(again) == _local(D1, 10)


def test_illness_pauses_booking_and_the_claimant_picks_after_it(
    make_intake: Callable[..., Intake],
) -> None:
    pause = (D2 - TODAY).days  # the first allowed day is D2, whatever weekday today is
    intake = make_intake(illness_cancel_pause_days=pause)
    coach = intake.coach()
    intake.agenda(coach, *[(d, "09:00", "12:00", "AMS") for d in WEEKDAYS])
    a = intake.register()
    assert local_day(_starts(a)) == D1
    r = intake.post(a, "cancel", {"reason_code": "illness", "reason_text": "flu"}, intake.me)
    assert r.status_code == 200, r.text

    offered = intake.all_alternatives(a)
    assert offered
    assert min(local_day(_starts(s)) for s in offered) == D2
    assert a["slot_id"] not in {s["slot_id"] for s in offered}
    d1_slot = intake.sql(
        "SELECT id FROM slots WHERE coach_id = :c AND starts_at = :s", c=coach, s=_local(D1, 10)
    )[0][0]
    too_early = _problem(intake.post(a, "reschedule", {"slot_id": str(d1_slot)}, intake.me), 409)
    assert (too_early["type"], too_early["reason"]) == (
        "urn:ww:problem:slot-unavailable",
        "too_early",
    )
    cancelled = _problem(intake.post(a, "reschedule", {"slot_id": a["slot_id"]}, intake.me), 409)
    assert cancelled["reason"] == "cancelled_by_claimant"

    # The claimant picks a slot themselves: a new appointment, the cancelled one kept.
    pick = offered[1]["slot_id"]
    r = intake.post(a, "reschedule", {"slot_id": pick}, intake.me)
    assert r.status_code == 200, r.text
    new = r.json()
    assert (new["status"], new["slot_id"]) == ("booked", pick)
    assert new["id"] != a["id"]
    statuses = intake.client.get(f"/v1/claims/{a['claim_id']}/appointments", headers=intake.me)
    assert sorted(x["status"] for x in statuses.json()) == ["booked", "cancelled_by_claimant"]
    listed = intake.client.get("/v1/offices/AMS/unplanned", headers=intake.lead()).json()
    assert listed["total"] == 0
    assert intake.events("intake.scheduled")[-1]["data"]["appointment_id"] == new["id"]
    # The old appointment no longer offers or accepts anything: 409 on both.
    assert _problem(intake.alternatives(a), 409)["allowed"] == []
    _problem(intake.post(a, "reschedule", {"slot_id": offered[2]["slot_id"]}, intake.me), 409)


def test_planning_honours_the_illness_pause(make_intake: Callable[..., Intake]) -> None:
    pause = (D2 - TODAY).days
    intake = make_intake(illness_cancel_pause_days=pause)
    coach = intake.coach()
    intake.agenda(coach, *[(d, "09:00", "12:00", "AMS") for d in WEEKDAYS])
    a = intake.register()
    intake.post(a, "cancel", {"reason_code": "illness"}, intake.me)
    assert intake.plan()["booked"] == 1
    assert local_day(_starts(intake.latest(a["claim_id"]))) == D2


def test_alternatives_offer_exactly_what_reschedule_accepts(
    make_intake: Callable[..., Intake],
) -> None:
    """Exhaustive: for every slot in the database, offered <=> accepted, after each move."""
    intake = make_intake()
    home, near, far = intake.coach("AMS"), intake.coach("ZAA"), intake.coach("RTD")
    intake.agenda(home, *[(d, "09:00", "16:00", "AMS") for d in WEEKDAYS])
    intake.agenda(near, (D1.weekday(), "09:00", "10:00", "ZAA"))
    intake.agenda(far, (D1.weekday(), "09:00", "10:00", "RTD"))  # out of reach
    a = intake.register()
    intake.post(a, "cancel", {"reason_code": "found_work"}, intake.me)
    first = intake.post(
        a, "reschedule", {"slot_id": intake.all_alternatives(a)[0]["slot_id"]}, intake.me
    )
    assert first.status_code == 200, first.text
    mine = first.json()
    # Two other claims: one takes our cancelled slot, the other a slot we could have had.
    intake.register(intake.as_("benefits_officer"))
    intake.register(intake.as_("benefits_officer"))
    intake.slot(home, dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))  # in the past
    withdrawn = intake.slot(home, _local(D1, 17))
    intake.sql("UPDATE slots SET state = 'withdrawn' WHERE id = :s", s=withdrawn)

    def check() -> list[dict[str, Any]]:
        offered = {s["slot_id"]: s for s in intake.all_alternatives(mine)}
        reasons: set[str] = set()
        for (slot_id,) in intake.sql("SELECT id FROM slots ORDER BY starts_at, id"):
            if str(slot_id) in offered:
                continue
            r = intake.post(mine, "reschedule", {"slot_id": str(slot_id)}, intake.me)
            reasons.add(_problem(r, 409)["reason"])
        assert {"out_of_reach", "current_slot", "closed", "in_the_past"} <= reasons
        assert {"cancelled_by_claimant", "beyond_deadline", "already_booked"} <= reasons
        return sorted(offered.values(), key=lambda s: s["starts_at"])

    for _ in range(3):
        offered = check()
        assert any(s["office_code"] == "ZAA" for s in offered)
        target = offered[-1]  # the latest: the claimant stays before the cutoff
        r = intake.post(mine, "reschedule", {"slot_id": target["slot_id"]}, intake.me)
        assert r.status_code == 200, r.text
        mine = r.json()
        assert mine["slot_id"] == target["slot_id"]


# --- item 9: paged, filterable alternatives; a 409 says why ---------------------------------


def test_alternatives_are_paged_and_filtered(make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    coach = intake.coach()
    intake.agenda(
        coach, (D1.weekday(), "09:00", "12:00", "AMS"), (D2.weekday(), "09:00", "15:00", "AMS")
    )
    a = intake.register()  # D1 09:00
    everything = intake.all_alternatives(a)
    assert len(everything) == 2 + 6
    page = intake.alternatives(a, limit=2, offset=1).json()
    assert (page["total"], page["limit"], page["offset"]) == (8, 2, 1)
    assert page["items"] == everything[1:3]

    d2 = intake.all_alternatives(a, from_date=D2.isoformat())
    assert {local_day(_starts(s)) for s in d2} == {D2}
    d1 = intake.all_alternatives(a, to_date=D1.isoformat())
    assert [_starts(s) for s in d1] == [_local(D1, 10), _local(D1, 11)]
    afternoon = intake.all_alternatives(a, part_of_day="afternoon")
    assert [_starts(s) for s in afternoon] == [_local(D2, 12), _local(D2, 13), _local(D2, 14)]
    assert all(_starts(s).astimezone(LOCAL_TZ).hour >= 12 for s in afternoon)
    morning = intake.all_alternatives(a, part_of_day="morning", from_date=D2.isoformat())
    assert [_starts(s) for s in morning] == [_local(D2, 9), _local(D2, 10), _local(D2, 11)]

    def bad(field: str, **query: Any) -> None:
        body = _problem(intake.alternatives(a, **query), 422)
        assert {e["field"] for e in body["errors"]} == {field}, body

    bad("part_of_day", part_of_day="evening")
    bad("from_date", from_date="tomorrow")
    bad("to_date", to_date="2026-13-01")
    bad("to_date", from_date=D2.isoformat(), to_date=D1.isoformat())
    bad("limit", limit=0)
    bad("limit", limit=201)
    bad("offset", offset=-1)


def test_a_409_for_a_slot_says_why(make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    coach = intake.coach()
    intake.agenda(coach, *[(d, "09:00", "12:00", "AMS") for d in WEEKDAYS])
    a = intake.register()
    b = intake.register(intake.as_("benefits_officer"))
    past = intake.slot(coach, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    beyond = intake.sql(
        "SELECT id FROM slots WHERE starts_at > :d ORDER BY starts_at LIMIT 1",
        d=_local(dt.date.fromisoformat(a["deadline"]) + dt.timedelta(days=1), 0),
    )[0][0]

    def reason(slot_id: Any) -> str:
        body = _problem(intake.post(a, "reschedule", {"slot_id": str(slot_id)}, intake.me), 409)
        assert body["type"] == "urn:ww:problem:slot-unavailable"
        assert body["slot_id"] == str(slot_id)
        assert body["detail"]
        return str(body["reason"])

    assert reason(b["slot_id"]) == "already_booked"
    assert reason(past) == "in_the_past"
    assert reason(beyond) == "beyond_deadline"
    assert reason(a["slot_id"]) == "current_slot"
    intake.sql("UPDATE slots SET state = 'withdrawn' WHERE id = :s", s=uuid.UUID(b["slot_id"]))
    intake.post(b, "cancel-by-service", {"reason_code": "planning_error"}, intake.admin)
    assert reason(b["slot_id"]) == "closed"
    missing = _problem(intake.post(a, "reschedule", {"slot_id": str(uuid.uuid4())}, intake.me), 422)
    assert missing["errors"][0]["field"] == "slot_id"


def test_a_slot_taken_while_rescheduling_is_just_taken(make_intake: Callable[..., Intake]) -> None:
    """The other booking commits between our check and our write: `just_taken`, not booked."""
    intake = make_intake()
    coach = intake.coach()
    intake.agenda(coach, (D1.weekday(), "09:00", "12:00", "AMS"))
    a, b = intake.register(), intake.register(intake.as_("benefits_officer"))
    target = uuid.UUID(intake.all_alternatives(a)[0]["slot_id"])
    admin = intake.as_("admin", sub="admin-1")
    outcome: list[Any] = []

    with serve(intake.client.app) as base, intake.container.uow() as holder:
        other = holder.session.get(Appointment, uuid.UUID(b["id"]))
        assert other is not None
        other.slot_id = target
        holder.session.flush()  # holds the slot's unique-index entry, not yet committed

        def attempt() -> None:  # over HTTP, as a client would
            r = httpx.post(
                f"{base}/v1/appointments/{a['id']}/reschedule",
                json={"slot_id": str(target)},
                headers=admin,
                timeout=30,
            )
            outcome.append(r.json().get("reason", "won") if r.status_code == 409 else r.status_code)

        t = threading.Thread(target=attempt)
        t.start()
        time.sleep(1.0)  # the attempt has checked the slot and waits on the index entry
        holder.commit()
        t.join(30)
    assert outcome == ["just_taken"]


def test_an_illness_pause_past_the_deadline_books_after_it_keeping_the_deadline(
    make_intake: Callable[..., Intake],
) -> None:
    intake = make_intake(illness_cancel_pause_days=10)
    coach = intake.coach()
    intake.agenda(coach, *[(d, "09:00", "12:00", "AMS") for d in WEEKDAYS])
    a = intake.register()
    intake.post(a, "cancel", {"reason_code": "illness"}, intake.me)
    resume = TODAY + dt.timedelta(days=10)
    assert resume > dt.date.fromisoformat(a["deadline"])
    offered = intake.all_alternatives(a)
    assert offered
    assert min(local_day(_starts(s)) for s in offered) >= resume
    assert intake.plan()["booked"] == 1
    booked = intake.latest(a["claim_id"])
    assert local_day(_starts(booked)) >= resume
    assert booked["deadline"] == a["deadline"]  # missed: the KPIs count it as late
