"""Property-based booking test on PostgreSQL through the API (issue 3 acceptance).

Hypothesis draws random agendas (coaches at the home office AMS, at ZAA 25 minutes away and
at ALK 49 minutes away, outside the 45-minute reach; random blocks on random weekdays) and a
random number of arrivals. Every arrival is registered through `POST /v1/claims`. The
outcome is then checked against brute force over the generated slots:

- no slot holds two active appointments, and no coach two overlapping ones;
- every booking is in reach, in the future and on or before its deadline;
- bookings = min(arrivals, feasible slots), shortfalls = the rest: a shortfall only when no
  feasible slot was left, and never a booking beyond the deadline instead;
- home-office slots are used before neighbour slots, and the earliest first within each.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from intake.agendas.rules import local_day
from intake.calendar.rules import WorkingDays
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support.intake import add_roster_coach, intake_on_pg
from tests.support.pg import PgDatabases
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

OFFICES = {"AMS": 0, "ZAA": 25, "ALK": 49}  # travel minutes from AMS; ALK is out of reach

block = st.tuples(
    st.integers(0, 4),  # weekday
    st.integers(8, 15),  # start hour
    st.sampled_from([60, 90, 120, 180]),  # length in minutes
)
coach = st.tuples(st.sampled_from(sorted(OFFICES)), st.lists(block, min_size=1, max_size=2))


def _blocks(office: str, drawn: list[tuple[int, int, int]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for weekday, hour, minutes in drawn:
        start = dt.time(hour)
        end = (
            dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)
        ).time()
        # Blocks of one coach on one weekday must not overlap (the API refuses that).
        if any(
            b["weekday"] == weekday
            and b["start_time"] < end.isoformat()
            and start.isoformat() < b["end_time"]
            for b in out
        ):
            continue
        out.append(
            {
                "weekday": weekday,
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "office_code": office,
            }
        )
    return out


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(coaches=st.lists(coach, min_size=0, max_size=4), arrivals=st.integers(1, 14))
def test_random_agendas_and_arrivals_against_brute_force(
    pg: PgDatabases,
    tmp_path: Path,
    coaches: list[tuple[str, list[tuple[int, int, int]]]],
    arrivals: int,
) -> None:
    state_dir = tmp_path / uuid.uuid4().hex
    state_dir.mkdir()
    c = intake_on_pg(pg, state_dir)
    try:
        client = TestClient(build_app(c, manage_lifecycle=False))
        tokens = Tokens(state_dir / "dev-jwt-key.pem")
        for office, drawn in coaches:
            coach_id = add_roster_coach(c.engine, office, name="Coach", contract_hours=36.0)
            lead = Tokens.header(tokens.user("team_lead", sub=f"lead-{office}", office=office))
            r = client.put(
                f"/v1/coaches/{coach_id}/agenda",
                json={"blocks": _blocks(office, drawn)},
                headers=lead,
            )
            assert r.status_code == 200, r.text

        now = dt.datetime.now(dt.UTC)
        today = local_day(now)
        deadline = WorkingDays().add_working_days(today, 5)
        with c.engine.connect() as conn:
            slots = conn.execute(
                text("SELECT id, coach_id, office_code, starts_at, ends_at FROM slots")
            ).all()
        feasible = sorted(
            (
                s
                for s in slots
                if OFFICES[s.office_code] <= 45
                and s.starts_at > now + dt.timedelta(seconds=30)
                and local_day(s.starts_at) <= deadline
            ),
            key=lambda s: (OFFICES[s.office_code], s.starts_at, str(s.id)),
        )

        rng = random.Random(len(slots) * 31 + arrivals)
        officer = Tokens.header(tokens.user("benefits_officer", sub="officer"))
        for _ in range(arrivals):
            body = {
                "bsn": synthetic_bsn(rng),
                "given_name": "Noor",
                "family_name": "Smit",
                "date_of_birth": "1990-02-02",
                "first_ww_day": today.isoformat(),
                "postcode": "1011 AB",
            }
            r = client.post("/v1/claims", json=body, headers=officer)
            assert r.status_code == 201, r.text

        with c.engine.connect() as conn:
            booked = conn.execute(
                text(
                    "SELECT a.slot_id, a.coach_id, a.office_code, a.starts_at, a.ends_at, a.deadline "
                    "FROM appointments a WHERE a.status IN ('booked', 'rescheduled')"
                )
            ).all()
            shortfalls = conn.execute(text("SELECT count(*) FROM capacity_shortfalls")).scalar_one()
        # No double booking: one appointment per slot, no overlap per coach.
        assert len({b.slot_id for b in booked}) == len(booked)
        by_coach: dict[uuid.UUID, list[Any]] = {}
        for b in booked:
            by_coach.setdefault(b.coach_id, []).append(b)
        for rows in by_coach.values():
            rows.sort(key=lambda b: b.starts_at)
            assert all(x.ends_at <= y.starts_at for x, y in itertools.pairwise(rows))
        # In reach, in the future, before the deadline.
        for b in booked:
            assert OFFICES[b.office_code] <= 45
            assert b.starts_at > now
            assert b.deadline == deadline
            assert local_day(b.starts_at) <= deadline
        # Brute force: as many bookings as feasible slots allow; shortfalls exactly the rest.
        assert len(booked) == min(arrivals, len(feasible))
        assert shortfalls == arrivals - len(booked)
        # The booked slots are the first ones in booking order (home first, earliest first).
        expected = {s.id for s in feasible[: len(booked)]}
        assert {b.slot_id for b in booked} == expected
    finally:
        c.stop()
