"""Acceptance (issue 5): over real Kafka + PostgreSQL with one `ww run` process per
service, a claim whose intake was held by coach A and whose triage segment is personal
service is assigned to coach A (continuity), although coach B has more room; the
claimant's report of a full return to work then closes the case (`case.closed` on Kafka).

The claim is registered through intake's API (a claimant of 58: triage's provisional rule
says `personal`); the roster through coaching's API; the intake's completion is published
on intake's topic as intake would (booking and holding an intake through intake's agenda
API is intake's own acceptance). Triage re-scores after the intake; coaching assigns.
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
from tests.support.distributed import distributed_system
from tests.support.kafka import produce_raw, read_all
from tests.support.pg import PgDatabases
from tests.support.system import wait_until
from tests.support.tokens import Tokens


def test_intake_coach_gets_the_personal_case_over_kafka(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:
        admin = Tokens.header(system.tokens.user("admin", sub="admin-e2e"))
        claimant = Tokens.header(system.tokens.user("claimant", sub="claimant-e2e-assign"))
        today = local_today()
        with httpx.Client(timeout=30) as http:
            coaches = f"{system.urls['coaching']}/v1/coaches"
            ids = {}
            for name, hours in (("A", 16), ("B", 40)):
                r = http.post(
                    coaches,
                    json={
                        "display_name": f"Coach {name}",
                        "office_code": "AMS",
                        "contract_hours": hours,
                    },
                    headers=admin,
                )
                assert r.status_code == 201, r.text
                ids[name] = uuid.UUID(r.json()["id"])

            body = {
                "bsn": synthetic_bsn(random.Random(5058)),
                "given_name": "Henk",
                "family_name": "de Vries",
                "date_of_birth": (today - dt.timedelta(days=58 * 365 + 60)).isoformat(),
                "first_ww_day": today.isoformat(),
                "postcode": "1011 AB",
            }
            r = http.post(
                f"{system.urls['intake']}/v1/claims",
                json=body,
                headers=system.tokens.signed_in(claimant, body["bsn"]),
            )
            assert r.status_code == 201, r.text
            claim_id = uuid.UUID(r.json()["id"])
            case_url = f"{system.urls['coaching']}/v1/cases/{claim_id}"

            def case() -> dict[str, Any] | None:
                r = http.get(case_url, headers=admin)
                return r.json() if r.status_code == 200 else None

            wait_until(
                lambda: (c := case()) is not None and c["segment"] == "personal",
                timeout=60,
                message="the provisional personal segment in coaching",
            )
            before = case()
            assert before is not None
            assert before["office_code"] == "AMS"
            assert before["coach_id"] is None  # a provisional score waits for the intake

            completed = Event.create(
                IntakeCompleted(
                    claim_id=claim_id,
                    appointment_id=uuid.uuid4(),
                    coach_id=ids["A"],
                    held_at=dt.datetime.now(dt.UTC),
                    explained_topics=["job_search_obligation"],
                    agreed_next_step="apply for two jobs a week",
                    within_deadline=True,
                    obligation_regime="regular",
                )
            )
            produce_raw(
                kafka_bootstrap,
                f"{topic_prefix}.intake",
                [(str(claim_id).encode(), completed.to_json_bytes())],
            )
            wait_until(
                lambda: (c := case()) is not None and c["assignment_status"] == "assigned",
                timeout=60,
                message="the case assigned in coaching",
            )
            after = case()
            assert after is not None
            assert after["coach_id"] == str(ids["A"])
            assert after["segment"] == "personal"

            # The claimant reports a full return to work: the case closes.
            start = today + dt.timedelta(days=7)
            r = http.post(
                f"{case_url}/work-resumptions",
                json={
                    "kind": "full",
                    "start_date": start.isoformat(),
                    "hours_per_week": 36,
                    "employer": "Zorggroep Noord",
                },
                headers=claimant,
            )
            assert r.status_code == 201, r.text
            closed = case()
            assert closed is not None
            assert (closed["status"], closed["closure_result"], closed["closed_on"]) == (
                "closed",
                "work_resumed",
                start.isoformat(),
            )

            def coaching_events(kind: str) -> list[dict[str, Any]]:
                return [
                    e["data"]
                    for r in read_all(kafka_bootstrap, f"{topic_prefix}.coaching")
                    if (e := json.loads(r.value))["type"] == kind
                ]

            wait_until(
                lambda: len(coaching_events("case.closed")) == 1,
                timeout=60,
                message="case.closed on Kafka",
            )
            (event,) = coaching_events("case.closed")
            assert (event["claim_id"], event["reported_by"], event["result"]) == (
                str(claim_id),
                "claimant",
                "work_resumed",
            )

        published = [
            json.loads(r.value)
            for r in read_all(kafka_bootstrap, f"{topic_prefix}.coaching")
            if json.loads(r.value)["type"] == "case.assigned"
        ]
        assert [(e["data"]["coach_id"], e["data"]["rule"]) for e in published] == [
            (str(ids["A"]), "continuity")
        ]
        for svc in ("intake", "triage", "coaching"):
            assert read_all(kafka_bootstrap, f"{topic_prefix}.{svc}.dlq") == []
