"""Value types reused by payloads of several services."""

from __future__ import annotations

from enum import StrEnum


class Segment(StrEnum):
    """Triage outcome: who gets a coach."""

    PERSONAL = "personal"  # probability of work <= 50%: personal service with a coach
    DIGITAL = "digital"  # > 50%: digital service


class Band(StrEnum):
    """Werkverkenner-style probability bands."""

    B0_25 = "0-25"
    B25_50 = "25-50"
    B50_75 = "50-75"
    B75_100 = "75-100"


class RegistrationChannel(StrEnum):
    """Who registered the claim."""

    CLAIMANT = "claimant"
    STAFF = "staff"
    EMPLOYER = "employer"
    TEMP_AGENCY = "temp_agency"


class ObligationRegime(StrEnum):
    """Job-search obligation regimes of the 2024 experiment (Stb. 2024, 130)."""

    REGULAR = "regular"
    NONE = "none"
    INDIVIDUAL = "individual"


class Channel(StrEnum):
    """How a contact moment or intake takes place."""

    FACE_TO_FACE = "face_to_face"
    PHONE = "phone"
    VIDEO = "video"
