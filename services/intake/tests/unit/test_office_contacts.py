"""Office contact details (issue 14): one entry for every office of the reference table,
validated and normalised, usable as a message context and as a letter's sender."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from importlib import resources
from typing import Any

import pypdf
import pytest

from intake.messages import paper as L
from intake.messages.letters import Letter, Recipient, render_letter
from intake.messages.offices import (
    OfficeContactsError,
    load_office_contacts,
    parse_office_contacts,
)
from shared.bsn import contains_bsn
from shared.reference import load_offices

CONTEXT_KEYS = {
    "code",
    "name",
    "street",
    "house_number",
    "postcode",
    "city",
    "route",
    "phone",
    "email",
    "opening_hours",
}


def _raw() -> dict[str, Any]:
    text = resources.files("intake.messages").joinpath("data/office_contacts.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def test_every_office_of_the_reference_table_has_contact_details() -> None:
    contacts = load_office_contacts()
    directory = load_offices()
    assert len(directory.offices) == 39
    assert set(contacts) == {o.code for o in directory.offices}
    for office in directory.offices:
        contact = contacts[office.code]
        assert contact.name == office.name
        assert contact.city == office.city
        # The office's own address lies in the postcode area it serves.
        assert directory.for_postcode(contact.postcode).code == office.code
    assert load_office_contacts() is contacts  # loaded once


def test_the_fields_are_complete_and_well_formed() -> None:
    contacts = load_office_contacts()
    emails = [c.email for c in contacts.values()]
    assert len(set(emails)) == len(emails)
    for c in contacts.values():
        assert len(c.postcode) == 7
        assert c.postcode[4] == " "
        assert c.postcode[5:].isupper()
        assert c.street
        assert c.house_number[0].isdigit()
        assert c.email.endswith("@uwv.nl")
        assert not contains_bsn(c.phone)  # a letter with it must not be refused as a BSN
        for language in ("nl", "en"):
            route = c.route(language)
            # One or two sentences: public transport and parking.
            assert 1 <= route.count(". ") + 1 <= 2
            assert any(w in route.lower() for w in ("station", "bus", "trein", "train"))
            assert any(w in route.lower() for w in ("parkeren", "parking"))
            assert c.opening_hours(language)
        assert c.route("nl") != c.route("en")


def test_the_source_note_says_what_is_verified_and_who_replaces_it() -> None:
    raw = _raw()
    source = raw["source"]
    assert "ILLUSTRATIVE" in source
    assert "replaces" in source
    assert "address_verified" in source
    verified = {o["code"]: o["address_verified"] for o in raw["offices"]}
    assert set(verified.values()) <= {True, False}
    contacts = load_office_contacts()
    assert {c.code: c.address_verified for c in contacts.values()} == verified


def test_the_context_has_the_keys_of_the_design() -> None:
    ams = load_office_contacts()["AMS"]
    nl, en = ams.context("nl"), ams.context("en")
    assert set(nl) == CONTEXT_KEYS
    assert nl["route"] == ams.route_nl
    assert en["route"] == ams.route_en
    assert en["opening_hours"] == ams.opening_hours_en
    assert nl["name"] == "UWV Amsterdam"


def test_every_office_can_send_a_letter() -> None:
    """Each office as a letter's sender: the return line fits the window, nothing is refused."""
    for contact in load_office_contacts().values():
        letter = Letter(
            sender=contact.sender(),
            recipient=Recipient("Eva Jansen", "Dorpsstraat 12", "1011 AB", "Amsterdam"),
            date=dt.date(2026, 12, 7),
            reference="M-1A2B3C",
            subject="Uitnodiging",
            body="Beste Eva,\n\nTot ziens.",
        )
        pdf = render_letter(letter)
        text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert f"{contact.street} {contact.house_number}" in text
        assert contact.postcode in text
    field_width = L.ADDRESS_FIELD_WIDTH_MM
    assert field_width > 60


def _broken(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(_raw())
    change(raw)
    return raw


def _office(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(o for o in raw["offices"] if o["code"] == code)


def test_postcodes_are_normalised() -> None:
    raw = _broken(lambda r: _office(r, "AMS").update(postcode=" 1043ew "))
    assert parse_office_contacts(raw, load_offices())["AMS"].postcode == "1043 EW"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["offices"].pop(0), "no contact details for AMS"),
        (lambda r: r["offices"].append(copy.deepcopy(r["offices"][0])), "AMS is listed twice"),
        (lambda r: _office(r, "AMS").update(code="XXX"), "XXX is not in the office table"),
        (lambda r: _office(r, "GRO").update(postcode="0123 AB"), r"\(GRO\)\.postcode"),
        (lambda r: _office(r, "GRO").update(postcode="1234 SS"), r"\(GRO\)\.postcode"),
        (lambda r: _office(r, "GRO").update(email="not an address"), r"\(GRO\)\.email"),
        (lambda r: _office(r, "GRO").update(email="ww@example.org"), "documentation domain"),
        (lambda r: _office(r, "GRO").update(email="ww@uwv.test"), r"\(GRO\)\.email"),
        (lambda r: _office(r, "GRO").update(phone="12345"), r"\(GRO\)\.phone"),
        (lambda r: _office(r, "GRO").update(house_number="zonder"), r"\(GRO\)\.house_number"),
        (lambda r: _office(r, "GRO").update(street=" "), r"\(GRO\)\.street"),
        (lambda r: _office(r, "GRO")["route"].pop("en"), r"\(GRO\)\.route"),
        (lambda r: _office(r, "GRO")["opening_hours"].update(nl=""), r"opening_hours\.nl"),
        (lambda r: _office(r, "GRO").update(address_verified="yes"), "address_verified"),
        (lambda r: r.update(source=""), "source"),
        (lambda r: r.update(offices={}), "a list"),
    ],
)
def test_a_bad_file_is_refused_naming_the_office_and_field(change: Any, message: str) -> None:
    with pytest.raises(OfficeContactsError, match=message):
        parse_office_contacts(_broken(change), load_offices())
