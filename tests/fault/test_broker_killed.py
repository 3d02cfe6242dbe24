"""The Kafka broker killed with SIGKILL while registrations stream in.

Unlike tests/fault/test_broker_down.py (a graceful stop of the shared broker, only under
`make test`), this kills a broker of the test's own - no controlled shutdown, no flushed
log segments, producers and consumers left with dead connections - and restarts it on the
same data. Intake and coaching run as real `ww run` processes (API, relay, consumer) on
PostgreSQL. Registrations must keep succeeding while the broker is gone, and after the
restart every claim.registered must be applied by coaching exactly once.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.db import scalar
from tests.support.distributed import distributed_system
from tests.support.load import RegistrationLoad
from tests.support.pg import PgDatabases
from tests.support.private_infra import private_kafka
from tests.support.system import wait_until


def test_broker_sigkilled_mid_run_loses_nothing_and_applies_each_event_once(
    pg: PgDatabases, topic_prefix: str, tmp_path: Path
) -> None:
    with (
        private_kafka(tmp_path / "kafka-state", wanted_port=59141) as broker,
        distributed_system(
            pg, broker.bootstrap, topic_prefix, tmp_path, services=("intake", "coaching")
        ) as system,
    ):
        intake, coaching = system.db["intake"], system.db["coaching"]
        load = RegistrationLoad(
            system.urls["intake"], system.tokens.user("admin"), workers=2, seed=41
        ).start()
        try:
            wait_until(lambda: load.count(201) >= 10, timeout=60, message="10 registrations")
            # Let some events through first, so the relay and consumer hold live connections.
            wait_until(
                lambda: scalar(coaching, "SELECT count(*) FROM processed_events") > 0,
                timeout=60,
                message="coaching to apply the first events",
            )
            broker.kill()
            t_kill = time.monotonic()
            wait_until(
                lambda: sum(1 for a in load.since(t_kill) if a.status == 201) >= 20,
                timeout=60,
                message="20 registrations with the broker dead",
            )
            t_restart = time.monotonic()
            broker.up()
            wait_until(
                lambda: sum(1 for a in load.since(t_restart) if a.status == 201) >= 5,
                timeout=60,
                message="registrations after the restart",
            )
        finally:
            answers = load.stop()
        assert all(a.status == 201 for a in answers), {(a.status, a.error) for a in answers}
        during = [a for a in answers if t_kill <= a.at < t_restart]
        assert len(during) >= 20
        n = len(answers)

        wait_until(
            lambda: (
                scalar(intake, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
                and scalar(
                    coaching,
                    "SELECT count(*) FROM processed_events WHERE event_type = 'claim.registered'",
                )
                >= n
            ),
            timeout=90,
            message="every event relayed and applied after the broker came back",
        )
        assert scalar(intake, "SELECT count(*) FROM claims") == n
        # Exactly once in effect: one processed event and one case per claim, whatever the
        # relay re-sent after losing its acknowledgements.
        assert (
            scalar(
                coaching,
                "SELECT count(*) FROM processed_events WHERE event_type = 'claim.registered'",
            )
            == n
        )
        assert scalar(coaching, "SELECT count(*) FROM cases") == n
        assert scalar(coaching, "SELECT count(DISTINCT claim_id) FROM cases") == n
        assert all(p.alive() for p in system.procs.procs), "a service died with the broker"
