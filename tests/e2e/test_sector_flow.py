"""Acceptance (issue 12 item 8): one sector vocabulary over real Kafka + PostgreSQL with one
`ww run` process per service. A claim registered with a sector code reaches triage's
questionnaire (`last_sector`) and coaching's case unchanged; the claimant's partner profile
takes it; a temp agency reads the codes and finds the candidate by that code. Free text is
refused at every step (intake, the profile, the search)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.distributed import distributed_system
from tests.support.pg import PgDatabases
from tests.support.system import wait_until
from tests.support.tokens import Tokens

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _one(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one_or_none()
    finally:
        engine.dispose()


def test_a_sector_code_travels_from_the_claim_to_the_agencys_search(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    services = ("intake", "triage", "coaching")
    with distributed_system(pg, kafka_bootstrap, topic_prefix, tmp_path, services=services) as sys:
        admin = Tokens.header(sys.tokens.user("admin", sub="admin-e2e-sectors"))
        claimant = Tokens.header(sys.tokens.user("claimant", sub="claimant-e2e-sectors"))
        intake, coaching = sys.urls["intake"], sys.urls["coaching"]
        today = local_today()
        body: dict[str, Any] = {
            "bsn": synthetic_bsn(random.Random(8812)),
            "given_name": "Sanne",
            "family_name": "Bakker",
            "date_of_birth": (today - dt.timedelta(days=40 * 365)).isoformat(),
            "first_ww_day": today.isoformat(),
            "postcode": "1011 AB",
            "questionnaire_answers": {"self_rated_health": 4},
        }
        with httpx.Client(timeout=30) as http:
            r = http.post(
                f"{intake}/v1/claims",
                json={**body, "sector": "zorg"},
                headers=sys.tokens.signed_in(claimant, body["bsn"]),
            )
            assert r.status_code == 422, r.text
            assert [e["field"] for e in r.json()["errors"]] == ["sector"]
            r = http.post(
                f"{intake}/v1/claims",
                json={**body, "sector": "healthcare"},
                headers=sys.tokens.signed_in(claimant, body["bsn"]),
            )
            assert r.status_code == 201, r.text
            claim_id = uuid.UUID(r.json()["id"])

            def case_sector() -> Any:
                return _one(
                    sys.db["coaching"], "SELECT sector FROM cases WHERE claim_id = :c", c=claim_id
                )

            wait_until(lambda: case_sector() is not None, timeout=60, message="the coaching case")
            assert case_sector() == "healthcare"

            def last_sector() -> Any:
                return _one(
                    sys.db["triage"],
                    "SELECT answers ->> 'last_sector' FROM questionnaire_responses "
                    "WHERE claim_id = :c ORDER BY submitted_at DESC LIMIT 1",
                    c=claim_id,
                )

            wait_until(lambda: last_sector() is not None, timeout=60, message="triage answers")
            assert last_sector() == "healthcare"

            # The claimant shows an anonymous profile: the sector defaults to the case's.
            profile = f"{coaching}/v1/cases/{claim_id}/partner-profile"
            consent = {
                "visibility": "anonymous",
                "hours_per_week": 24,
                "available_from": today.isoformat(),
            }
            r = http.put(profile, json={**consent, "sector": "Zorg"}, headers=claimant)
            assert r.status_code == 422, r.text
            r = http.put(profile, json=consent, headers=claimant)
            assert r.status_code == 200, r.text
            assert r.json()["sector"] == "healthcare"
            ref = r.json()["candidate_ref"]

            # A temp agency reads the codes and searches by one.
            r = http.post(
                f"{coaching}/v1/partner-clients",
                json={"name": "Sector Uitzend BV", "scopes": ["candidates:read"]},
                headers=admin,
            )
            assert r.status_code == 201, r.text
            client = r.json()
            r = http.post(
                f"{coaching}/partner/v1/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client["client_id"],
                    "client_secret": client["client_secret"],
                },
                headers=FORM,
            )
            assert r.status_code == 200, r.text
            agency = Tokens.header(r.json()["access_token"])
            r = http.get(f"{coaching}/partner/v1/sectors", headers=agency)
            assert r.status_code == 200, r.text
            labels = {s["code"]: s["label_nl"] for s in r.json()["items"]}
            assert labels["healthcare"] == "Zorg en welzijn"
            search = f"{coaching}/partner/v1/candidates"
            r = http.get(search, params={"sector": "healthcare"}, headers=agency)
            assert r.status_code == 200, r.text
            assert [c["candidate_ref"] for c in r.json()["items"]] == [ref]
            assert r.json()["items"][0]["sector"] == "healthcare"
            r = http.get(search, params={"sector": "zorg"}, headers=agency)
            assert r.status_code == 422, r.text
