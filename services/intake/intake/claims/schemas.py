"""Request and response models of the claims API."""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.bsn import BSN, BSN_FORMS, FreeText, contains_bsn, mask_bsn_in_text
from shared.events.common import RegistrationChannel
from shared.reference import InvalidPostcodeError, normalize_postcode
from shared.reference.sectors import SectorCode
from shared.web.validation import MultiLine, RequestModel

EducationLevel = Literal[
    "primary",
    "lower_secondary",
    "upper_secondary",
    "vocational",
    "bachelor",
    "master_or_higher",
]

# Letters (any script), joined by single spaces, hyphens, apostrophes or dots:
# "Jan", "van der Berg", "O'Brien", "van 't Hoff", "'t Hart", "Jean-Luc", "J.", "Ñúñez".
# No digits or other symbols.
_NAME = re.compile(r"^['\u2019]?[^\W\d_]+(?:(?: ?['\u2019]|[ \-]|\. ?)[^\W\d_]+)*\.?$")


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("must consist of letters, spaces, hyphens, apostrophes or dots")
    return value


# Free text that cannot hold a BSN: the pattern admits no digits at all.
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_name)]

# A street name: letters, spaces, dots, hyphens and apostrophes, and digits only as part of a
# name like "1e Constantijn Huygensstraat" or "Plein 1944" (at most 4 in a row, so never a BSN).
_STREET = re.compile(r"^[^\W_](?:[^\W_]|[ .'\u2019\-/])*$")
_DIGIT_RUN = re.compile(r"[0-9]{5,}")


def _street(value: str) -> str:
    if not _STREET.match(value) or _DIGIT_RUN.search(value):
        raise ValueError("must be a street name (letters, spaces, hyphens, dots)")
    return value


Street = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_street)]
# Dutch house numbers: 1-99999 with an optional addition ("12", "12a", "12 A", "12-3", "12 bis").
HouseNumber = Annotated[
    str,
    StringConstraints(max_length=12, pattern=r"^[1-9][0-9]{0,4}(?:[ \-]?[A-Za-z0-9]{1,4})?$"),
]
City = Annotated[str, StringConstraints(min_length=1, max_length=80), AfterValidator(_name)]
ContactPreference = Literal["email", "post"]

_PHONE_SEPARATORS = re.compile(r"[ \-.()/]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_DUTCH_E164 = re.compile(r"^\+31[1-9][0-9]{8}$")


def normalize_phone(value: str) -> str:
    """A Dutch or international number as E.164 (`+31612345678`); raise ValueError otherwise.

    Accepted: Dutch national numbers (`06 12345678`, `020-1234567`: a 0 and nine digits) and
    international ones with `+` or `00` (`+31 6 12345678`, `0032 2 123 45 67`). Separators
    (spaces, hyphens, dots, slashes, parentheses) are dropped. Dutch numbers must have nine
    digits after +31; other countries 7-14 digits after the country code (E.164: 15 at most).
    The deliberately simple rule avoids a dependency on libphonenumber's metadata; it
    rejects what is certainly wrong and leaves ringing the number to the coach.
    """
    if not value.isascii() or value.count("(") > 1 or value.count("+") > 1:
        raise ValueError("not a phone number")
    compact = _PHONE_SEPARATORS.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("0"):
        compact = "+31" + compact[1:]
    if not _E164.match(compact):
        raise ValueError("not a phone number (e.g. 06 12345678 or +32 2 123 45 67)")
    if compact.startswith("+31") and not _DUTCH_E164.match(compact):
        raise ValueError("a Dutch number has 10 digits (e.g. 06 12345678)")
    return compact


def _phone(value: str) -> str:
    return normalize_phone(value)


Phone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_phone)]


def _email_without_bsn(value: str) -> str:
    # An address like 123456782@example.nl is the BSN in plain text on every screen and in
    # every export that shows the e-mail address; refuse it, in any form the BSN takes.
    if contains_bsn(value):
        raise ValueError("must not contain a BSN")
    return value


Email = Annotated[EmailStr, AfterValidator(_email_without_bsn)]

QUESTIONNAIRE_MAX_KEYS = 40
QUESTIONNAIRE_MAX_TEXT = 200
QUESTIONNAIRE_MAX_NUMBER = 1_000_000_000
_QUESTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
AnswerValue = str | int | float | bool


def check_questionnaire(value: object) -> object:
    """Bound the answers; messages name the answer's position, never its key or value."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("must be an object of answers")
    if len(value) > QUESTIONNAIRE_MAX_KEYS:
        raise ValueError(f"at most {QUESTIONNAIRE_MAX_KEYS} answers")
    for i, (key, answer) in enumerate(value.items(), start=1):
        where = f"answer {i}"
        if not _QUESTION_KEY.match(key) or mask_bsn_in_text(key) != key:
            raise ValueError(
                f"{where}: keys are lower-case snake_case, at most 40 characters, no BSN"
            )
        if isinstance(answer, bool):
            continue
        if isinstance(answer, int | float):
            if not math.isfinite(answer) or abs(answer) > QUESTIONNAIRE_MAX_NUMBER:
                raise ValueError(f"{where}: numbers must be finite and at most 1e9 in size")
            continue
        if isinstance(answer, str):
            if len(answer) > QUESTIONNAIRE_MAX_TEXT:
                raise ValueError(f"{where}: text answers have at most 200 characters")
            if mask_bsn_in_text(answer) != answer:
                raise ValueError(f"{where}: must not contain a BSN")
            continue
        raise ValueError(f"{where}: must be text, a number or a boolean")
    return value


MAX_UNAVAILABLE_TIMES = 20


class UnavailableTime(RequestModel):
    """A time the claimant cannot attend an intake (local Europe/Amsterdam time): every
    week on `weekday` (0 = Monday ... 6 = Sunday), or on one `date`; not both."""

    model_config = ConfigDict(extra="forbid")

    weekday: int | None = Field(default=None, ge=0, le=6)
    date: dt.date | None = None
    start_time: dt.time = Field(default=dt.time(0, 0), description="Local time, e.g. 09:00")
    end_time: dt.time = Field(
        default=dt.time(23, 59, 59), description="Local time after start_time, e.g. 12:30"
    )

    @model_validator(mode="after")
    def _one_day_and_an_interval(self) -> UnavailableTime:
        if (self.weekday is None) == (self.date is None):
            raise ValueError("give either a weekday or a date")
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        if self.start_time.tzinfo is not None or self.end_time.tzinfo is not None:
            raise ValueError("times are local wall-clock times without an offset")
        return self


class ClaimCreate(RequestModel):
    """A new WW claim, registered by the claimant or on their behalf."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bsn: BSN | None = Field(
        default=None,
        description="Citizen service number (BSN). " + BSN_FORMS + " Required for staff and "
        "partner applications. A claimant registers the BSN of their sign-in (the token's "
        "`bsn` claim): they may omit this field; a different BSN is 403 `not-own-bsn`.",
    )
    given_name: Name = Field(description="Given name(s) as the claimant uses them")
    family_name: Name = Field(description="Family name including any prefix, e.g. van der Berg")
    date_of_birth: dt.date = Field(description="Date of birth; the age must be plausible for WW")
    email: Email | None = Field(default=None, max_length=254)
    phone: Phone | None = Field(
        default=None, description="Dutch or international number; stored as E.164"
    )
    preferred_language: Literal["nl", "en"] | None = None
    street: Street | None = Field(default=None, description="Street of the postal address")
    house_number: HouseNumber | None = Field(
        default=None, description="House number with any addition, e.g. 12a"
    )
    city: City | None = Field(default=None, description="Town of the postal address")
    contact_preference: ContactPreference | None = Field(
        default=None,
        description="How we write to the claimant: `email` or `post` (letters). Default: "
        "e-mail when an e-mail address is given, else post",
    )
    sms_notifications: bool = Field(
        default=True, description="Short SMS notices about the intake when a phone is given"
    )
    first_ww_day: dt.date = Field(description="First day of unemployment (first WW day)")
    postcode: str = Field(
        description="Dutch postcode of the claimant's address, e.g. 1234 AB", max_length=8
    )
    last_employer: FreeText | None = Field(default=None, min_length=1, max_length=200)
    sector: SectorCode | None = Field(
        default=None, description="Sector of the last job, a code of GET /v1/sectors (coaching)"
    )
    hours_lost_per_week: float | None = Field(default=None, gt=0, le=80)
    years_work_history: int | None = Field(default=None, ge=0, le=60)
    education_level: EducationLevel | None = None
    registered_by_employer: bool = Field(
        default=False,
        description="Staff only: registered on behalf of the employer (channel `employer`)",
    )
    questionnaire_answers: dict[str, AnswerValue] | None = Field(
        default=None,
        description="Optional triage questionnaire: at most 40 answers, keys snake_case "
        "(max 40 chars), values booleans, numbers or text of at most 200 characters",
    )

    unavailable: list[UnavailableTime] = Field(
        default_factory=list,
        max_length=MAX_UNAVAILABLE_TIMES,
        description="Times the claimant cannot attend; the intake is booked outside them",
    )

    @field_validator("questionnaire_answers", mode="before")
    @classmethod
    def _questionnaire(cls, value: object) -> object:
        return check_questionnaire(value)

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str) -> str:
        try:
            return normalize_postcode(value)
        except InvalidPostcodeError as exc:
            raise ValueError(str(exc)) from None


class ClaimRead(BaseModel):
    """A claim as staff and the claimant see it; the BSN only masked."""

    id: uuid.UUID
    status: str
    bsn_masked: str
    given_name: str | None
    family_name: str | None
    date_of_birth: dt.date | None
    email: str | None
    phone: str | None
    preferred_language: str | None
    street: str | None = None
    house_number: str | None = None
    city: str | None = None
    contact_preference: str | None = None
    sms_notifications: bool = True
    first_ww_day: dt.date
    postcode: str
    office_code: str
    last_employer: str | None
    sector: str | None
    hours_lost_per_week: float | None
    years_work_history: int | None
    education_level: str | None
    questionnaire_answers: dict[str, Any] | None
    unavailable: list[UnavailableTime] = Field(default_factory=list)
    no_show_count: int = 0
    attention_reason: str | None = Field(
        default=None, description="Why the coach should look at this claim, e.g. repeated_no_show"
    )
    attention_since: dt.datetime | None = None
    channel: str
    registered_at: dt.datetime
    closed_at: dt.datetime | None = Field(default=None, description="When closed or withdrawn")
    closed_on: dt.date | None = Field(default=None, description="The day the claim ended")
    close_reason: str | None = Field(
        default=None, description="The case result, or the withdrawal's reason code"
    )
    reopen_refused_at: dt.datetime | None = Field(
        default=None,
        description="A reopened case could not reopen this claim: the person has a newer open "
        "claim (ADR 0015)",
    )
    allowed_actions: list[str] = Field(
        default_factory=list, description="What the claim's state allows: update, withdraw, ..."
    )


class WithdrawalReason(StrEnum):
    """Why a claimant withdraws their claim."""

    FOUND_WORK = "found_work"
    MOVED_ABROAD = "moved_abroad"
    MISTAKE = "mistake"
    OTHER = "other"


class ClaimWithdraw(RequestModel):
    """The claimant (or staff on their behalf) withdraws the claim."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason_code: WithdrawalReason
    reason_text: Annotated[FreeText | None, MultiLine()] = Field(default=None, max_length=500)


class ClaimUpdate(RequestModel):
    """The claimant's changeable details; only the fields sent change (null clears e-mail,
    phone, the address lines or the contact preference; postcode, preferred language and
    sms_notifications cannot be cleared)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    postcode: str | None = Field(
        default=None, description="New Dutch postcode; a move may change the office", max_length=8
    )
    phone: Phone | None = None
    email: Email | None = Field(default=None, max_length=254)
    preferred_language: Literal["nl", "en"] | None = None
    street: Street | None = None
    house_number: HouseNumber | None = None
    city: City | None = None
    contact_preference: ContactPreference | None = Field(
        default=None, description="`email` or `post`; null returns to the default"
    )
    sms_notifications: bool | None = None
    unavailable: list[UnavailableTime] | None = Field(
        default=None, max_length=MAX_UNAVAILABLE_TIMES
    )

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_postcode(value)
        except InvalidPostcodeError as exc:
            raise ValueError(str(exc)) from None


ClaimSort = Literal[
    "registered_at",
    "-registered_at",
    "first_ww_day",
    "-first_ww_day",
    "family_name",
    "-family_name",
]


class ClaimFilter(BaseModel):
    """Filters of the staff list (all optional, combined with AND)."""

    office_code: str | None = None
    status: Literal["open", "closed", "withdrawn"] | None = None
    first_ww_day_from: dt.date | None = None
    first_ww_day_to: dt.date | None = None
    registered_from: dt.datetime | None = None
    registered_to: dt.datetime | None = None
    channel: RegistrationChannel | None = None
    family_name: str | None = None
    needs_attention: bool | None = None
    ids: list[uuid.UUID] | None = None  # only these claims


class ClaimSearch(RequestModel):
    """Find claims by BSN; the BSN travels in the body, never in a URL."""

    model_config = ConfigDict(extra="forbid")

    bsn: BSN = Field(description="Citizen service number (BSN). " + BSN_FORMS)
