"""Acceptance (issue 6): over real Kafka + PostgreSQL with one `ww run` process per service:
application -> research period -> start period -> stopped -> revived, and the claim's case
in coaching follows: exempt from the job-search obligation during the periods, reopened
after the revival with the obligation applying again from the revival day.

The claim is registered through intake's API by the claimant; the intake's completion
(with the regular obligation regime) is published on intake's topic as intake would; the
case is closed by a coach when the claimant leaves WW to work in the business, before the
business stops and WW is revived.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path
from typing import Any

import httpx

from shared.clock import local_today
from shared.events.envelope import Event
from shared.events.intake import IntakeCompleted
from shared.testdata import synthetic_bsn
from starters.rules.schedule import entitlement_end
from tests.support.distributed import distributed_system
from tests.support.kafka import produce_raw, read_all
from tests.support.pg import PgDatabases
from tests.support.system import wait_until
from tests.support.tokens import Tokens


def test_starters_scheme_to_revival_reopens_the_case_over_kafka(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:
        admin = Tokens.header(system.tokens.user("admin", sub="admin-e2e"))
        officer = Tokens.header(system.tokens.user("benefits_officer", sub="officer-e2e"))
        claimant = Tokens.header(system.tokens.user("claimant", sub="claimant-e2e-starters"))
        today = local_today()
        first_ww_day = today - dt.timedelta(days=20)
        bsn = synthetic_bsn(random.Random(6060))
        with httpx.Client(timeout=30) as http:
            r = http.post(
                f"{system.urls['intake']}/v1/claims",
                json={
                    "bsn": bsn,
                    "given_name": "Sanne",
                    "family_name": "Jansen",
                    "date_of_birth": "1985-06-01",
                    "first_ww_day": first_ww_day.isoformat(),
                    "postcode": "3511 AB",
                },
                headers=system.tokens.signed_in(claimant, bsn),
            )
            assert r.status_code == 201, r.text
            claim_id = uuid.UUID(r.json()["id"])
            completed = Event.create(
                IntakeCompleted(
                    claim_id=claim_id,
                    appointment_id=uuid.uuid4(),
                    coach_id=uuid.uuid4(),
                    held_at=dt.datetime.now(dt.UTC),
                    explained_topics=["job_search_obligation", "starters_scheme"],
                    agreed_next_step="explore the starters scheme",
                    within_deadline=True,
                    obligation_regime="regular",
                )
            )
            produce_raw(
                kafka_bootstrap,
                f"{topic_prefix}.intake",
                [(str(claim_id).encode(), completed.to_json_bytes())],
            )
            coaching = system.urls["coaching"]
            starters = f"{system.urls['starters']}/v1/starters"

            def obligation() -> dict[str, Any] | None:
                r = http.get(f"{coaching}/v1/cases/{claim_id}/obligation", headers=admin)
                return r.json() if r.status_code == 200 else None

            wait_until(
                lambda: (o := obligation()) is not None and o["regime"] is not None,
                timeout=60,
                message="the case with its regime in coaching",
            )

            # Apply once starters knows the claim (claim.registered reached it).
            application: dict[str, Any] = {}

            def applied() -> bool:
                r = http.post(
                    f"{starters}/applications",
                    json={
                        "claim_id": str(claim_id),
                        "business_description": "Bookkeeping for small shops",
                        "expected_start_date": today.isoformat(),
                        "hours_per_week": 32,
                        "training": {
                            "certificate": "ZOWW-77",
                            "completed_on": first_ww_day.isoformat(),
                        },
                    },
                    headers=claimant,
                )
                if r.status_code == 201:
                    application.update(r.json())
                    return True
                assert r.status_code == 409, r.text  # not known to starters yet
                return False

            wait_until(applied, timeout=60, message="the application accepted")
            app_url = f"{starters}/applications/{application['id']}"

            def step(body: dict[str, Any]) -> dict[str, Any]:
                r = http.post(f"{app_url}/transitions", json=body, headers=officer)
                assert r.status_code == 200, r.text
                return dict(r.json())

            # The entitlement end follows from the first WW day (ADR 0019): starters
            # computes it, and refuses one that disagrees.
            ww = {"dagloon": "180.00", "entitlement_months": 12, "usual_hours_per_day": "8"}
            research = step(
                {
                    "action": "start_research",
                    "starts_on": (today - dt.timedelta(days=10)).isoformat(),
                    "ends_on": (today + dt.timedelta(days=31)).isoformat(),
                    "ww": ww,
                }
            )
            assert research["state"] == "research_period"
            # The start period begins inside the research period: only with a reason.
            r = http.post(
                f"{app_url}/transitions",
                json={"action": "grant_start_period", "starts_on": today.isoformat()},
                headers=officer,
            )
            assert r.status_code == 409, r.text
            assert r.json()["type"] == "urn:ww:problem:starters-research-period-running"
            granted = step(
                {
                    "action": "grant_start_period",
                    "starts_on": today.isoformat(),
                    "research_period_end_reason": "the business plan is ready",
                }
            )
            assert granted["state"] == "start_period"
            assert granted["research_end"] == (today - dt.timedelta(days=1)).isoformat()
            assert granted["entitlement_end"] == entitlement_end(first_ww_day, 12).isoformat()

            wait_until(
                lambda: (o := obligation()) is not None and len(o["exemptions"]) == 2,
                timeout=60,
                message="the research and start periods as exemptions in coaching",
            )

            # The claimant leaves WW to work in the business: the coach closes the case.
            r = http.post(
                f"{coaching}/v1/cases/{claim_id}/close",
                json={"result": "self_employed", "closed_on": today.isoformat()},
                headers=admin,
            )
            assert r.status_code == 200, r.text

            stopped = step({"action": "stop_business", "stopped_on": today.isoformat()})
            assert stopped["state"] == "stopped"
            assert stopped["revival_deadline"] is not None
            revived = step({"action": "revive", "revived_on": today.isoformat()})
            assert revived["state"] == "revived"

            def case() -> dict[str, Any]:
                r = http.get(f"{coaching}/v1/cases/{claim_id}", headers=admin)
                assert r.status_code == 200, r.text
                return dict(r.json())

            wait_until(
                lambda: case()["status"] == "open",
                timeout=60,
                message="the case reopened in coaching after the revival",
            )
            after = obligation()
            assert after is not None
            assert after["case_status"] == "open"
            # The obligation applies again: the exemptions end today at the latest, and
            # the regime in force is the regular one.
            assert after["regime"]["regime"] == "regular"
            assert all(e["ends_on"] <= today.isoformat() for e in after["exemptions"])

        coaching_events = [
            json.loads(r.value) for r in read_all(kafka_bootstrap, f"{topic_prefix}.coaching")
        ]
        reopened = [e["data"] for e in coaching_events if e["type"] == "case.reopened"]
        assert [e["claim_id"] for e in reopened] == [str(claim_id)]
        on_topic = [
            json.loads(r.value) for r in read_all(kafka_bootstrap, f"{topic_prefix}.starters")
        ]
        starters_events = [e["type"] for e in on_topic]
        # Decimals travel as two-place strings (ADR 0019).
        (applied_event,) = [e["data"] for e in on_topic if e["type"] == "starters.applied"]
        assert applied_event["hours_per_week"] == "32.00"
        for kind in (
            "starters.applied",
            "starters.research_period_started",
            "starters.research_period_ended",
            "starters.start_period_granted",
            "starters.stopped",
            "starters.scheme_ended",
            "starters.revived",
        ):
            assert kind in starters_events, kind
        for svc in ("intake", "triage", "coaching", "starters"):
            assert read_all(kafka_bootstrap, f"{topic_prefix}.{svc}.dlq") == []
