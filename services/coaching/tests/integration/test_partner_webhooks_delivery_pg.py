"""Partner webhooks on the shared delivery mechanism (issue 14 item 5), on PostgreSQL.

A dispatcher killed (SIGKILL, a real `ww jobs webhooks` process) between its claim and
its record is picked up by the next run after the lease and delivers once; killed after
the POST, the retry carries the same event id (at least once, as documented). The same
event queued twice for a client is one delivery (`dedupe_key`); the attempts log has one
row per attempt with the endpoint's status code; giving up after 8 attempts ends the
delivery (`finished_at`); attempts are counted in the coaching service's metrics. The
same on SQLite (`make run`).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from coaching.partner.candidates.models import PartnerProfileView
from coaching.partner.webhooks import service
from coaching.partner.webhooks.models import (
    CONSENT_WITHDRAWN,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from shared.db.types import utcnow
from shared.messaging.embedded import EmbeddedBroker
from tests.support.coaching import Office, office
from tests.support.system import container as build_container
from tests.support.system import service_env

from .test_partner_candidates_pg import agency, claimant_case, consent, desk, refs, search
from .test_partner_webhooks_pg import RUN, Receiver, receiver, register

pytestmark = pytest.mark.integration
__all__ = ["desk", "office", "receiver"]

ATTEMPTS = "/partner/v1/webhook-deliveries/{}/attempts"


def withdrawn(o: Office, client: dict[str, str]) -> str:
    """A candidate the client saw withdraws consent: one delivery queued. Its candidate_ref."""
    claim, sub = claimant_case(o)
    ref = str(consent(o, claim, sub)["candidate_ref"])
    assert refs(search(o, client)) == [ref]
    consent(o, claim, sub, "none")
    return ref


def job(o: Office, state_dir: Path, faults: str) -> subprocess.CompletedProcess[bytes]:
    """`ww jobs webhooks` as its own process against the test's database."""
    env = service_env(
        "coaching",
        state_dir=state_dir,
        database_url=str(o.container.settings.database_url),
        faults=faults,
        extra={"WW_LOG_LEVEL": "WARNING"},
    )
    return subprocess.run(
        [sys.executable, "-m", "ww", "jobs", "webhooks"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_dispatcher_killed_between_claim_and_record_is_retried_once(
    desk: Office, receiver: Receiver, state_dir: Path
) -> None:
    h = agency(desk, "agency-crash")
    register(desk, h, receiver.url)
    withdrawn(desk, h)

    killed = job(desk, state_dir, "delivery.after_claim")
    assert killed.returncode == -9, killed.stderr.decode()
    # The claim was committed before the POST: the row says an attempt is in flight.
    ((status, attempts, lease_until),) = desk.sql(
        "SELECT status, attempts, lease_until FROM webhook_deliveries"
    )
    assert (status, attempts) == ("sending", 1)
    assert lease_until > utcnow()
    assert receiver.received == []

    # While the lease runs, another run leaves it alone (its owner may still be sending).
    assert service.deliver_due(desk.container.uow, allow_local_http=True).attempted == 0
    later = utcnow() + dt.timedelta(minutes=6)
    run = service.deliver_due(desk.container.uow, now=later, allow_local_http=True)
    assert (run.recovered, run.attempted, run.delivered) == (1, 1, 1)
    assert len(receiver.received) == 1
    assert service.deliver_due(desk.container.uow, now=later, allow_local_http=True).attempted == 0
    assert desk.sql("SELECT status, attempts FROM webhook_deliveries") == [("sent", 2)]
    # The log holds the attempt that got an answer; the killed one never recorded anything.
    assert desk.sql("SELECT attempt, outcome, status_code FROM webhook_attempts") == [
        (2, "sent", 200)
    ]
    log = desk.client.get("/partner/v1/webhook-deliveries", headers=h).json()["items"]
    assert [(i["status"], i["attempts"]) for i in log] == [("delivered", 2)]


def test_a_dispatcher_killed_after_the_post_sends_the_same_event_again(
    desk: Office, receiver: Receiver, state_dir: Path
) -> None:
    h = agency(desk, "agency-crash-late")
    register(desk, h, receiver.url)
    withdrawn(desk, h)

    killed = job(desk, state_dir, "delivery.before_record")
    assert killed.returncode == -9, killed.stderr.decode()
    assert len(receiver.received) == 1  # the agency got it; we never learnt the answer
    later = utcnow() + dt.timedelta(minutes=6)
    assert service.deliver_due(desk.container.uow, now=later, allow_local_http=True).delivered == 1
    # At least once: the second request is the same event and delivery, so the receiver
    # drops it by `X-WW-Event-Id` (docs/partner-webhooks.md).
    (h1, b1), (h2, b2) = receiver.received
    assert b1 == b2
    assert h1["x-ww-event-id"] == h2["x-ww-event-id"] == json.loads(b1)["id"]
    assert h1["x-ww-delivery-id"] == h2["x-ww-delivery-id"]


def test_a_repeated_notify_for_the_same_event_queues_one_delivery(
    desk: Office, receiver: Receiver
) -> None:
    a = agency(desk, "agency-dedupe-a")
    b = agency(desk, "agency-dedupe-b")
    register(desk, a, receiver.url)
    register(desk, b, receiver.url)
    claim, sub = claimant_case(desk)
    ref = uuid.UUID(consent(desk, claim, sub)["candidate_ref"])
    refs(search(desk, a))
    refs(search(desk, b))
    event_id = uuid.uuid4()
    at = utcnow()
    with desk.container.uow() as uow:
        queued = [
            service.notify_viewers(
                uow=uow,
                candidate_ref=ref,
                event_type=CONSENT_WITHDRAWN,
                occurred_at=at,
                event_id=event_id,
            )
            for _ in range(2)  # twice in one transaction
        ]
        uow.commit()
    with desk.container.uow() as uow:  # and once more later (a redelivered cause)
        queued.append(
            service.notify_viewers(
                uow=uow,
                candidate_ref=ref,
                event_type=CONSENT_WITHDRAWN,
                occurred_at=at + dt.timedelta(seconds=5),
                event_id=event_id,
            )
        )
        uow.commit()
    assert queued == [2, 0, 0]
    rows = desk.sql("SELECT client_id, dedupe_key, channel FROM webhook_deliveries ORDER BY 1")
    assert rows == [
        ("agency-dedupe-a", f"{event_id}:agency-dedupe-a", "webhook"),
        ("agency-dedupe-b", f"{event_id}:agency-dedupe-b", "webhook"),
    ]
    assert service.deliver_due(desk.container.uow, allow_local_http=True).delivered == 2
    assert len(receiver.received) == 2
    assert {json.loads(body)["id"] for _, body in receiver.received} == {str(event_id)}


def test_the_attempts_log_has_one_row_per_attempt_with_the_status_code(
    desk: Office, receiver: Receiver
) -> None:
    h = agency(desk, "agency-log")
    other = agency(desk, "agency-other")
    register(desk, h, receiver.url)
    withdrawn(desk, h)
    receiver.statuses = [500, 503]
    t0 = utcnow()
    for wait in (0, 30, 90):
        service.deliver_due(
            desk.container.uow, now=t0 + dt.timedelta(seconds=wait), allow_local_http=True
        )
    ((delivery_id,),) = desk.sql("SELECT id FROM webhook_deliveries")
    assert desk.sql(
        "SELECT attempt, outcome, status_code, error, at, channel FROM webhook_attempts "
        "WHERE delivery_id = :d ORDER BY attempt",
        d=delivery_id,
    ) == [
        (1, "retry", 500, "HTTP 500", t0, "webhook"),
        (2, "retry", 503, "HTTP 503", t0 + dt.timedelta(seconds=30), "webhook"),
        (3, "sent", 200, None, t0 + dt.timedelta(seconds=90), "webhook"),
    ]

    r = desk.client.get(ATTEMPTS.format(delivery_id), headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["delivery_id"] == str(delivery_id)
    assert [(i["attempt"], i["outcome"], i["status_code"]) for i in r.json()["items"]] == [
        (1, "retry", 500),
        (2, "retry", 503),
        (3, "sent", 200),
    ]
    (item,) = desk.client.get("/partner/v1/webhook-deliveries", headers=h).json()["items"]
    assert (item["status"], item["attempts"], item["last_status_code"]) == ("delivered", 3, 200)
    # Another client's delivery, or none at all: the same 404.
    assert desk.client.get(ATTEMPTS.format(delivery_id), headers=other).status_code == 404
    assert desk.client.get(ATTEMPTS.format(uuid.uuid4()), headers=h).status_code == 404


def test_giving_up_after_8_attempts_ends_the_delivery(desk: Office, receiver: Receiver) -> None:
    h = agency(desk, "agency-down")
    register(desk, h, receiver.url)
    withdrawn(desk, h)

    def down(target: service.Target, body: bytes, headers: Mapping[str, str]) -> int:
        raise httpx.ConnectError("refused")

    now = utcnow()
    times = []
    for _ in range(service.MAX_ATTEMPTS + 2):
        if service.deliver_due(
            desk.container.uow, now=now, http_post=down, allow_local_http=True
        ).attempted:
            times.append(now)
        now += dt.timedelta(hours=1)
    assert len(times) == service.MAX_ATTEMPTS == 8
    ((status, attempts, finished_at, next_at),) = desk.sql(
        "SELECT status, attempts, finished_at, next_attempt_at FROM webhook_deliveries"
    )
    assert (status, attempts, finished_at, next_at) == ("failed", 8, times[-1], None)
    outcomes = desk.sql("SELECT outcome FROM webhook_attempts ORDER BY attempt")
    assert [o for (o,) in outcomes] == ["retry"] * 7 + ["failed"]
    (item,) = desk.client.get("/partner/v1/webhook-deliveries", headers=h).json()["items"]
    assert (item["status"], item["attempts"]) == ("failed", 8)


def test_a_removed_endpoint_bounces_and_the_partner_sees_failed(
    desk: Office, receiver: Receiver
) -> None:
    h = agency(desk, "agency-removed")
    register(desk, h, receiver.url)
    withdrawn(desk, h)
    assert desk.client.delete("/partner/v1/webhook", headers=h).status_code == 204
    run = service.deliver_due(desk.container.uow, allow_local_http=True)
    assert (run.attempted, run.bounced, run.failed) == (1, 1, 0)
    ((status, finished_at),) = desk.sql("SELECT status, finished_at FROM webhook_deliveries")
    assert status == "bounced"
    assert finished_at is not None
    assert desk.sql("SELECT outcome, error FROM webhook_attempts") == [
        ("bounced", "no webhook endpoint registered")
    ]
    (item,) = desk.client.get("/partner/v1/webhook-deliveries", headers=h).json()["items"]
    assert item["status"] == "failed"


def test_attempts_are_counted_in_the_coaching_metrics(desk: Office, receiver: Receiver) -> None:
    h = agency(desk, "agency-metrics")
    register(desk, h, receiver.url)
    withdrawn(desk, h)
    receiver.statuses = [502]
    assert desk.client.post(RUN, headers=desk.as_("admin")).json()["retrying"] == 1
    desk.sql("UPDATE webhook_deliveries SET next_attempt_at = now()")
    assert desk.client.post(RUN, headers=desk.as_("admin")).json()["delivered"] == 1
    text = desk.client.get("/metrics").text
    for outcome in ("pending", "sent"):
        line = f'ww_delivery_attempts_total{{channel="webhook",kind="webhook",outcome="{outcome}"}}'
        assert f"{line} 1.0" in text, text


def test_the_job_reports_its_run(desk: Office, receiver: Receiver, state_dir: Path) -> None:
    h = agency(desk, "agency-job")
    register(desk, h, receiver.url)
    withdrawn(desk, h)
    done = job(desk, state_dir, "")
    assert done.returncode == 0, done.stderr.decode()
    out = done.stderr.decode()  # the CLI reports on stderr
    assert "webhooks attempted: 1, delivered: 1, retrying: 0, failed: 0" in out, out
    assert len(receiver.received) == 1


def test_webhooks_on_sqlite(state_dir: Path, receiver: Receiver) -> None:
    """`make run` keeps coaching on SQLite: queueing (with its dedupe) and delivering."""
    c = build_container(
        "coaching",
        database_url=f"sqlite:///{state_dir / 'coaching.db'}",
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=state_dir,
        log_level="WARNING",
    )
    try:
        c.migrate()
        ref, at, event_id = uuid.uuid4(), utcnow(), uuid.uuid4()
        with c.uow() as uow:
            uow.session.add(
                WebhookEndpoint(
                    client_id="agency-lite", url=receiver.url, secret="whsec_x", created_at=at
                )
            )
            uow.session.add(
                PartnerProfileView(
                    client_id="agency-lite", day=at.date(), candidate_ref=ref, first_seen_at=at
                )
            )
            uow.commit()
        for expected in (1, 0):
            with c.uow() as uow:
                queued = service.notify_viewers(
                    uow=uow,
                    candidate_ref=ref,
                    event_type=CONSENT_WITHDRAWN,
                    occurred_at=at,
                    event_id=event_id,
                )
                uow.commit()
            assert queued == expected
        receiver.statuses = [503]
        assert service.deliver_due(c.uow, now=at, allow_local_http=True).retrying == 1
        later = at + dt.timedelta(seconds=30)
        assert service.deliver_due(c.uow, now=later, allow_local_http=True).delivered == 1
        with c.uow() as uow:
            (row,) = uow.session.query(WebhookDelivery).all()
            assert (row.status, row.attempts, row.finished_at) == ("sent", 2, later)
            codes = [a.status_code for a in uow.session.query(WebhookAttempt).order_by("attempt")]
        assert codes == [503, 200]
        assert len(receiver.received) == 2
    finally:
        c.stop()
