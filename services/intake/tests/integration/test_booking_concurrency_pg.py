"""Automatic booking under concurrency, over HTTP against a real `ww serve intake` on
PostgreSQL (issue 13, item 4; ADR 0026).

Every registration reads the same free slots in the same order. Before ADR 0026 each one
tried to insert into the earliest, waited on the unique index for the transaction that got
there first, lost, and moved on; after `booking_max_attempts` losses it declared a capacity
shortfall while slots were still free (50 registrations into 78 free slots booked 42). Now a
booking locks its slot with `FOR UPDATE SKIP LOCKED` and concurrent bookings pass each
other, and a shortfall is declared only after re-checking, under the lock, every slot that a
concurrent booking held.

Slots are placed on the first working day after today (`D1`), which occurs exactly once
before the 5-working-day deadline, so slot counts are exact. The requests start on a
barrier (tests/support/concurrency.py).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from intake.agendas.rules import local_to_utc
from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.concurrency import on_barrier
from tests.support.intake import add_roster_coach
from tests.support.pg import PgDatabases
from tests.support.system import Proc, free_port, processes, service_env, wait_healthy
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1 = WorkingDays().add_working_days(TODAY, 1)


@dataclass
class Server:
    base: str
    url: str
    tokens: Tokens
    proc: Proc

    def scalar(self, sql: str, **params: object) -> int:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql), params).scalar_one())
        finally:
            engine.dispose()

    def open_slots_on_d1(self) -> int:
        """Open slots on D1, the only day with slots before the deadline."""
        return self.scalar(
            "SELECT count(*) FROM slots WHERE state = 'open' AND starts_at >= :a AND starts_at < :b",
            a=local_to_utc(D1, dt.time(0)),
            b=local_to_utc(D1 + dt.timedelta(days=1), dt.time(0)),
        )

    def agenda(self, hours: list[tuple[str, str]]) -> None:
        """One coach per (start, end) block on D1 (45 + 15 minutes per slot)."""
        engine = create_engine(self.url)
        try:
            coaches = [add_roster_coach(engine, "AMS") for _ in hours]
        finally:
            engine.dispose()
        lead = Tokens.header(self.tokens.user("team_lead", sub="lead-AMS", office="AMS"))
        for coach, (start, end) in zip(coaches, hours, strict=True):
            block = {
                "weekday": D1.weekday(),
                "start_time": start,
                "end_time": end,
                "office_code": "AMS",
            }
            r = httpx.put(
                f"{self.base}/v1/coaches/{coach}/agenda",
                json={"blocks": [block]},
                headers=lead,
                timeout=30,
            )
            assert r.status_code == 200, r.text

    def register_concurrently(self, n: int, *, seed: int) -> tuple[list[int], float]:
        """n registrations released at once by a barrier; their statuses and the wall time."""
        rng = random.Random(seed)
        bsns = sorted({synthetic_bsn(rng) for _ in range(3 * n)})[:n]
        assert len(bsns) == n
        bodies = [
            {
                "bsn": b,
                "given_name": "Noor",
                "family_name": "Smit",
                "date_of_birth": "1990-02-02",
                "first_ww_day": TODAY.isoformat(),
                "postcode": "1011 AB",
            }
            for b in bsns
        ]
        staff = Tokens.header(self.tokens.user("benefits_officer", sub="officer-1"))
        clients = [httpx.Client(base_url=self.base, timeout=120) for _ in range(n)]
        try:
            for c in clients:  # connect before the barrier: the race is in the service
                assert c.get("/health").status_code == 200

            def post(i: int) -> int:
                return clients[i].post("/v1/claims", json=bodies[i], headers=staff).status_code

            started = time.monotonic()
            statuses = on_barrier(post, list(range(n)))
            return statuses, time.monotonic() - started
        finally:
            for c in clients:
                c.close()


@pytest.fixture
def server(pg: PgDatabases, state_dir: Path, tmp_path: Path) -> Iterator[Server]:
    url = pg.create("intake")
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
    with processes(tmp_path) as procs:
        proc = procs.start("intake", ["serve", "intake"], env)
        wait_healthy(base, proc=proc)
        yield Server(base, url, tokens, proc)


def _assert_consistent(s: Server, *, booked: int, unplanned: int) -> None:
    """Exactly `booked` appointments on distinct slots, the rest unplanned, events to match."""
    assert s.scalar("SELECT count(*) FROM appointments WHERE status = 'booked'") == booked
    assert s.scalar("SELECT count(DISTINCT slot_id) FROM appointments") == booked
    assert s.scalar("SELECT count(*) FROM unplanned_claims") == unplanned
    assert s.scalar("SELECT count(*) FROM capacity_shortfalls") == unplanned
    assert s.scalar("SELECT count(*) FROM outbox WHERE event_type = 'intake.scheduled'") == booked
    assert (
        s.scalar("SELECT count(*) FROM outbox WHERE event_type = 'intake.capacity_shortfall'")
        == unplanned
    )
    # No coach holds two intakes at once (the exclusion constraint's business rule).
    assert (
        s.scalar(
            "SELECT count(*) FROM appointments a JOIN appointments b"
            " ON a.coach_id = b.coach_id AND a.id < b.id"
            " AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
        )
        == 0
    )


def test_50_concurrent_registrations_into_78_free_slots_all_book(server: Server) -> None:
    # 7 coaches x 10 slots + 1 coach x 8 slots = 78 free slots on D1.
    server.agenda([("09:00", "19:00")] * 7 + [("09:00", "17:00")])
    assert server.open_slots_on_d1() == 78

    statuses, elapsed = server.register_concurrently(50, seed=4)

    assert statuses == [201] * 50, server.proc.text()[-3000:]
    _assert_consistent(server, booked=50, unplanned=0)
    assert server.scalar("SELECT count(*) FROM claims") == 50
    print(f"50 concurrent registrations, 78 free slots: {elapsed:.2f} s")


def test_more_registrations_than_slots_book_every_slot_and_no_more(server: Server) -> None:
    server.agenda([("09:00", "19:00")] * 3)  # 30 free slots
    assert server.open_slots_on_d1() == 30

    statuses, _ = server.register_concurrently(50, seed=5)

    assert statuses == [201] * 50, server.proc.text()[-3000:]
    _assert_consistent(server, booked=30, unplanned=20)
    # Every slot is taken: a shortfall was declared only when nothing was free.
    assert (
        server.scalar(
            "SELECT count(*) FROM slots s WHERE s.state = 'open' AND s.starts_at < :b"
            " AND NOT EXISTS (SELECT 1 FROM appointments a"
            " WHERE a.slot_id = s.id AND a.status = 'booked')",
            b=local_to_utc(D1 + dt.timedelta(days=1), dt.time(0)),
        )
        == 0
    )


def test_a_slot_held_by_a_booking_that_rolls_back_is_booked_not_a_shortfall(
    server: Server,
) -> None:
    """The last free slot is locked by another transaction (a concurrent booking in progress).
    The registration skips it, finds nothing else, and waits for that lock before declaring a
    shortfall: the other booking rolls back, so the registration books the slot."""
    server.agenda([("09:00", "10:00")])  # one slot on D1
    assert server.open_slots_on_d1() == 1
    engine = create_engine(server.url)
    outcome: list[int] = []
    try:
        with engine.connect() as holder:
            holder.execute(
                text("SELECT id FROM slots WHERE state = 'open' AND starts_at < :b FOR UPDATE"),
                {"b": local_to_utc(D1 + dt.timedelta(days=1), dt.time(0))},
            )
            staff = Tokens.header(server.tokens.user("benefits_officer", sub="officer-1"))
            body = {
                "bsn": synthetic_bsn(random.Random(6)),
                "given_name": "Noor",
                "family_name": "Smit",
                "date_of_birth": "1990-02-02",
                "first_ww_day": TODAY.isoformat(),
                "postcode": "1011 AB",
            }

            def register() -> None:
                r = httpx.post(f"{server.base}/v1/claims", json=body, headers=staff, timeout=60)
                outcome.append(r.status_code)

            thread = threading.Thread(target=register)
            thread.start()
            time.sleep(1.5)
            assert thread.is_alive(), "the registration gave up on a held slot"
            holder.rollback()
        thread.join(60)
    finally:
        engine.dispose()
    assert outcome == [201]
    _assert_consistent(server, booked=1, unplanned=0)
