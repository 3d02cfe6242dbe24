"""One sector vocabulary (issue 12 item 8) on PostgreSQL: the list endpoints for people and
partner applications, and a claim registered with old free text becoming a coded case."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from coaching.partner.clients.models import PartnerClient
from shared.clock import local_today
from shared.events.common import RegistrationChannel
from shared.events.intake import ClaimRegistered
from shared.messaging.consumer import Outcome
from shared.reference.sectors import load_sectors
from tests.support.coaching import Office, office
from tests.support.fakes import incoming
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration
__all__ = ["office"]

PEOPLE = "/v1/sectors"
PARTNERS = "/partner/v1/sectors"


def _client(o: Office, client_id: str, *scopes: str) -> dict[str, str]:
    with o.container.session_factory() as s:
        s.add(
            PartnerClient(
                client_id=client_id,
                name=client_id,
                secret_hash="not-used-by-these-tests",
                scopes=list(scopes),
                requests_per_minute=10_000,
                daily_profile_cap=100,
                status="active",
                created_by="test",
            )
        )
        s.commit()
    return Tokens.header(o.tokens.app(client_id, *scopes))


def test_people_list_every_code_with_dutch_and_english_labels(office: Office) -> None:
    for role in ("claimant", "coach", "team_lead", "benefits_officer", "admin"):
        r = office.client.get(PEOPLE, headers=office.as_(role))
        assert r.status_code == 200, f"{role}: {r.text}"
    body = r.json()
    assert [s["code"] for s in body["items"]] == list(load_sectors().codes)
    by_code = {s["code"]: s for s in body["items"]}
    assert by_code["healthcare"]["label_nl"] == "Zorg en welzijn"
    assert by_code["logistics"]["label_nl"] == "Transport en logistiek"
    assert by_code["hospitality"] == {
        "code": "hospitality",
        "label_nl": "Horeca",
        "label_en": "Hospitality",
        "sbi_sections": ["I"],
    }
    assert by_code["other"]["label_nl"] == "Overig of onbekend"
    assert body["version"] == load_sectors().version
    assert r.headers["Cache-Control"].startswith("private")
    assert office.client.get(PEOPLE).status_code == 401


def test_any_partner_scope_lists_the_codes(office: Office) -> None:
    for scope in ("vacancies:write", "candidates:read", "placements:write"):
        headers = _client(office, f"agency-{scope.split(':')[0]}", scope)
        r = office.client.get(PARTNERS, headers=headers)
        assert r.status_code == 200, f"{scope}: {r.text}"
        assert [s["code"] for s in r.json()["items"]] == list(load_sectors().codes)
    # A registered client without a partner scope, a person, an unregistered client.
    none = _client(office, "agency-none", "claims:register")
    r = office.client.get(PARTNERS, headers=none)
    assert r.status_code == 403, r.text
    assert "one of the scopes" in r.json()["detail"]
    assert office.client.get(PARTNERS, headers=office.as_("coach")).status_code == 403
    ghost = Tokens.header(office.tokens.app("agency-ghost", "candidates:read"))
    assert office.client.get(PARTNERS, headers=ghost).status_code == 401
    # A partner token is no person's token.
    assert office.client.get(PEOPLE, headers=none).status_code == 403


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("healthcare", "healthcare"), ("Zorg", "healthcare"), ("ruimtevaart", "other"), (None, None)],
)
def test_a_claim_with_free_text_from_before_codes_opens_a_coded_case(
    office: Office, sent: str | None, stored: str | None
) -> None:
    claim_id = uuid.uuid4()
    event = ClaimRegistered(
        claim_id=claim_id,
        office_code="AMS",
        first_ww_day=local_today(),
        registered_at=dt.datetime.now(dt.UTC),
        channel=RegistrationChannel.CLAIMANT,
        sector=sent,
    )
    assert office.container.consumer.process(incoming(event)) is Outcome.PROCESSED
    assert office.case(claim_id).sector == stored
