"""Demo data through the public APIs: coaches on the roster and a few claims (embedded mode)."""

from __future__ import annotations

import datetime as dt
import random
import time

import httpx

from shared.clock import local_today
from shared.demo import DEMO_CLAIMS, DEMO_COACHES, demo_claimant_subject
from shared.logging import get_logger
from shared.settings import ServiceSettings
from shared.testdata import synthetic_bsn
from shared.web.auth import load_or_create_local_key, mint_token

log = get_logger(__name__)


def claimant_token(settings: ServiceSettings, subject: str, bsn: str) -> str:
    """A claimant's token with the BSN of their sign-in, as the DigiD broker gives it."""
    assert settings.auth_local_key_file is not None
    key = load_or_create_local_key(settings.auth_local_key_file)
    return mint_token(
        key,
        subject=subject,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        roles=["claimant"],
        bsn=bsn,
        ttl=dt.timedelta(minutes=10),
    )


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
        coach_ids: list[tuple[str, str]] = []
        for name, office, specialisms, hours in DEMO_COACHES:
            r = client.post(
                f"{urls['coaching']}/v1/coaches",
                json={
                    "display_name": name,
                    "office_code": office,
                    "specialisms": specialisms,
                    "contract_hours": hours,
                },
            )
            r.raise_for_status()
            coach_ids.append((r.json()["id"], office))
        _demo_agendas(client, urls["intake"], coach_ids)
        claim_ids = []
        for postcode, year, given, family, street, number, city, prefers, lang in DEMO_CLAIMS:
            bsn = synthetic_bsn(rng)
            # Each demo claimant registers their own claim (channel `claimant`), so they
            # can sign in to the web's claimant pages and see it (need to know, ADR 0022).
            as_claimant = claimant_token(settings, demo_claimant_subject(given), bsn)
            r = client.post(
                f"{urls['intake']}/v1/claims",
                headers={"Authorization": f"Bearer {as_claimant}"},
                json={
                    "bsn": bsn,
                    "given_name": given,
                    "family_name": family,
                    "email": f"{given.lower()}.{family.lower().replace(' ', '')}@example.org",
                    "street": street,
                    "house_number": number,
                    "city": city,
                    "contact_preference": prefers,
                    "preferred_language": lang,
                    "first_ww_day": (
                        local_today() - dt.timedelta(days=rng.randint(0, 5))
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
        booked = sum(
            1
            for c in claim_ids
            if client.get(f"{urls['intake']}/v1/claims/{c}/appointments").json()
        )
        print(
            f"  demo data loaded: {len(DEMO_COACHES)} coaches with intake agendas, "
            f"{len(claim_ids)} claims ({booked} with an intake booked in week one)",
            flush=True,
        )
        if claim_ids:
            print(
                f"  try: curl -H 'Authorization: Bearer <token>' {urls['coaching']}/v1/cases/{claim_ids[0]}",
                flush=True,
            )
        _demo_partner(client, urls["coaching"])


def _demo_partner(client: httpx.Client, coaching_url: str) -> None:
    """A demo temp agency with every partner scope; its secret is printed once (embedded
    demo only: a real agency's secret is shown to the admin who registers it)."""
    r = client.post(
        f"{coaching_url}/v1/partner-clients",
        json={
            "name": "Demo Uitzendbureau",
            "scopes": ["vacancies:write", "candidates:read", "placements:write"],
        },
    )
    if r.status_code != 201:
        print(f"  demo partner client not created: {r.status_code}", flush=True)
        return
    created = r.json()
    print(
        f"  demo partner client {created['client_id']}: get a token with\n"
        f"    curl -d grant_type=client_credentials -d client_id={created['client_id']} "
        f"-d client_secret={created['client_secret']} {coaching_url}/partner/v1/oauth/token",
        flush=True,
    )


# Weekly intake hours of every demo coach: Monday to Friday, 09:00-12:00 and 13:00-16:00.
DEMO_BLOCKS = [
    (d, start, end) for d in range(5) for start, end in (("09:00", "12:00"), ("13:00", "16:00"))
]


def _demo_agendas(client: httpx.Client, intake_url: str, coaches: list[tuple[str, str]]) -> None:
    """Give every demo coach intake hours, once intake has them on its roster (an event)."""
    for coach_id, office in coaches:
        url = f"{intake_url}/v1/coaches/{coach_id}/agenda"
        deadline = time.monotonic() + 10
        while client.get(url).status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.1)
        blocks = [
            {"weekday": d, "start_time": start, "end_time": end, "office_code": office}
            for d, start, end in DEMO_BLOCKS
        ]
        r = client.put(url, json={"blocks": blocks})
        if r.status_code != 200:
            log.warning("demo.agenda_failed", status=r.status_code)
