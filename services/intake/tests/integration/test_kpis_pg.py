"""Week-one KPIs on PostgreSQL: the endpoint and the Prometheus gauges (issue 3, item 10).

A small data set in ISO weeks 2025-W18 (28 April - 4 May) and 2025-W19 (5 - 11 May), with
'today' fixed at Friday 9 May 2025, 12:00 local. Calendar facts used by hand below:
Monday 5 May (Liberation Day) is no working day, and AMS is closed on Wednesday 7 May
(an office closure), RTD is not. So for AMS a registration on Monday 28 April has its
deadline on Tuesday 6 May (29, 30, 1, 2, 6), one on Friday 2 May on Tuesday 13 May
(6, 8, 9, 12, 13); for RTD Friday 2 May gives Monday 12 May (6, 7, 8, 9, 12).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from intake.agendas.models import Slot
from intake.agendas.rules import local_to_utc
from intake.appointments.models import (
    BOOKED,
    COMPLETED,
    NO_SHOW,
    Appointment,
    AppointmentCompletion,
    CapacityShortfall,
)
from intake.calendar.models import Closure
from intake.claims.models import Claim
from intake.kpis import metrics as kpi_metrics
from intake.kpis import router as kpi_router
from shared.clock import local_today
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.pg import PgDatabases
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

D = dt.date
NOW = local_to_utc(D(2025, 5, 9), dt.time(12))
LATER = local_to_utc(D(2025, 6, 2), dt.time(12))
URL = "/v1/kpis/week-one"
RANGE = {"from_week": "2025-W18", "to_week": "2025-W19"}


def _at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hh, mm))


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random
    now: dt.datetime = NOW

    def as_(self, *roles: str, office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=f"user-{uuid.uuid4()}", office=office))

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin")

    def kpis(self, headers: dict[str, str] | None = None, /, **params: str) -> httpx.Response:
        return self.client.get(URL, params=params, headers=headers or self.admin)

    def ok(self, **params: str) -> dict[str, Any]:
        r = self.kpis(**params)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path) -> Iterator[Intake]:
    c = build_container(
        "intake",
        database_url=pg.create("intake"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    app = build_app(c, manage_lifecycle=False)
    it = Intake(c, TestClient(app), Tokens(state_dir / "dev-jwt-key.pem"), random.Random(3))
    app.dependency_overrides[kpi_router.clock] = lambda: it.now
    yield it
    c.stop()


# The data set ------------------------------------------------------------------------------


class Seed:
    """Rows as registration, booking, no-shows, completion and shortfalls leave them."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.s = session
        self.rng = rng

    def claim(
        self, office: str, registered_at: dt.datetime, first_ww_day: dt.date | None = None
    ) -> uuid.UUID:
        claim_id = uuid.uuid4()
        self.s.add(
            Claim(
                id=claim_id,
                bsn_ciphertext=b"x",
                bsn_hash=uuid.uuid4().hex,
                status="open",
                first_ww_day=first_ww_day or registered_at.date() - dt.timedelta(days=3),
                postcode="1011 AB",
                office_code=office,
                channel="staff",
                registered_by="test",
                registered_at=registered_at,
            )
        )
        self.s.flush()
        return claim_id

    def appointment(
        self,
        claim_id: uuid.UUID,
        starts_at: dt.datetime,
        status: str,
        *,
        office: str = "AMS",
        within_deadline: bool = True,
    ) -> None:
        ends_at = starts_at + dt.timedelta(minutes=45)
        coach_id = uuid.uuid4()  # one coach per intake: slots never collide
        slot = Slot(
            id=uuid.uuid4(),
            coach_id=coach_id,
            office_code=office,
            starts_at=starts_at,
            ends_at=ends_at,
            state="open",
        )
        self.s.add(slot)
        self.s.flush()
        appointment = Appointment(
            id=uuid.uuid4(),
            claim_id=claim_id,
            slot_id=slot.id,
            coach_id=coach_id,
            office_code=office,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            deadline=starts_at.date(),
            booked_at=starts_at - dt.timedelta(days=2),
        )
        self.s.add(appointment)
        self.s.flush()
        if status == COMPLETED:
            self.s.add(
                AppointmentCompletion(
                    appointment_id=appointment.id,
                    held_at=starts_at,
                    # As stored: relative to the appointment's own deadline, which the KPI
                    # ignores (a summons has a deadline of its own).
                    within_deadline=within_deadline,
                    explained_topics=["job_search_obligation"],
                    obligation_regime="regular",
                    agreed_next_step="apply",
                    completed_by="coach",
                    completed_at=starts_at + dt.timedelta(hours=1),
                )
            )
            self.s.flush()

    def shortfall(self, claim_id: uuid.UUID, office: str, detected_at: dt.datetime) -> None:
        self.s.add(
            CapacityShortfall(
                id=uuid.uuid4(),
                claim_id=claim_id,
                office_code=office,
                deadline=detected_at.date(),
                detected_at=detected_at,
            )
        )


def seed(intake: Intake) -> None:
    """Eight claims in W18, two in W19, one in W17 (see the expectations in each test)."""
    with Session(intake.container.engine) as s:
        x = Seed(s, intake.rng)
        s.add(Closure(day=D(2025, 5, 7), office_code="AMS", reason="office move", created_by="t"))
        # W17: Sunday 27 April, 23:00 local (21:00 UTC); claim and shortfall both outside.
        a0 = x.claim("AMS", _utc(2025, 4, 27, 21, 0))
        x.shortfall(a0, "AMS", _utc(2025, 4, 27, 21, 0))
        # A1: 22:30 UTC on Sunday is Monday 28 April 00:30 local: W18. Held Wed 30 April.
        a1 = x.claim("AMS", _utc(2025, 4, 27, 22, 30), first_ww_day=D(2025, 4, 20))
        x.appointment(a1, _at(D(2025, 4, 30), 10), COMPLETED)
        # A2: Monday 28 April, held Wednesday 30 April (2 working days, in time).
        a2 = x.claim("AMS", _at(D(2025, 4, 28), 11))
        x.appointment(a2, _at(D(2025, 4, 30), 11), COMPLETED)
        # A3: no-show on 30 April, summons held Thursday 8 May: after the deadline of 6 May,
        # although the completion row says within (its summons deadline). 6 working days.
        a3 = x.claim("AMS", _at(D(2025, 4, 28), 14))
        x.appointment(a3, _at(D(2025, 4, 30), 14), NO_SHOW)
        x.appointment(a3, _at(D(2025, 5, 8), 10), COMPLETED, within_deadline=True)
        # A4: never booked (a shortfall in W18 and another, Monday 5 May 00:30 local, in W19).
        a4 = x.claim("AMS", _at(D(2025, 4, 28), 15))
        x.shortfall(a4, "AMS", _at(D(2025, 4, 28), 15))
        x.shortfall(a4, "AMS", _utc(2025, 5, 4, 22, 30))
        # A5: Friday 2 May, held Thursday 8 May at neighbour office HVS (2 working days for
        # AMS: 6 and 8 May); the claim's office counts.
        a5 = x.claim("AMS", _at(D(2025, 5, 2), 12))
        x.appointment(a5, _at(D(2025, 5, 8), 11), COMPLETED, office="HVS")
        # A6: booked for Monday 12 May; deadline 13 May is not past: pending.
        a6 = x.claim("AMS", _at(D(2025, 5, 2), 13))
        x.appointment(a6, _at(D(2025, 5, 12), 10), BOOKED)
        # A7: first WW day Friday 9 May is later: deadline 16 May; held 9 May (0 working days
        # after the day the deadline counts from; 3 after registration).
        a7 = x.claim("AMS", _at(D(2025, 5, 2), 14), first_ww_day=D(2025, 5, 9))
        x.appointment(a7, _at(D(2025, 5, 9), 9), COMPLETED)
        # A8 (W19): registered 00:30 local on Monday 5 May, no-show on Thursday 8 May.
        a8 = x.claim("AMS", _utc(2025, 5, 4, 22, 30))
        x.appointment(a8, _at(D(2025, 5, 8), 14), NO_SHOW)
        # R1: RTD, Friday 2 May, held Thursday 8 May (6, 7, 8: 3 working days at RTD).
        r1 = x.claim("RTD", _at(D(2025, 5, 2), 10))
        x.appointment(r1, _at(D(2025, 5, 8), 10), COMPLETED, office="RTD")
        # R2 (W19): RTD, Tuesday 6 May, a shortfall; deadline 13 May: pending.
        r2 = x.claim("RTD", _at(D(2025, 5, 6), 10))
        x.shortfall(r2, "RTD", _at(D(2025, 5, 6), 10))
        s.commit()


def _week(weeks: list[dict[str, Any]], week: str) -> dict[str, Any]:
    (found,) = [w for w in weeks if w["week"] == week]
    return found


def _office(body: dict[str, Any], code: str) -> list[dict[str, Any]]:
    (found,) = [o["weeks"] for o in body["offices"] if o["office_code"] == code]
    return found


def _fields(r: httpx.Response) -> set[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "urn:ww:problem:validation-error"
    return {e["field"] for e in body["errors"]}


# The figures -------------------------------------------------------------------------------


def test_figures_per_office_and_national(intake: Intake) -> None:
    seed(intake)
    body = intake.ok(**RANGE)
    assert (body["from_week"], body["to_week"], body["as_of"]) == (
        "2025-W18",
        "2025-W19",
        "2025-05-09",
    )
    assert body["deadline_working_days"] == 5
    assert len(body["offices"]) == 39  # every office, zeros where nothing happened

    ams18 = _week(_office(body, "AMS"), "2025-W18")
    assert (ams18["week_start"], ams18["week_end"]) == ("2025-04-28", "2025-05-04")
    assert ams18["registrations"] == 7  # A1-A7 (A0 is W17, A8 is W19 by local time)
    assert ams18["intakes_held"] == 5  # A1, A2, A3, A5, A7
    assert ams18["held_within_deadline"] == 4  # A3 was late
    assert (ams18["due"], ams18["pending"]) == (6, 1)  # + A4 missed; A6 pending
    assert ams18["within_deadline_share"] == pytest.approx(4 / 6)
    assert ams18["median_working_days_to_intake"] == 2  # [0, 2, 2, 2, 6]
    assert (ams18["completed_appointments"], ams18["no_shows"]) == (5, 1)
    assert ams18["no_show_rate"] == pytest.approx(1 / 6)
    assert ams18["capacity_shortfalls"] == 1

    ams19 = _week(_office(body, "AMS"), "2025-W19")
    assert (ams19["registrations"], ams19["due"], ams19["pending"]) == (1, 0, 1)
    assert ams19["within_deadline_share"] is None
    assert ams19["median_working_days_to_intake"] is None
    assert ams19["no_show_rate"] == 1.0
    assert ams19["capacity_shortfalls"] == 1  # 00:30 local on Monday 5 May

    rtd18 = _week(_office(body, "RTD"), "2025-W18")
    assert (rtd18["registrations"], rtd18["held_within_deadline"], rtd18["due"]) == (1, 1, 1)
    assert rtd18["within_deadline_share"] == 1.0
    assert rtd18["median_working_days_to_intake"] == 3  # RTD is open on 7 May
    assert rtd18["no_show_rate"] == 0.0
    rtd19 = _week(_office(body, "RTD"), "2025-W19")
    assert (rtd19["registrations"], rtd19["pending"], rtd19["capacity_shortfalls"]) == (1, 1, 1)

    nl18 = _week(body["national"], "2025-W18")
    assert nl18["registrations"] == 8
    assert (nl18["intakes_held"], nl18["held_within_deadline"], nl18["due"]) == (6, 5, 7)
    assert nl18["within_deadline_share"] == pytest.approx(5 / 7)
    # [0, 2, 2, 2, 3, 6]: A7 counts from its first WW day (2.5 when counted from registration)
    assert nl18["median_working_days_to_intake"] == 2
    assert nl18["no_show_rate"] == pytest.approx(1 / 7)
    assert nl18["capacity_shortfalls"] == 1
    nl19 = _week(body["national"], "2025-W19")
    assert (nl19["registrations"], nl19["pending"], nl19["capacity_shortfalls"]) == (2, 2, 2)
    assert nl19["no_show_rate"] == 1.0

    utr = _office(body, "UTR")
    assert [w["registrations"] for w in utr] == [0, 0]
    assert utr[0]["within_deadline_share"] is None


def test_pending_claims_count_as_missed_after_their_deadline(intake: Intake) -> None:
    seed(intake)
    intake.now = LATER  # Monday 2 June: every deadline has passed
    body = intake.ok(**RANGE)
    ams18 = _week(_office(body, "AMS"), "2025-W18")
    assert (ams18["due"], ams18["pending"]) == (7, 0)
    assert ams18["within_deadline_share"] == pytest.approx(4 / 7)
    assert _week(_office(body, "AMS"), "2025-W19")["within_deadline_share"] == 0.0
    nl18 = _week(body["national"], "2025-W18")
    assert nl18["within_deadline_share"] == pytest.approx(5 / 8)
    assert _week(body["national"], "2025-W19")["due"] == 2


def test_default_range_is_eight_weeks_up_to_the_current_one(intake: Intake) -> None:
    body = intake.ok()
    assert (body["from_week"], body["to_week"]) == ("2025-W12", "2025-W19")
    assert [w["week"] for w in body["national"]][:2] == ["2025-W12", "2025-W13"]
    assert len(body["national"]) == 8
    only_from = intake.ok(from_week="2025-W19")
    assert [w["week"] for w in only_from["national"]] == ["2025-W19"]


# Access ----------------------------------------------------------------------------------------


def test_team_leads_and_coaches_see_national_and_their_own_office(intake: Intake) -> None:
    seed(intake)
    lead = intake.as_("team_lead", office="AMS")
    body = intake.kpis(lead, **RANGE).json()
    assert [o["office_code"] for o in body["offices"]] == ["AMS"]
    assert _week(body["national"], "2025-W18")["registrations"] == 8
    assert [o["office_code"] for o in intake.kpis(lead, office_code="AMS").json()["offices"]] == [
        "AMS"
    ]
    r = intake.kpis(lead, office_code="RTD")
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "urn:ww:problem:forbidden"

    coach = intake.as_("coach", office="RTD")
    body = intake.kpis(coach, **RANGE).json()
    assert [o["office_code"] for o in body["offices"]] == ["RTD"]
    assert intake.kpis(coach, office_code="AMS").status_code == 403
    # Without an office in the token: the national figures only.
    nowhere = intake.kpis(intake.as_("team_lead"), **RANGE).json()
    assert nowhere["offices"] == []
    assert intake.kpis(intake.as_("coach"), office_code="AMS").status_code == 403


def test_admins_and_benefits_officers_see_every_office(intake: Intake) -> None:
    officer = intake.as_("benefits_officer")
    assert len(intake.kpis(officer).json()["offices"]) == 39
    one = intake.kpis(officer, office_code="RTD").json()
    assert [o["office_code"] for o in one["offices"]] == ["RTD"]
    assert [o["office_code"] for o in intake.ok(office_code="AMS")["offices"]] == ["AMS"]


@pytest.mark.parametrize("role", ["claimant", "triage_analyst"])
def test_other_roles_are_403(intake: Intake, role: str) -> None:
    r = intake.kpis(intake.as_(role, office="AMS"))
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_no_token_is_401(intake: Intake) -> None:
    r = intake.client.get(URL)
    assert r.status_code == 401
    assert r.json()["type"] == "urn:ww:problem:unauthorized"


# Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from_week": "2025-18"}, "from_week"),
        ({"from_week": "2025W18"}, "from_week"),
        ({"to_week": "2025-W1"}, "to_week"),
        ({"from_week": "2025-W53"}, "from_week"),  # 2025 has 52 weeks
        ({"from_week": "2025-W00"}, "from_week"),
        ({"from_week": "2025-W19", "to_week": "2025-W18"}, "to_week"),
        ({"from_week": "2024-W01", "to_week": "2025-W03"}, "to_week"),  # 55 weeks
        ({"office_code": "XYZ"}, "office_code"),
        ({"office_code": "ABCDEFGHIJK"}, "office_code"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    intake: Intake, params: dict[str, str], field: str
) -> None:
    assert _fields(intake.kpis(**params)) == {field}


def test_a_full_iso_year_is_allowed(intake: Intake) -> None:
    body = intake.ok(from_week="2026-W01", to_week="2026-W53")
    assert len(body["national"]) == 53


# Prometheus --------------------------------------------------------------------------------


def _gauges(intake: Intake) -> dict[tuple[str, str, str], float]:
    r = intake.client.get("/metrics")
    assert r.status_code == 200
    values: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(r.text):
        if family.name.startswith("ww_intake_week_one_"):
            for sample in family.samples:
                if "office" in sample.labels:
                    key = (sample.name, sample.labels["office"], sample.labels["week"])
                    values[key] = sample.value
    return values


def _collector(intake: Intake) -> kpi_metrics.WeekOneCollector:
    collector = intake.container.state[kpi_metrics.STATE_KEY]
    assert isinstance(collector, kpi_metrics.WeekOneCollector)
    return collector


def test_metrics_expose_the_current_and_previous_week(intake: Intake) -> None:
    seed(intake)
    _collector(intake).clock = lambda: NOW  # current week 2025-W19, previous 2025-W18
    g = _gauges(intake)
    p = "ww_intake_week_one_"
    assert g[(p + "registrations", "national", "previous")] == 8
    assert g[(p + "registrations", "national", "current")] == 2
    assert g[(p + "registrations", "AMS", "previous")] == 7
    assert g[(p + "registrations", "UTR", "current")] == 0
    assert g[(p + "intakes_held", "national", "previous")] == 6
    assert g[(p + "pending", "AMS", "current")] == 1
    assert g[(p + "within_deadline_ratio", "AMS", "previous")] == pytest.approx(4 / 6)
    assert g[(p + "within_deadline_ratio", "national", "previous")] == pytest.approx(5 / 7)
    assert (
        g[(p + "median_working_days_to_intake", "national", "previous")] == 2
    )  # A7 from its first WW day
    assert g[(p + "median_working_days_to_intake", "RTD", "previous")] == 3
    assert g[(p + "no_show_ratio", "national", "previous")] == pytest.approx(1 / 7)
    assert g[(p + "no_show_ratio", "AMS", "current")] == 1.0
    assert g[(p + "capacity_shortfalls", "national", "current")] == 2
    assert g[(p + "capacity_shortfalls", "RTD", "current")] == 1
    # Undefined figures have no sample (nothing due in the current week yet).
    assert (p + "within_deadline_ratio", "national", "current") not in g
    assert (p + "median_working_days_to_intake", "UTR", "previous") not in g
    text = intake.client.get("/metrics").text
    assert "# TYPE ww_intake_week_one_registrations gauge" in text
    assert "ww_intake_week_one_kpis_computed_timestamp_seconds" in text


def test_metrics_are_cached_for_the_configured_time(intake: Intake) -> None:
    collector = _collector(intake)
    collector.clock = lambda: NOW
    assert collector.cache_seconds == 300  # the default setting
    key = ("ww_intake_week_one_registrations", "UTR", "current")
    assert _gauges(intake)[key] == 0
    computed = collector.computations
    with Session(intake.container.engine) as s:
        Seed(s, intake.rng).claim("UTR", _at(D(2025, 5, 6), 9))
        s.commit()
    assert _gauges(intake)[key] == 0  # served from the cache
    assert collector.computations == computed
    collector.cache_seconds = 0
    assert _gauges(intake)[key] == 1
    assert collector.computations == computed + 1


def test_cache_seconds_come_from_the_settings(pg: PgDatabases, state_dir: Path) -> None:
    c = build_container(
        "intake",
        database_url=pg.create("intake"),
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
        kpi_metrics_cache_seconds=0,
    )
    try:
        assert c.state[kpi_metrics.STATE_KEY].cache_seconds == 0
    finally:
        c.stop()


# Through the API: a registration without agendas is a shortfall ------------------------------


def test_a_registration_without_capacity_shows_as_a_shortfall(intake: Intake) -> None:
    intake.now = dt.datetime.now(dt.UTC)
    _collector(intake).clock = lambda: intake.now
    body = {
        "bsn": synthetic_bsn(intake.rng),
        "given_name": "Noor",
        "family_name": "Smit",
        "date_of_birth": "1990-02-02",
        "first_ww_day": local_today().isoformat(),
        "postcode": "1011 AB",  # AMS; no coach has an agenda anywhere
    }
    r = intake.client.post("/v1/claims", json=body, headers=intake.as_("benefits_officer"))
    assert r.status_code == 201, r.text
    kpis = intake.ok(office_code="AMS")
    ams_now = _office(kpis, "AMS")[-1]
    assert (ams_now["registrations"], ams_now["pending"], ams_now["capacity_shortfalls"]) == (
        1,
        1,
        1,
    )
    assert kpis["national"][-1]["capacity_shortfalls"] == 1
    g = _gauges(intake)
    assert g[("ww_intake_week_one_capacity_shortfalls", "AMS", "current")] == 1
    assert g[("ww_intake_week_one_registrations", "national", "current")] == 1
