"""Crash safety with real processes killed by SIGKILL at the worst moments."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from shared.clock import local_today
from shared.web.app import build_app
from tests.support.db import scalar
from tests.support.kafka import committed_offsets, create_service_topics, end_offsets, read_all
from tests.support.pg import PgDatabases
from tests.support.system import container, processes, service_env, wait_until
from tests.support.tokens import Tokens

N = 30


def _register_in_outbox(url: str, state_dir: Path, kafka: str, prefix: str) -> int:
    """Register N claims through the real API; returns how many events wait in the outbox.

    Each registration writes claim.registered plus a booking outcome (no agendas here:
    intake.capacity_shortfall), so the outbox holds more than N events.
    """
    intake = container(
        "intake",
        state_dir=state_dir,
        database_url=url,
        transport="kafka",
        kafka_bootstrap=kafka,
        topic_prefix=prefix,
    )
    tokens = Tokens(state_dir / "dev-jwt-key.pem")
    with TestClient(build_app(intake, manage_lifecycle=False), base_url="http://intake") as client:
        # register_claims speaks HTTP; the TestClient's transport is used through its base URL.
        admin = tokens.user("admin")
        import random

        from shared.testdata import synthetic_bsn

        rng = random.Random(7)
        for _ in range(N):
            r = client.post(
                "/v1/claims",
                json={
                    "bsn": synthetic_bsn(rng),
                    "given_name": "Noor",
                    "family_name": "Smit",
                    "date_of_birth": "1990-02-02",
                    "first_ww_day": local_today().isoformat(),
                    "postcode": "1011 AB",
                },
                headers=tokens.header(admin),
            )
            assert r.status_code == 201, r.text
    intake.stop()
    registered = (
        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND event_type = 'claim.registered'"
    )
    assert scalar(url, registered) == N
    return scalar(url, "SELECT count(*) FROM outbox WHERE published_at IS NULL")


def _env_factory(state: Path, kafka: str, prefix: str) -> Callable[..., dict[str, str]]:
    """Environments for `ww` processes of this test: one state dir, broker and topic prefix."""

    def env_for(service: str, database_url: str, faults: str = "") -> dict[str, str]:
        return service_env(
            service,
            state_dir=state,
            database_url=database_url,
            kafka=kafka,
            topic_prefix=prefix,
            faults=faults,
        )

    return env_for


def test_relay_killed_after_produce_before_mark_resends_and_consumers_dedupe(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    create_service_topics(kafka_bootstrap, topic_prefix)
    state = tmp_path / "state"
    state.mkdir()
    intake_db, coaching_db = pg.create("intake"), pg.create("coaching")
    events = _register_in_outbox(intake_db, state, kafka_bootstrap, topic_prefix)
    topic = f"{topic_prefix}.intake"
    env_for = _env_factory(state, kafka_bootstrap, topic_prefix)

    with processes(tmp_path) as procs:
        env = env_for("intake", intake_db, faults="relay.after_publish")
        relay = procs.start("relay-crash", ["relay", "intake"], env)
        assert relay.wait_exit(60) == -signal.SIGKILL, relay.text()[-2000:]
        # The batch reached Kafka, but the outbox still says unpublished.
        assert len(read_all(kafka_bootstrap, topic, expect=events)) == events
        assert scalar(intake_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == events

        env = env_for("intake", intake_db)
        procs.start("relay", ["relay", "intake"], env)
        wait_until(
            lambda: (
                scalar(intake_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            ),
            timeout=60,
            message="the restarted relay to re-send and mark the batch",
        )
        assert (
            len(read_all(kafka_bootstrap, topic, expect=2 * events)) == 2 * events
        )  # every event twice on the topic

        env = env_for("coaching", coaching_db)
        consumer = procs.start("coaching-consumer", ["consume", "coaching"], env)
        wait_until(
            lambda: (
                scalar(
                    coaching_db,
                    "SELECT count(*) FROM processed_events WHERE event_type='claim.registered'",
                )
                == N
                and consumer.text().count("consumer.duplicate_skipped") == N
            ),
            timeout=60,
            message="every event applied once and every duplicate skipped",
        )
    assert scalar(coaching_db, "SELECT count(*) FROM cases") == N
    assert scalar(coaching_db, "SELECT count(*) FROM outbox WHERE event_type='case.opened'") == N


def test_consumer_killed_after_db_commit_before_offset_commit_has_no_second_effect(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    create_service_topics(kafka_bootstrap, topic_prefix)
    state = tmp_path / "state"
    state.mkdir()
    intake_db, coaching_db = pg.create("intake"), pg.create("coaching")
    events = _register_in_outbox(intake_db, state, kafka_bootstrap, topic_prefix)
    topic = f"{topic_prefix}.intake"
    env_for = _env_factory(state, kafka_bootstrap, topic_prefix)

    group = f"{topic_prefix}-coaching"

    with processes(tmp_path) as procs:
        env = env_for("intake", intake_db)
        procs.start("relay", ["relay", "intake"], env)
        wait_until(
            lambda: len(read_all(kafka_bootstrap, topic)) == events,
            timeout=60,
            message="every outbox event on the topic",
        )

        env = env_for("coaching", coaching_db, faults="consumer.after_db_commit")
        crashing = procs.start("consumer-crash", ["consume", "coaching"], env)
        assert crashing.wait_exit(60) == -signal.SIGKILL, crashing.text()[-2000:]
        applied_before_crash = scalar(coaching_db, "SELECT count(*) FROM processed_events")
        assert applied_before_crash > 0, "the crash happened after at least one database commit"
        committed = {
            tp: off
            for tp, off in committed_offsets(kafka_bootstrap, group).items()
            if tp.topic == topic
        }
        assert sum(max(o, 0) for o in committed.values()) == 0, (
            "no offset was committed before the crash"
        )

        env = env_for("coaching", coaching_db)
        consumer = procs.start("consumer", ["consume", "coaching"], env)
        ends = end_offsets(kafka_bootstrap, topic)
        wait_until(
            lambda: (
                {
                    tp: off
                    for tp, off in committed_offsets(kafka_bootstrap, group).items()
                    if tp.topic == topic
                }
                == ends
            ),
            timeout=60,
            message="offsets committed up to the end after restart",
        )
        redelivered = consumer.text().count("consumer.duplicate_skipped")
    assert redelivered == applied_before_crash, (
        "every message applied before the crash came again and was skipped"
    )
    assert scalar(coaching_db, "SELECT count(*) FROM processed_events") == N
    assert scalar(coaching_db, "SELECT count(*) FROM cases") == N
    assert scalar(coaching_db, "SELECT count(*) FROM outbox WHERE event_type='case.opened'") == N
