"""Need to know over real Kafka + PostgreSQL (ADR 0022, issue 12 item 11): the roster
reaches every service's copy, so a coach registered in coaching is honoured by intake,
triage and starters and refused everywhere once deactivated; coaching's `case.assigned`
puts a claim of another office in the coach's caseload in intake.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from pathlib import Path

import httpx

from shared.clock import local_today
from shared.events.coaching import CaseAssigned
from shared.events.common import Segment
from shared.events.envelope import Event
from shared.testdata import synthetic_bsn
from tests.support.distributed import distributed_system
from tests.support.kafka import produce_raw
from tests.support.pg import PgDatabases
from tests.support.system import wait_until
from tests.support.tokens import Tokens


def test_roster_and_caseload_reach_every_service_over_kafka(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:
        lead = Tokens.header(system.tokens.user("team_lead", sub="lead-utr", office="UTR"))
        claimant = Tokens.header(system.tokens.user("claimant", sub="claimant-e2e-ntk"))
        with httpx.Client(timeout=30) as http:
            r = http.post(
                f"{system.urls['coaching']}/v1/coaches",
                json={"display_name": "Coach U", "office_code": "UTR", "contract_hours": 32},
                headers=lead,
            )
            assert r.status_code == 201, r.text
            coach_id = uuid.UUID(r.json()["id"])
            coach = Tokens.header(system.tokens.user("coach", sub=str(coach_id)))

            body = {
                "bsn": synthetic_bsn(random.Random(1122)),
                "given_name": "Noor",
                "family_name": "Smit",
                "date_of_birth": "1990-02-02",
                "first_ww_day": local_today().isoformat(),
                "postcode": "1011 AB",  # AMS: not the coach's office
            }
            r = http.post(
                f"{system.urls['intake']}/v1/claims",
                json=body,
                headers=system.tokens.signed_in(claimant, body["bsn"]),
            )
            assert r.status_code == 201, r.text
            claim_id = uuid.UUID(r.json()["id"])
            urls = {
                "intake": f"{system.urls['intake']}/v1/claims/{claim_id}",
                "triage": f"{system.urls['triage']}/v1/claims/{claim_id}/scores",
                "starters": f"{system.urls['starters']}/v1/starters/applications",
            }

            def status(service: str) -> int:
                return int(http.get(urls[service], headers=coach).status_code)

            # coach.registered reached each copy: the coach is known (no 403), and the AMS
            # claim is not theirs (404; starters lists nothing of theirs: 200).
            for service, expected in (("intake", 404), ("triage", 404), ("starters", 200)):
                wait_until(
                    lambda s=service, e=expected: status(s) == e,
                    timeout=60,
                    message=f"the coach known in {service}",
                )

            # The pipeline's own case and its first assignment (or none: no AMS coach) must
            # be decided before the test's assignment, or its later event undoes the test's
            # one in intake's copy (the newest assignment wins). CI lost that race twice.
            admin = Tokens.header(system.tokens.user("admin", sub="admin-e2e-ntk"))

            # The case exists as soon as claim.registered is in, but its assignment is only
            # decided once triage's score arrives (a provisional personal one waits for the
            # intake: no event then): wait for that, so the pipeline's event carries an
            # earlier time than the test's and intake keeps the test's one.
            def decided() -> bool:
                r = http.get(f"{system.urls['coaching']}/v1/cases/{claim_id}", headers=admin)
                if r.status_code != 200 or r.json()["segment"] is None:
                    return False
                case = r.json()
                waits = case["segment"] == "personal" and case["score_provisional"]
                return bool(waits or case["assignment_status"] is not None)

            wait_until(decided, timeout=60, message="the claim's case assignment in coaching")
            # Coaching gives the coach the case: intake learns the caseload from Kafka.
            assigned = Event.create(
                CaseAssigned(
                    claim_id=claim_id,
                    case_id=uuid.uuid4(),
                    coach_id=coach_id,
                    segment=Segment.PERSONAL,
                    assigned_at=dt.datetime.now(dt.UTC),
                    rule="office_load",
                )
            )
            produce_raw(
                kafka_bootstrap,
                f"{topic_prefix}.coaching",
                [(str(claim_id).encode(), assigned.to_json_bytes())],
            )
            wait_until(
                lambda: status("intake") == 200, timeout=60, message="the caseload in intake"
            )

            r = http.post(
                f"{system.urls['coaching']}/v1/coaches/{coach_id}/deactivate",
                json={"reason": "leaves the office"},
                headers=lead,
            )
            assert r.status_code == 200, r.text
            for service in ("intake", "triage", "starters"):
                wait_until(
                    lambda s=service: status(s) == 403,
                    timeout=60,
                    message=f"the deactivation in {service}",
                )
                r = http.get(urls[service], headers=coach)
                assert r.json()["type"] == "urn:ww:problem:deactivated-coach", r.text
