"""Demo data through the public APIs: coaches on the roster and a few claims."""

from __future__ import annotations

import datetime as dt
import random
import time

import httpx

from shared.logging import get_logger
from shared.settings import ServiceSettings
from shared.testdata import synthetic_bsn
from shared.web.auth import load_or_create_local_key, mint_token

log = get_logger(__name__)

DEMO_COACHES = [
    ("Anouk de Vries", "AMS", ["under_27"], 32.0),
    ("Mohamed El Amrani", "AMS", ["over_55", "sector_logistics"], 36.0),
    ("Sanne Jansen", "RTD", ["starters"], 24.0),
    ("Pieter Bakker", "RTD", ["sector_care"], 36.0),
    ("Lotte Visser", "UTR", ["over_55"], 28.0),
    ("Daan Smit", "UTR", [], 36.0),
]
DEMO_CLAIMS = [
    ("1011 AB", 1968, "Ingrid", "de Jong"),
    ("3011 CD", 1999, "Mohamed", "Bouzid"),
    ("3511 EF", 1985, "Lotte", "van Dijk"),
    ("1055 GH", 1975, "Wim", "Mulder"),
    ("3072 JK", 1990, "Priya", "Ramdin"),
]


def admin_token(settings: ServiceSettings) -> str:
    """A short-lived admin token signed with the local dev key."""
    assert settings.auth_local_key_file is not None
    key = load_or_create_local_key(settings.auth_local_key_file)
    return mint_token(
        key,
        subject="demo-loader",
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        roles=["admin"],
        ttl=dt.timedelta(minutes=10),
    )


def load_demo_data(urls: dict[str, str], settings: ServiceSettings, *, seed: int = 2026) -> None:
    """Create demo coaches and claims unless the roster already has coaches (idempotent)."""
    headers = {"Authorization": f"Bearer {admin_token(settings)}"}
    rng = random.Random(seed)
    with httpx.Client(timeout=10, headers=headers) as client:
        existing = client.get(f"{urls['coaching']}/v1/coaches", params={"limit": 1}).json()
        if existing.get("total", 0) > 0:
            print("  demo data already present", flush=True)
            return
        for name, office, specialisms, hours in DEMO_COACHES:
            client.post(
                f"{urls['coaching']}/v1/coaches",
                json={
                    "display_name": name,
                    "office_code": office,
                    "specialisms": specialisms,
                    "contract_hours": hours,
                },
            ).raise_for_status()
        claim_ids = []
        for postcode, year, given, family in DEMO_CLAIMS:
            r = client.post(
                f"{urls['intake']}/v1/claims",
                json={
                    "bsn": synthetic_bsn(rng),
                    "given_name": given,
                    "family_name": family,
                    "first_ww_day": (
                        dt.date.today() - dt.timedelta(days=rng.randint(0, 5))
                    ).isoformat(),
                    "postcode": postcode,
                    "date_of_birth": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    "years_work_history": rng.randint(1, 30),
                },
            )
            if r.status_code == 201:
                claim_ids.append(r.json()["id"])
        # Wait briefly for the events to reach coaching, so the printed hint works at once.
        deadline = time.monotonic() + 10
        while claim_ids and time.monotonic() < deadline:
            if client.get(f"{urls['coaching']}/v1/cases/{claim_ids[-1]}").status_code == 200:
                break
            time.sleep(0.1)
        print(
            f"  demo data loaded: {len(DEMO_COACHES)} coaches, {len(claim_ids)} claims", flush=True
        )
        if claim_ids:
            print(
                f"  try: curl -H 'Authorization: Bearer <token>' {urls['coaching']}/v1/cases/{claim_ids[0]}",
                flush=True,
            )
