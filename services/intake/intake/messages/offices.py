"""Office contact details for messages: visiting address, phone, Reply-To, route, opening hours.

The data file `data/office_contacts.json` is reference data next to the office table in
`shared/reference/offices.json`: every office there has exactly one entry here. Which parts are
verified and which illustrative is stated in the file's `source` field (and per office in
`address_verified`); the agency replaces the data without a code change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import ConfigDict

from shared.reference import InvalidPostcodeError, OfficeDirectory, load_offices, normalize_postcode

from .letters import Sender
from .schemas import OfficeContactDetails

LANGUAGES = ("nl", "en")
_HOUSE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}(?:[ -]?[A-Za-z0-9]{1,6})?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{8,18}[0-9]$")
# Documentation domains (RFC 2606 / 6761): fine in tests, never as a real office's Reply-To.
_RESERVED_DOMAIN = re.compile(
    r"(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$", re.IGNORECASE
)


class OfficeContactsError(ValueError):
    """The office contacts file is incomplete or has a bad entry."""


class OfficeContact(OfficeContactDetails):
    """How a claimant reaches an office and how its messages are signed."""

    model_config = ConfigDict(frozen=True)

    address_verified: bool

    def route(self, language: str) -> str:
        """Public transport and parking, in the message language."""
        return self.route_en if language == "en" else self.route_nl

    def opening_hours(self, language: str) -> str:
        """Opening hours in the message language."""
        return self.opening_hours_en if language == "en" else self.opening_hours_nl

    def context(self, language: str) -> dict[str, str]:
        """The `office` part of a message's render context (design of issue 14)."""
        return {
            "code": self.code,
            "name": self.name,
            "street": self.street,
            "house_number": self.house_number,
            "postcode": self.postcode,
            "city": self.city,
            "route": self.route(language),
            "phone": self.phone,
            "email": self.email,
            "opening_hours": self.opening_hours(language),
        }

    def sender(self) -> Sender:
        """The office as the sender of a letter."""
        return Sender(
            office_name=self.name,
            street=self.street,
            house_number=self.house_number,
            postcode=self.postcode,
            city=self.city,
            phone=self.phone,
            email=self.email,
        )


@cache
def load_office_contacts() -> dict[str, OfficeContact]:
    """The contacts shipped with this release, by office code (validated against the office
    table: every office present, none unknown)."""
    raw = json.loads(
        resources.files("intake.messages").joinpath("data/office_contacts.json").read_text("utf-8")
    )
    return parse_office_contacts(raw, load_offices())


def parse_office_contacts(
    raw: Mapping[str, Any], directory: OfficeDirectory
) -> dict[str, OfficeContact]:
    """Validate a contacts document against the office table; OfficeContactsError names the
    office and the field that is wrong."""
    entries = raw.get("offices")
    if not isinstance(entries, list):
        raise OfficeContactsError("offices: a list of office contacts is required")
    if not str(raw.get("source", "")).strip():
        raise OfficeContactsError("source: say where the data comes from")
    out: dict[str, OfficeContact] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise OfficeContactsError(f"offices[{i}]: an object is required")
        contact = _contact(entry, directory, where=f"offices[{i}]")
        if contact.code in out:
            raise OfficeContactsError(f"offices[{i}].code: {contact.code} is listed twice")
        out[contact.code] = contact
    missing = sorted({o.code for o in directory.offices} - out.keys())
    if missing:
        raise OfficeContactsError(f"offices: no contact details for {', '.join(missing)}")
    return dict(sorted(out.items()))


def _contact(entry: Mapping[str, Any], directory: OfficeDirectory, *, where: str) -> OfficeContact:
    def text(field: str, value: Any = None) -> str:
        value = entry.get(field) if value is None else value
        if not isinstance(value, str) or not value.strip():
            raise OfficeContactsError(f"{where}.{field}: a non-empty text is required")
        return " ".join(value.split())

    def per_language(field: str) -> tuple[str, str]:
        value = entry.get(field)
        if not isinstance(value, Mapping) or set(value) != set(LANGUAGES):
            raise OfficeContactsError(f"{where}.{field}: texts for exactly nl and en are required")
        return text(f"{field}.nl", value["nl"]), text(f"{field}.en", value["en"])

    code = text("code")
    office = directory.get(code)
    if office is None:
        raise OfficeContactsError(f"{where}.code: {code} is not in the office table")
    where = f"{where} ({code})"
    try:
        postcode = normalize_postcode(text("postcode"))
    except InvalidPostcodeError as exc:
        raise OfficeContactsError(f"{where}.postcode: {exc}") from exc
    house_number = text("house_number")
    if not _HOUSE_NUMBER.match(house_number):
        raise OfficeContactsError(f"{where}.house_number: a number with an optional addition")
    phone = text("phone")
    if not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 10:
        raise OfficeContactsError(f"{where}.phone: a phone number with at least 10 digits")
    try:
        email = validate_email(text("email"), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise OfficeContactsError(f"{where}.email: {exc}") from exc
    if _RESERVED_DOMAIN.search(email.rpartition("@")[2]):
        raise OfficeContactsError(f"{where}.email: a documentation domain is no office's mailbox")
    verified = entry.get("address_verified")
    if not isinstance(verified, bool):
        raise OfficeContactsError(f"{where}.address_verified: true or false is required")
    route_nl, route_en = per_language("route")
    hours_nl, hours_en = per_language("opening_hours")
    return OfficeContact(
        code=code,
        name=office.name,
        street=text("street"),
        house_number=house_number,
        postcode=postcode,
        city=text("city"),
        phone=phone,
        email=email,
        route_nl=route_nl,
        route_en=route_en,
        opening_hours_nl=hours_nl,
        opening_hours_en=hours_en,
        address_verified=verified,
    )
