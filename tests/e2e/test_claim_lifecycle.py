"""Acceptance (issue 12, item 1) over real Kafka + PostgreSQL, one `ww run` per service:
register -> intake booked -> the case is closed through coaching's API -> intake closes the
claim (`case.closed` over Kafka), cancels the intake by the service and frees the slot ->
the same BSN registers again and is booked (into the freed slot)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import httpx

from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.db import scalar
from tests.support.distributed import distributed_system
from tests.support.kafka import read_all
from tests.support.pg import PgDatabases
from tests.support.system import wait_until
from tests.support.tokens import Tokens


def test_a_closed_case_closes_the_claim_and_the_bsn_claims_again(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:
        admin = Tokens.header(system.tokens.user("admin", sub="admin-e2e"))
        lead = Tokens.header(system.tokens.user("team_lead", sub="lead-e2e", office="AMS"))
        claimant = Tokens.header(system.tokens.user("claimant", sub="claimant-e2e-close"))
        intake, coaching = system.urls["intake"], system.urls["coaching"]
        today = local_today()
        with httpx.Client(timeout=30) as http:
            r = http.post(
                f"{coaching}/v1/coaches",
                json={"display_name": "Coach Sanne", "office_code": "AMS", "contract_hours": 32},
                headers=admin,
            )
            assert r.status_code == 201, r.text
            coach_id = r.json()["id"]
            # The roster reaches intake over Kafka (coach.registered); then the agenda.
            day = WorkingDays().add_working_days(today, 1)
            agenda = {
                "blocks": [
                    {
                        "weekday": day.weekday(),
                        "start_time": "09:00",
                        "end_time": "10:00",
                        "office_code": "AMS",
                    }
                ]
            }

            def put_agenda() -> bool:
                r = http.put(f"{intake}/v1/coaches/{coach_id}/agenda", json=agenda, headers=lead)
                return r.status_code == 200

            wait_until(put_agenda, timeout=60, message="the coach's agenda in intake")

            bsn = synthetic_bsn(random.Random(1212))
            body = {
                "bsn": bsn,
                "given_name": "Lotte",
                "family_name": "Visser",
                "date_of_birth": "1985-05-05",
                "first_ww_day": today.isoformat(),
                "postcode": "1011 AB",
            }
            r = http.post(
                f"{intake}/v1/claims",
                json=body,
                headers=system.tokens.signed_in(claimant, body["bsn"]),
            )
            assert r.status_code == 201, r.text
            claim_id = r.json()["id"]

            def appointments(cid: str) -> list[dict[str, Any]]:
                r = http.get(f"{intake}/v1/claims/{cid}/appointments", headers=admin)
                assert r.status_code == 200, r.text
                return list(r.json())

            [booked] = appointments(claim_id)
            assert (booked["status"], booked["coach_id"]) == ("booked", coach_id)

            case_url = f"{coaching}/v1/cases/{claim_id}"
            wait_until(
                lambda: http.get(case_url, headers=lead).status_code == 200,
                timeout=60,
                message="the case in coaching",
            )
            r = http.post(
                f"{case_url}/close",
                json={
                    "result": "work_resumed",
                    "closed_on": today.isoformat(),
                    "reported_by": "claimant",
                },
                headers=lead,
            )
            assert r.status_code == 200, r.text

            def claim() -> dict[str, Any]:
                return dict(http.get(f"{intake}/v1/claims/{claim_id}", headers=admin).json())

            wait_until(
                lambda: claim()["status"] == "closed",
                timeout=60,
                message="the claim closed in intake",
            )
            closed = claim()
            assert (closed["close_reason"], closed["closed_on"]) == (
                "work_resumed",
                today.isoformat(),
            )
            [kept] = appointments(claim_id)
            assert kept["status"] == "cancelled_by_service"
            slot_state = scalar(
                system.db["intake"],
                "SELECT count(*) FROM appointments WHERE slot_id = :slot "
                "AND status IN ('booked', 'rescheduled')",
                slot=booked["slot_id"],
            )
            assert slot_state == 0  # the slot is free again

            listed = http.get(
                f"{intake}/v1/claims", params={"status": "closed"}, headers=admin
            ).json()
            assert [c["id"] for c in listed["items"]] == [claim_id]

            r = http.post(
                f"{intake}/v1/claims",
                json=body,
                headers=system.tokens.signed_in(claimant, body["bsn"]),
            )
            assert r.status_code == 201, r.text
            again = r.json()["id"]
            assert again != claim_id
            [rebooked] = appointments(again)
            assert rebooked["status"] == "booked"
            assert rebooked["slot_id"] == booked["slot_id"]  # the freed slot, the earliest

            # Coaching opens a new case for the new claim; the old one stays closed.
            wait_until(
                lambda: http.get(f"{coaching}/v1/cases/{again}", headers=lead).status_code == 200,
                timeout=60,
                message="a case for the new claim",
            )
            assert http.get(case_url, headers=lead).json()["status"] == "closed"
            for svc in ("intake", "coaching"):
                assert read_all(kafka_bootstrap, f"{topic_prefix}.{svc}.dlq") == []
