"""Acceptance (issue 12, item 3) over real Kafka + PostgreSQL, one `ww run` per service:
a repeated no-show reaches the coach.

A claimant registers (intake books the intake with coach Sanne) and answers triage's
questionnaire strongly: digital service, no coach, a check-in date. Intake's staff record
a no-show (intake books a summons), and a second one at the summons. Over Kafka coaching
then shows the no-show count and flag on the coach's caseload, the coach has a
`repeated_no_show` task, and the case moved to personal service (coaching's system
override, audited) with Sanne as its coach (she was the booked intake coach).

The intake appointments are moved into the past in intake's database so a no-show can be
recorded (intake accepts one only after the start); everything else goes through the APIs.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.distributed import distributed_system
from tests.support.kafka import read_all
from tests.support.pg import PgDatabases
from tests.support.system import wait_until
from tests.support.tokens import Tokens

STRONG: dict[str, Any] = {
    "education_level": "bachelor",
    "years_work_history": 20,
    "last_sector": "healthcare",
    "last_occupation_level": "higher",
    "hours_per_week": 36,
    "self_rated_health": 5,
    "work_limitations": "none",
    "job_search_intention": 5,
    "self_efficacy": 5,
    "expectation": 5,
    "social_network": 4,
    "dutch_language": "native",
    "digital_skills": 4,
    "mobility": "car",
    "driving_licence": True,
    "previous_unemployment_spells": 0,
    "severance_received": False,
    "reservation_wage_ratio": 1.0,
}


def _into_the_past(intake_db: str, appointment: dict[str, Any], coach_id: str) -> None:
    """Put the appointment in a fresh slot of its coach that started ten minutes ago."""
    starts = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    slot_id = uuid.uuid4()
    engine = create_engine(intake_db)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO slots (id, coach_id, office_code, starts_at, ends_at, state) "
                    "VALUES (:id, :coach, 'AMS', :s, :e, 'open')"
                ),
                {
                    "id": slot_id,
                    "coach": uuid.UUID(coach_id),
                    "s": starts,
                    "e": starts + dt.timedelta(minutes=45),
                },
            )
            conn.execute(
                text(
                    "UPDATE appointments SET slot_id = :slot, starts_at = :s, ends_at = :e "
                    "WHERE id = :id"
                ),
                {
                    "slot": slot_id,
                    "s": starts,
                    "e": starts + dt.timedelta(minutes=45),
                    "id": uuid.UUID(appointment["id"]),
                },
            )
    finally:
        engine.dispose()


def test_a_repeated_no_show_reaches_the_coach_over_kafka(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:
        admin = Tokens.header(system.tokens.user("admin", sub="admin-e2e"))
        lead = Tokens.header(system.tokens.user("team_lead", sub="lead-e2e", office="AMS"))
        claimant = Tokens.header(system.tokens.user("claimant", sub="claimant-e2e-no-show"))
        intake, coaching, triage = (system.urls[s] for s in ("intake", "coaching", "triage"))
        today = local_today()
        with httpx.Client(timeout=30) as http:
            r = http.post(
                f"{coaching}/v1/coaches",
                json={"display_name": "Coach Sanne", "office_code": "AMS", "contract_hours": 32},
                headers=admin,
            )
            assert r.status_code == 201, r.text
            coach_id = r.json()["id"]
            coach = Tokens.header(system.tokens.user("coach", sub=coach_id, office="AMS"))
            # Every weekday morning, so the summons finds a slot within 3 working days.
            agenda = {
                "blocks": [
                    {"weekday": d, "start_time": "09:00", "end_time": "12:00", "office_code": "AMS"}
                    for d in range(5)
                ]
            }
            wait_until(
                lambda: (
                    http.put(
                        f"{intake}/v1/coaches/{coach_id}/agenda", json=agenda, headers=lead
                    ).status_code
                    == 200
                ),
                timeout=60,
                message="the coach's agenda in intake (the roster over Kafka)",
            )

            body = {
                "bsn": synthetic_bsn(random.Random(1203)),
                "given_name": "Noor",
                "family_name": "Bakker",
                "date_of_birth": "1986-03-14",
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
            [booked] = http.get(f"{intake}/v1/claims/{claim_id}/appointments", headers=admin).json()
            assert booked["coach_id"] == coach_id

            # Triage: strong answers, digital service; coaching gives a check-in, no coach.
            case_url = f"{coaching}/v1/cases/{claim_id}"

            def case() -> dict[str, Any] | None:
                r = http.get(case_url, headers=admin)
                return r.json() if r.status_code == 200 else None

            wait_until(lambda: case() is not None, timeout=60, message="the case in coaching")
            r = http.put(
                f"{triage}/v1/claims/{claim_id}/questionnaire",
                json={"questionnaire_version": "1", "answers": STRONG},
                headers=claimant,
            )
            assert r.status_code == 200, r.text
            assert r.json()["current_segment"] == "digital"
            wait_until(
                lambda: (c := case()) is not None and c["assignment_status"] == "digital",
                timeout=60,
                message="the digital case in coaching",
            )
            digital = case()
            assert digital is not None
            assert (digital["coach_id"], digital["no_show_count"]) == (None, 0)
            assert digital["checkin_on"] is not None

            # Intake records the first no-show: a summons is booked.
            _into_the_past(system.db["intake"], booked, coach_id)
            r = http.post(f"{intake}/v1/appointments/{booked['id']}/no-show", headers=lead)
            assert r.status_code == 200, r.text
            first = r.json()
            assert (first["no_show_count"], first["flagged_for_coach"]) == (1, False)
            summons = first["summons"]
            assert summons is not None
            assert summons["summoned"] is True
            wait_until(
                lambda: (
                    (c := case()) is not None
                    and c["no_show_count"] == 1
                    and c["summons_at"] is not None
                ),
                timeout=60,
                message="the first no-show and the summons in coaching",
            )
            once = case()
            assert once is not None
            assert (once["no_show_flag"], once["segment"]) == (False, "digital")

            # The claimant misses the summons too.
            _into_the_past(system.db["intake"], summons, coach_id)
            r = http.post(f"{intake}/v1/appointments/{summons['id']}/no-show", headers=lead)
            assert r.status_code == 200, r.text
            assert (r.json()["no_show_count"], r.json()["flagged_for_coach"]) == (2, True)

            wait_until(
                lambda: (c := case()) is not None and c["assignment_status"] == "assigned",
                timeout=60,
                message="the case moved to personal service and assigned in coaching",
            )
            moved = case()
            assert moved is not None
            assert (moved["segment"], moved["segment_override"], moved["coach_id"]) == (
                "personal",
                "repeated_no_show",
                coach_id,
            )
            assert moved["checkin_on"] is None

            # The coach's caseload shows it, with the task as the next action.
            mine = http.get(f"{coaching}/v1/cases", params={"status": "open"}, headers=coach)
            assert mine.status_code == 200, mine.text
            (row,) = mine.json()["items"]
            assert (row["claim_id"], row["no_show_count"], row["no_show_flag"]) == (
                claim_id,
                2,
                True,
            )
            assert row["next_action"] == "follow up repeated_no_show"
            tasks = http.get(f"{coaching}/v1/tasks", headers=coach)
            assert tasks.status_code == 200, tasks.text
            assert [(t["kind"], t["appointment_id"]) for t in tasks.json()["items"]] == [
                ("repeated_no_show", summons["id"])
            ]

        published = [
            e["data"]
            for r in read_all(kafka_bootstrap, f"{topic_prefix}.coaching")
            if (e := json.loads(r.value))["type"] == "case.assigned"
            and e["data"]["claim_id"] == claim_id
        ]
        assert [(e["coach_id"], e["rule"]) for e in published] == [
            (None, "digital"),
            (coach_id, "continuity"),
        ]
        for svc in ("intake", "triage", "coaching"):
            assert read_all(kafka_bootstrap, f"{topic_prefix}.{svc}.dlq") == []
