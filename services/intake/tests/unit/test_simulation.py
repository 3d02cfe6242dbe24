"""The week-one simulation (issue 3, item 12): figures, reproducibility, a brute-force check of
every booking against the service's rules, and the `ww simulate intake` command.

Dates: June 2026 has no holidays; Monday 27 April 2026 is King's Day, 5 May a Tuesday,
14 May Ascension Day and 25 May Whit Monday; Christmas 2026 falls on a Friday.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from intake.agendas.rules import local_day
from intake.calendar.rules import WorkingDays
from intake_simulation import SimulationConfig, SimulationResult, simulate
from intake_simulation.config import next_monday
from intake_simulation.engine import _reach
from intake_simulation.report import share
from intake_simulation.world import Slot, apportion, make_coaches, part_time_weekdays
from shared.reference import load_offices
from ww.cli import app

JUNE = dt.date(2026, 6, 1)
KINGS_DAY = dt.date(2026, 4, 27)
OFFICES = load_offices()


def _run(**kw: object) -> SimulationResult:
    kw.setdefault("start", JUNE)
    return simulate(SimulationConfig(**kw))  # type: ignore[arg-type]


# Figures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "scale"),
    [(JUNE, {"inflow": 100, "coaches": 40}), (KINGS_DAY, {"inflow": 30, "coaches": 12})],
)
def test_capacity_above_demand_holds_every_intake_in_week_one(
    start: dt.date, scale: dict[str, int]
) -> None:
    # 40 coaches give about 250 slots a working day for 100 registrations (the second case:
    # the first 12 offices, through King's Day, 5 May, Ascension Day and Whit Monday).
    offices = None if scale["coaches"] == 40 else 12
    result = _run(days=20, seed=1, start=start, office_limit=offices, **scale)
    total = result.total
    assert total.registrations > 500
    assert total.slots > 2 * total.registrations
    assert total.week_one_share == 1.0
    assert total.held_in_week_one == total.registrations
    assert total.shortfalls == 0
    assert result.unplanned_at_end == 0
    assert all(w.figures.week_one_share == 1.0 for w in result.weeks)
    assert all(o.figures.shortfalls == 0 for o in result.by_office)
    # King's Day is no arrival day: the run starts the day after.
    assert result.start == (dt.date(2026, 4, 28) if start == KINGS_DAY else JUNE)


def test_capacity_equal_to_demand_still_makes_week_one() -> None:
    # One office, one full-time coach: 7 slots a day for exactly 7 registrations a day.
    result = _run(days=20, inflow=7, coaches=1, office_limit=1, part_time_share=0, arrivals="fixed")
    assert result.total.registrations == result.total.slots == 140
    assert result.total.week_one_share == 1.0
    assert result.total.shortfalls == 0


def test_a_shortage_misses_week_one_and_reports_shortfalls() -> None:
    result = _run(days=10, inflow=150, coaches=10, office_limit=15, seed=1)
    total = result.total
    assert total.slots < total.registrations
    assert total.week_one_share is not None
    assert total.week_one_share < 1
    assert total.shortfalls > 0
    assert total.shortfalls == sum(1 for c in result.claims if c.shortfall)  # no summonses
    assert total.utilisation is not None
    assert total.utilisation > 0.95
    # A shortfall is never held in week one; a claim booked late is held after its deadline.
    for c in result.claims:
        if c.shortfall:
            assert c.held_on is None or c.held_on > c.deadline
    late = [c for c in result.claims if c.booked_late and c.held_on is not None]
    assert late
    assert all(c.held_on is not None and c.held_on > c.deadline for c in late)
    assert result.by_office[0].figures.shortfalls >= result.by_office[-1].figures.shortfalls


def test_overdue_claims_are_planned_within_one_more_deadline_period() -> None:
    # The planning run: a claim whose deadline has passed gets the earliest slot up to the
    # 5th working day after the run's day, and keeps its missed deadline.
    result = _run(days=10, inflow=150, coaches=10, office_limit=15, seed=3)
    wd = WorkingDays()
    overdue = [a for a in result.attempts if a.overdue]
    assert overdue
    for a in overdue:
        run_day = local_day(a.after)
        claim = result.claims[a.claim_no]
        assert claim.deadline < run_day
        assert a.deadline == wd.add_working_days(run_day, 5)
    late = [
        b
        for b in result.bookings
        if b.purpose == "intake" and result.claims[b.claim_no].booked_late
    ]
    assert late
    for b in late:
        claim = result.claims[b.claim_no]
        assert b.deadline == claim.deadline  # the missed deadline is kept
        assert result.slots[b.slot_no].day > claim.deadline


@pytest.mark.parametrize(
    "scale",
    [
        {"inflow": 60, "coaches": 30},  # room for every summons
        {"inflow": 100, "coaches": 6, "office_limit": 10},  # summonses hit shortfalls too
    ],
)
def test_no_shows_are_summoned_within_three_working_days_and_flagged_at_the_second(
    scale: dict[str, int],
) -> None:
    result = _run(days=10, no_show_rate=0.3, seed=4, **scale)
    wd = WorkingDays()
    assert result.total.no_shows > 0
    by_claim: dict[int, list[int]] = {}
    for i, b in enumerate(result.bookings):
        by_claim.setdefault(b.claim_no, []).append(i)
    for claim_no, indexes in by_claim.items():
        bookings = [result.bookings[i] for i in indexes]
        claim = result.claims[claim_no]
        for first, summons in itertools.pairwise(bookings):
            assert first.outcome == "no_show"
            assert summons.purpose == "summons"
            missed = result.slots[first.slot_no].day
            assert summons.deadline == wd.add_working_days(missed, 3)
            # Within the 3 days, unless it found no slot and the planning run booked it late.
            day = result.slots[summons.slot_no].day
            assert day <= summons.deadline or local_day(summons.booked_at) > summons.deadline
        no_shows = sum(1 for b in bookings if b.outcome == "no_show")
        assert claim.no_shows == no_shows
        assert claim.flagged == (no_shows >= 2)
        if claim.flagged:
            assert claim.held_on is None
            assert len(bookings) == 2
    assert result.flagged == sum(1 for c in result.claims if c.flagged) > 0


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    kw: dict[str, object] = {"days": 5, "inflow": 60, "coaches": 6, "no_show_rate": 0.1}
    kw["office_limit"] = 8
    a, b = _run(seed=7, **kw), _run(seed=7, **kw)
    assert a.as_dict() == b.as_dict()
    assert [(x.slot_no, x.claim_no, x.outcome) for x in a.bookings] == [
        (x.slot_no, x.claim_no, x.outcome) for x in b.bookings
    ]
    assert _run(seed=8, **kw).as_dict() != a.as_dict()


def test_coaches_and_part_time_are_spread_as_documented() -> None:
    assert apportion(40, [1.0] * 39) == [2] + [1] * 38
    assert apportion(0, [1.0, 2.0]) == [0, 0]
    assert apportion(10, [1.0, 3.0]) == [3, 7]
    coaches = make_coaches(["A", "B"], [4, 4], 0.25)
    assert [c.part_time for c in coaches] == [False, False, False, True] * 2
    assert coaches[3].weekdays == (1, 3, 4)  # the first part-timer: Tue, Thu, Fri
    assert part_time_weekdays(1) == (0, 2, 4)
    # Any 5 consecutive working days hold 3 of a part-timer's days.
    for j in range(5):
        days = set(part_time_weekdays(j))
        assert all(len(days & {(s + k) % 5 for k in range(5)}) == 3 for s in range(5))
    assert next_monday(dt.date(2026, 11, 27)) == dt.date(2026, 11, 30)
    assert next_monday(dt.date(2026, 11, 30)) == dt.date(2026, 12, 7)


def test_a_config_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="drain_days"):
        SimulationConfig(drain_days=2)
    with pytest.raises(ValueError, match="no_show_rate"):
        SimulationConfig(no_show_rate=1.5)


def test_shares_print_100_percent_only_when_exact() -> None:
    assert share(1.0) == "100%"
    assert share(0.9999) == "99.9%"
    assert share(0.5) == "50.0%"
    assert share(None) == "-"


def test_reach_and_deadline_agree_with_the_service() -> None:
    from intake.appointments.booking import search_offices
    from intake.calendar.service import intake_deadline
    from intake_simulation.engine import _Run

    for office in OFFICES.offices:
        for minutes in (0, 30, 45, 75):
            assert _reach(office.code, OFFICES, minutes) == search_offices(
                office.code, offices=OFFICES, max_minutes=minutes
            )

    wd = WorkingDays()

    class NationalCalendar:
        def add_working_days(
            self, start: dt.date, n: int, office_code: str | None = None
        ) -> dt.date:
            return wd.add_working_days(start, n)

    run = _Run(SimulationConfig(start=JUNE, coaches=0), OFFICES, JUNE)
    day = dt.date(2026, 4, 20)
    for i in range(60):
        registered = day + dt.timedelta(days=i)
        for first in (registered - dt.timedelta(days=3), registered + dt.timedelta(days=4)):
            assert run.deadline(first_ww_day=first, registered_on=registered) == intake_deadline(
                NationalCalendar(),  # type: ignore[arg-type]
                first_ww_day=first,
                registered_on=registered,
                office_code=None,
                working_days=5,
            )


# Every booking, checked by brute force ----------------------------------------------------


def _check_against_brute_force(result: SimulationResult) -> None:
    cfg = result.config
    simulated = set(result.offices)
    reach = {
        code: {
            o: m for o, m in _reach(code, OFFICES, cfg.max_travel_minutes).items() if o in simulated
        }
        for code in simulated
    }
    # No slot is booked twice, and no coach is in two appointments at once.
    slot_nos = [b.slot_no for b in result.bookings]
    assert len(slot_nos) == len(set(slot_nos))
    for b in result.bookings:
        assert result.slots[b.slot_no].claim_no == b.claim_no
    by_coach: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for b in result.bookings:
        s = result.slots[b.slot_no]
        by_coach.setdefault(s.coach_no, []).append((s.starts_at, s.ends_at))
    for spans in by_coach.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))

    # Replay the attempts in order: each took the service's first choice among all free
    # slots, and a shortfall happened only when no feasible slot existed.
    at_office: dict[str, list[Slot]] = {}
    for s in result.slots:
        at_office.setdefault(s.office_code, []).append(s)
    taken: set[int] = set()
    for attempt in result.attempts:
        claim = result.claims[attempt.claim_no]
        feasible = [
            s
            for office in reach[claim.office_code]
            for s in at_office.get(office, [])
            if s.no not in taken
            and s.starts_at > attempt.after
            and local_day(s.starts_at) <= attempt.deadline
        ]
        if attempt.slot_no is None:
            assert feasible == [], "a shortfall although a feasible slot existed"
            continue
        best = min(
            feasible,
            key=lambda s: (
                reach[claim.office_code][s.office_code],
                s.starts_at,
                str(uuid.UUID(int=s.no)),
            ),
        )
        assert attempt.slot_no == best.no
        taken.add(attempt.slot_no)
        if attempt.purpose == "intake" and not attempt.overdue:
            assert attempt.deadline == claim.deadline
            assert local_day(best.starts_at) <= claim.deadline
    assert taken == {b.slot_no for b in result.bookings}

    # One registration attempt per claim, at its registration, with its own deadline; a
    # shortfall exactly when that attempt found nothing.
    registrations = {a.claim_no: a for a in result.attempts if a.trigger == "registration"}
    assert len(registrations) == len(result.claims)
    assert sum(a.trigger == "registration" for a in result.attempts) == len(result.claims)
    for c in result.claims:
        a = registrations[c.no]
        assert (a.after, a.deadline) == (c.registered_at, c.deadline)
        assert c.shortfall == (a.slot_no is None)
    for c in result.claims:
        held_in_time = c.held_on is not None and c.held_on <= c.deadline
        assert not (c.shortfall and held_in_time)
    total = result.total
    assert total.held_in_week_one <= total.booked_in_time
    assert total.booked_in_time + sum(c.shortfall for c in result.claims) == total.registrations
    assert total.shortfalls == sum(c.shortfalls for c in result.claims)
    assert total.shortfalls == sum(
        1 for a in result.attempts if a.slot_no is None and a.trigger != "planning_run"
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    start=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 20)),
    days=st.integers(1, 5),
    inflow=st.floats(0, 20),
    coaches=st.integers(0, 4),
    offices=st.integers(1, 4),
    part_time=st.sampled_from([0.0, 0.5, 1.0]),
    no_show_rate=st.sampled_from([0.0, 0.2, 0.5]),
    arrivals=st.sampled_from(["poisson", "fixed"]),
)
def test_no_double_booking_and_every_booking_is_the_services_choice(
    seed: int,
    start: dt.date,
    days: int,
    inflow: float,
    coaches: int,
    offices: int,
    part_time: float,
    no_show_rate: float,
    arrivals: str,
) -> None:
    result = _run(
        seed=seed,
        start=start,
        days=days,
        inflow=inflow,
        coaches=coaches,
        office_limit=offices,
        part_time_share=part_time,
        no_show_rate=no_show_rate,
        arrivals=arrivals,
        drain_days=6,
        slot_horizon_working_days=5,
    )
    event(f"bookings: {min(len(result.bookings) // 10 * 10, 50)}+")
    event(f"shortfalls: {'yes' if result.total.shortfalls else 'no'}")
    _check_against_brute_force(result)


def test_a_busy_run_passes_the_brute_force_check_too() -> None:
    _check_against_brute_force(
        _run(days=5, inflow=40, coaches=3, office_limit=3, no_show_rate=0.2, seed=3)
    )


# The command ------------------------------------------------------------------------------

runner = CliRunner()


def test_the_command_prints_week_one_share_shortfalls_and_utilisation() -> None:
    result = runner.invoke(
        app,
        [
            "simulate", "intake", "--days", "5", "--inflow", "30", "--coaches", "10",
            "--offices", "5", "--seed", "1", "--start-date", "2026-06-01",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Held within week one: 100%" in out
    assert "shortfalls: 0" in out
    assert "coach utilisation:" in out
    assert "Week one, by week of registration" in out
    assert "Mon 01 Jun 2026" in out
    assert "Offices with the most shortfalls" not in out


def test_the_command_shows_a_shortage_and_the_offices_short_of_slots() -> None:
    result = runner.invoke(
        app,
        [
            "simulate", "intake", "--days", "5", "--inflow", "80", "--coaches", "4",
            "--offices", "8", "--seed", "1", "--start-date", "2026-06-01", "--no-progress",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Held within week one: 100%" not in result.stdout
    assert "Offices with the most shortfalls" in result.stdout


def test_the_command_prints_json() -> None:
    args = ["simulate", "intake", "--days", "3", "--inflow", "40", "--coaches", "8"]
    args += ["--offices", "6", "--start-date", "2026-06-01", "--json", "--no-progress"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["parameters"]["offices"] == 6
    assert data["period"]["start"] == "2026-06-01"
    assert data["total"]["registrations"] == sum(w["registrations"] for w in data["weeks"])
    assert {"week_one_share", "shortfalls", "utilisation"} <= set(data["total"])
    assert len(data["offices"]) == 6


def test_the_command_refuses_a_date_outside_the_calendar() -> None:
    result = runner.invoke(
        app, ["simulate", "intake", "--start-date", "2150-01-05", "--no-progress"]
    )
    assert result.exit_code == 2
    assert "2100" in result.output
