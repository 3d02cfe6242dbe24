"""No BSN ever reaches a log line or an event, whatever a caller sends and wherever.

The whole system runs as one `python -m ww embedded` process at DEBUG level. Every
endpoint of every service receives valid BSNs: in bodies (valid registrations, searches and
bad-input variants that put the BSN in other fields), in query strings, in the
X-Correlation-ID header and in path segments. Events flow through all services. After a
clean Ctrl-C the log file and every outbox are searched for the BSNs' digit strings.

Free-text fields that are stored and published as they are (a coach's
`display_name`, a deactivation `reason`) are deliberately not fed a BSN here: a BSN typed
into them is valid input today and would be published or audited verbatim (a known gap).
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.bsn_scan import claim_body, forms, needles, scan
from tests.support.embedded_proc import EmbeddedSystem, embedded_system
from ww.registry import SERVICE_NAMES

RNG = random.Random(20261127)
BSNS: list[str] = []  # every BSN sent, in order
TODAY = local_today().isoformat()


def bsn() -> str:
    """A fresh valid BSN for each use, so a leak points at the request that caused it."""
    while (value := synthetic_bsn(RNG)) in BSNS:
        pass
    BSNS.append(value)
    return value


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSystem]:
    with embedded_system(tmp_path_factory.mktemp("bsn-e2e"), log_level="DEBUG") as s:
        s.wait_healthy(timeout=60)
        yield s


def test_bsns_reach_every_endpoint_but_never_a_log_line_or_an_event(
    system: EmbeddedSystem,
) -> None:
    tokens = system.tokens
    intake, triage, coaching = (system.urls[s] for s in ("intake", "triage", "coaching"))
    staff = {"Authorization": f"Bearer {tokens.user('admin', sub='admin-e2e')}"}
    claimant = {"Authorization": f"Bearer {tokens.user('claimant', sub='claimant-e2e')}"}
    partner = {"Authorization": f"Bearer {tokens.app('agency-e2e', 'claims:register')}"}
    statuses: dict[str, int] = {}
    registered: list[str] = []

    with httpx.Client(timeout=10) as http:

        def send(label: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
            kwargs.setdefault("headers", staff)
            r = http.request(method, url, **kwargs)
            statuses[label] = r.status_code
            assert r.status_code < 500, f"{label}: {r.status_code} {r.text}"
            return r

        # --- intake: valid registrations (staff, claimant, partner), BSN also as a JSON number
        own = bsn()  # the claimant's: it comes from the sign-in, in the token (ADR 0025)
        for label, headers, body in (
            ("register staff", staff, claim_body(bsn(), date_of_birth="1980-05-01")),
            ("register claimant", tokens.signed_in(claimant, own), claim_body(own)),
            ("register partner", partner, claim_body(bsn(), years_work_history=4)),
            ("register bsn as number", staff, claim_body(int(bsn()))),
            ("register spaced bsn", staff, claim_body(" ".join(bsn()))),
        ):
            r = send(label, "POST", f"{intake}/v1/claims", json=body, headers=headers)
            assert r.status_code == 201, f"{label}: {r.text}"
            registered.append(r.json()["id"])
        first = registered[0]

        # BSN in the correlation id header of a valid registration and of other requests.
        r = send(
            "register with bsn correlation id",
            "POST",
            f"{intake}/v1/claims",
            json=claim_body(bsn()),
            headers={**staff, "X-Correlation-ID": bsn()},
        )
        assert r.status_code == 201
        registered.append(r.json()["id"])
        leaked_cid = bsn()
        r = send(
            "cid", "GET", f"{intake}/v1/claims", headers={**staff, "X-Correlation-ID": leaked_cid}
        )
        assert leaked_cid not in r.headers["x-correlation-id"]

        # BSNs in the request headers a proxy or access log might record.
        r = send(
            "register with bsn headers",
            "POST",
            f"{intake}/v1/claims",
            json=claim_body(bsn()),
            headers={
                **staff,
                "User-Agent": f"agent/{bsn()}",
                "Referer": f"http://example.org/?bsn={bsn()}",
                "X-Forwarded-For": bsn(),
            },
        )
        assert r.status_code == 201, r.text
        registered.append(r.json()["id"])
        # Obfuscated forms of one BSN in the bsn field: accepted once (normalised) or refused.
        for name, form in forms(bsn()).items():
            r = send(f"register bsn {name}", "POST", f"{intake}/v1/claims", json=claim_body(form))
            assert r.status_code in (201, 409, 422), f"{name}: {r.text}"
            if r.status_code == 201:
                registered.append(r.json()["id"])

        # Duplicates and searches.
        dup = BSNS[0]
        assert (
            send("duplicate", "POST", f"{intake}/v1/claims", json=claim_body(dup)).status_code
            == 409
        )
        assert (
            send("search hit", "POST", f"{intake}/v1/claims/search", json={"bsn": dup}).status_code
            == 200
        )
        assert (
            send(
                "search miss", "POST", f"{intake}/v1/claims/search", json={"bsn": bsn()}
            ).status_code
            == 200
        )

        # Bad input that carries a BSN in some other place.
        valid = bsn()
        for label, body in (
            ("bsn in postcode", claim_body(valid, postcode=bsn())),
            ("bsn in first_ww_day", claim_body(valid, first_ww_day=bsn())),
            ("bsn in date_of_birth", claim_body(valid, date_of_birth=bsn())),
            ("bsn in years", claim_body(valid, years_work_history=int(bsn()))),
            ("bsn in hours", claim_body(valid, hours_lost_per_week=int(bsn()))),
            ("bsn in language", claim_body(valid, preferred_language=bsn())),
            ("bsn in education", claim_body(valid, education_level=bsn())),
            ("bsn in unknown field", claim_body(valid, ssn=bsn())),
            ("bsn as list", claim_body([bsn()])),
            ("bsn as object", claim_body({"nr": bsn()})),
            (
                "bsn key renamed",
                {"burgerservicenummer": bsn(), "first_ww_day": TODAY, "postcode": "1011 AB"},
            ),
        ):
            assert send(label, "POST", f"{intake}/v1/claims", json=body).status_code == 422, label
        for label, content, ctype in (
            ("malformed json", f'{{"bsn": "{bsn()}", "postcode": '.encode(), "application/json"),
            ("text/plain", json.dumps(claim_body(bsn())).encode(), "text/plain"),
            (
                "form",
                f"bsn={bsn()}&first_ww_day={TODAY}".encode(),
                "application/x-www-form-urlencoded",
            ),
        ):
            r = send(
                label,
                "POST",
                f"{intake}/v1/claims",
                content=content,
                headers={**staff, "content-type": ctype},
            )
            assert r.status_code in (400, 422), label
        assert (
            send(
                "search bad",
                "POST",
                f"{intake}/v1/claims/search",
                json={"bsn": [bsn()], "x": bsn()},
            ).status_code
            == 422
        )

        # Query strings, path segments and GET bodies on every intake read endpoint.
        send("list office=bsn", "GET", f"{intake}/v1/claims", params={"office_code": bsn()})
        send("list status=bsn", "GET", f"{intake}/v1/claims", params={"status": bsn()})
        send("list limit=bsn", "GET", f"{intake}/v1/claims", params={"limit": bsn()})
        send("list date=bsn", "GET", f"{intake}/v1/claims", params={"first_ww_day_from": bsn()})
        send("list stray bsn param", "GET", f"{intake}/v1/claims", params={"bsn": bsn()})
        send("list with body", "GET", f"{intake}/v1/claims", json={"bsn": bsn()})
        send("claim path=bsn", "GET", f"{intake}/v1/claims/{bsn()}")
        send(
            "claim ok with query",
            "GET",
            f"{intake}/v1/claims/{first}",
            params={"bsn": bsn()},
            json={"bsn": bsn()},
        )
        send(
            "claimant reads own",
            "GET",
            f"{intake}/v1/claims/{registered[1]}",
            headers={**claimant, "X-Correlation-ID": bsn()},
        )

        # Let the events flow: every registration becomes a score and a case.
        def all_cases_scored() -> bool:
            page = http.get(f"{coaching}/v1/cases", params={"limit": 200}, headers=staff).json()
            cases = {c["claim_id"]: c for c in page["items"]}
            return set(registered) <= set(cases) and all(
                cases[c]["segment"] is not None for c in registered
            )

        system.wait_for(all_cases_scored, timeout=30, what="cases with segments for every claim")

        # --- triage
        send("scores ok", "GET", f"{triage}/v1/claims/{first}/scores", params={"bsn": bsn()})
        send(
            "scores path=bsn",
            "GET",
            f"{triage}/v1/claims/{bsn()}/scores",
            headers={**staff, "X-Correlation-ID": bsn()},
        )
        send("scores with body", "GET", f"{triage}/v1/claims/{first}/scores", json={"bsn": bsn()})

        # --- coaching: roster and cases
        coach = send(
            "coach ok",
            "POST",
            f"{coaching}/v1/coaches",
            json={"display_name": "Daan Smit", "office_code": "AMS", "contract_hours": 36},
            headers={**staff, "X-Correlation-ID": bsn()},
        ).json()
        for label, body in (
            ("coach office=bsn", {"display_name": "X", "office_code": bsn(), "contract_hours": 8}),
            (
                "coach hours=bsn",
                {"display_name": "X", "office_code": "AMS", "contract_hours": bsn()},
            ),
            (
                "coach specialism=bsn",
                {
                    "display_name": "X",
                    "office_code": "AMS",
                    "contract_hours": 8,
                    "specialisms": [bsn()],
                },
            ),
            (
                "coach unknown field",
                {"display_name": "X", "office_code": "AMS", "contract_hours": 8, "bsn": bsn()},
            ),
        ):
            assert send(label, "POST", f"{coaching}/v1/coaches", json=body).status_code == 422, (
                label
            )
        send(
            "coaches query",
            "GET",
            f"{coaching}/v1/coaches",
            params={"office_code": bsn(), "sort": bsn()},
        )
        send("coaches body", "GET", f"{coaching}/v1/coaches", json={"bsn": bsn()})
        send("coach path=bsn", "GET", f"{coaching}/v1/coaches/{bsn()}")
        send("coach get body", "GET", f"{coaching}/v1/coaches/{coach['id']}", json={"bsn": bsn()})
        send(
            "patch bad",
            "PATCH",
            f"{coaching}/v1/coaches/{coach['id']}",
            json={"office_code": bsn(), "bsn": bsn()},
        )
        send(
            "patch path=bsn", "PATCH", f"{coaching}/v1/coaches/{bsn()}", json={"contract_hours": 8}
        )
        send(
            "deactivate path=bsn",
            "POST",
            f"{coaching}/v1/coaches/{bsn()}/deactivate",
            json={"reason": "left"},
        )
        send(
            "deactivate bad",
            "POST",
            f"{coaching}/v1/coaches/{coach['id']}/deactivate",
            json={"reason": "left", "bsn": bsn()},
        )
        send(
            "deactivate unknown",
            "POST",
            f"{coaching}/v1/coaches/{uuid.uuid4()}/deactivate",
            json={"reason": "left", "ssn": bsn()},
        )
        send(
            "cases query",
            "GET",
            f"{coaching}/v1/cases",
            params={"office_code": bsn(), "segment": bsn()},
        )
        send("cases body", "GET", f"{coaching}/v1/cases", json={"bsn": bsn()})
        send("case path=bsn", "GET", f"{coaching}/v1/cases/{bsn()}")
        send("case ok", "GET", f"{coaching}/v1/cases/{first}", params={"bsn": bsn()})

        # --- every service: unknown routes, ops endpoints, no token, bad token
        for service in SERVICE_NAMES:
            url = system.urls[service]
            send(f"{service} unknown path", "GET", f"{url}/v1/{bsn()}")
            send(f"{service} unknown post", "POST", f"{url}/{bsn()}", json={"bsn": bsn()})
            for ops in ("health", "ready", "metrics"):
                send(
                    f"{service} {ops}",
                    "GET",
                    f"{url}/{ops}",
                    params={"bsn": bsn()},
                    headers={"X-Correlation-ID": bsn()},
                )
        send("no token", "POST", f"{intake}/v1/claims", json=claim_body(bsn()), headers={})
        send(
            "token is bsn",
            "POST",
            f"{intake}/v1/claims",
            json=claim_body(bsn()),
            headers={"Authorization": f"Bearer {bsn()}"},
        )

        # Give the relays a moment to publish what the last requests produced.
        system.wait_for(
            lambda: all(
                system.query(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0
                for s in SERVICE_NAMES
            ),
            timeout=30,
            what="empty outboxes",
        )

    assert len(registered) >= 7
    assert len(BSNS) >= 70, len(BSNS)

    exit_code = system.interrupt(timeout=20)
    assert exit_code == 0, system.text()[-3000:]

    log = system.text()
    assert '"event": "http.request"' in log, "logging was off: no http.request lines"
    # One access-log line per request, except the unlogged ops endpoints.
    logged = [k for k in statuses if not k.endswith(("health", "ready", "metrics"))]
    assert log.count('"event": "http.request"') >= len(logged)
    assert '"level": "debug"' in log, "the process did not log at DEBUG"
    leaks_in_log = sorted({b for b in BSNS if b in log})
    assert not leaks_in_log, f"BSNs in the log: {leaks_in_log}"

    for service in SERVICE_NAMES:
        with closing(sqlite3.connect(f"file:{system.db(service)}?mode=ro", uri=True)) as conn:
            bodies = [row[0] for row in conn.execute("SELECT body FROM outbox")]
            audit = [
                json.dumps(row)
                for row in conn.execute(
                    "SELECT actor, resource_id, reason, old_values, new_values, correlation_id "
                    "FROM audit_log"
                )
            ]
        if service in ("intake", "triage", "coaching"):
            assert bodies, f"{service} published nothing: the events did not flow"
        leaks = sorted({b for b in BSNS for body in bodies + audit if b in body})
        assert not leaks, f"BSNs in {service}'s outbox or audit log: {leaks}"

    # The raw SQLite files (database, WAL, shared memory) after a clean stop: every BSN as
    # digits, in each obfuscated form, and as hex and base64 of its digits.
    raw = {p.name: p.read_bytes() for p in system.state_dir.glob("*.db*") if p.is_file()}
    assert any(name.endswith(".db") for name in raw), sorted(raw)
    found = scan(raw, needles(BSNS))
    assert not found, f"BSNs in the SQLite files: {found}"
