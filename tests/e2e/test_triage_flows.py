"""Acceptance (issue 4): override and re-triage flows end to end through events; coaching
receives the new segment. Once in embedded mode (`ww embedded`: SQLite, in-process events)
and once on real Kafka + PostgreSQL with one `ww run` process per service.

The story, with the default model (docs/triage-model.md):
1. A claimant of 58 registers themselves: the provisional rule says `personal`.
2. They answer the questionnaire with strong answers: re-triage -> `digital`.
3. A triage analyst overrides to `personal` (reason: health): coaching follows.
4. The time-in-WW re-triage (their first WW day is 13+ weeks ago) re-scores the same
   answers: the score says `digital`, but the override stays in force; coaching keeps
   `personal`.
5. New answers end the override: coaching gets the new score's segment, `digital`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.distributed import distributed_system
from tests.support.embedded_proc import embedded_system
from tests.support.pg import PgDatabases
from tests.support.system import wait_until
from tests.support.tokens import Tokens

STRONG: dict[str, Any] = {
    "education_level": "bachelor",
    "years_work_history": 30,
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


def _run_story(
    urls: dict[str, str], tokens: Tokens, wait: Callable[[Callable[[], Any], str], Any]
) -> None:
    today = local_today()
    claimant = Tokens.header(tokens.user("claimant", sub="claimant-e2e-58"))
    analyst = Tokens.header(tokens.user("triage_analyst", sub="analyst-e2e"))
    admin = Tokens.header(tokens.user("admin", sub="admin-e2e"))
    body = {
        "bsn": synthetic_bsn(random.Random(58)),
        "given_name": "Henk",
        "family_name": "de Vries",
        "date_of_birth": (today - dt.timedelta(days=58 * 365 + 60)).isoformat(),
        "first_ww_day": (today - dt.timedelta(weeks=13, days=1)).isoformat(),
        "postcode": "1011 AB",
        "years_work_history": 30,
    }
    with httpx.Client(timeout=30) as http:
        r = http.post(
            f"{urls['intake']}/v1/claims",
            json=body,
            headers=tokens.signed_in(claimant, body["bsn"]),
        )
        assert r.status_code == 201, r.text
        claim_id = r.json()["id"]
        case_url = f"{urls['coaching']}/v1/cases/{claim_id}"
        triage = f"{urls['triage']}/v1/claims/{claim_id}"

        def case_segment(expected: str, scores: int) -> Callable[[], bool]:
            def check() -> bool:
                case = http.get(case_url, headers=admin)
                history = http.get(f"{triage}/scores", headers=admin)
                return (
                    case.status_code == 200
                    and case.json()["segment"] == expected
                    and history.status_code == 200
                    and len(history.json()) == scores
                )

            return check

        # 1. Provisional score at registration; the claimant sees their own explanation.
        wait(case_segment("personal", 1), "the provisional segment in coaching")
        explanation = http.get(f"{triage}/explanation?lang=en", headers=claimant)
        assert explanation.status_code == 200, explanation.text
        assert explanation.json()["provisional"] is True

        # 2. The questionnaire re-triages: digital.
        r = http.put(
            f"{triage}/questionnaire",
            json={"questionnaire_version": "1", "answers": STRONG},
            headers=claimant,
        )
        assert r.status_code == 200, r.text
        assert (r.json()["score"]["segment"], r.json()["current_segment"]) == ("digital", "digital")
        wait(case_segment("digital", 2), "coaching gets the questionnaire's segment")

        # 3. The human decision: personal.
        r = http.post(
            f"{triage}/override",
            json={"segment": "personal", "reason_category": "health", "reason_text": "Burn-out"},
            headers=analyst,
        )
        assert r.status_code == 201, r.text
        wait(case_segment("personal", 2), "coaching gets the overridden segment")

        # 4. Time in WW: re-scored, the override stays.
        r = http.post(f"{urls['triage']}/v1/admin/retriage/run", headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["rescored"] >= 1
        wait(case_segment("personal", 3), "the re-score keeps the override in coaching")
        latest = http.get(f"{triage}/scores", headers=admin).json()[0]
        assert (latest["trigger"], latest["segment"]) == ("time_in_ww", "digital")

        # 5. New answers end the override.
        r = http.put(
            f"{triage}/questionnaire",
            json={"questionnaire_version": "1", "answers": {**STRONG, "social_network": 5}},
            headers=claimant,
        )
        assert r.status_code == 200, r.text
        assert r.json()["current_segment"] == "digital"
        wait(case_segment("digital", 4), "coaching gets the new score's segment")


def test_override_and_retriage_reach_coaching_embedded(tmp_path: Path) -> None:
    with embedded_system(tmp_path) as system:
        system.wait_healthy(timeout=60)

        def wait(predicate: Callable[[], Any], what: str) -> Any:
            return system.wait_for(predicate, timeout=30, what=what)

        _run_story(system.urls, system.tokens, wait)
        assert "consumer.dead_lettered" not in system.text()
        processed = dict(
            system.query(
                "coaching",
                "SELECT event_type, count(*) FROM processed_events "
                "WHERE event_type LIKE 'triage.%' GROUP BY event_type",
            )
        )
        assert processed == {"triage.scored": 4, "triage.overridden": 1}
        assert system.interrupt(timeout=20) == 0, system.text()[-3000:]


def test_override_and_retriage_reach_coaching_over_kafka(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path) as system:

        def wait(predicate: Callable[[], Any], what: str) -> Any:
            return wait_until(predicate, timeout=60, message=what)

        _run_story(system.urls, system.tokens, wait)
        from tests.support.kafka import read_all

        events = [r.value for r in read_all(kafka_bootstrap, f"{topic_prefix}.triage", expect=5)]
        assert len(events) == 5
        for svc in ("triage", "coaching"):
            assert read_all(kafka_bootstrap, f"{topic_prefix}.{svc}.dlq") == []
