"""The groups of the fairness report: age band, education level and region.

Region is never a model input (a proxy for origin, see the model card); it is recorded with
outcome data only to measure fairness. The office table (`shared.reference`) has no region,
so each office is placed in its CBS *landsdeel* (Noord, Oost, West, Zuid) through its
province; an office missing from this table (a newer office table) takes the region of the
nearest office that is in it.
"""

from __future__ import annotations

from shared.reference import Office, load_offices
from triage.scoring.questionnaire import EDUCATION_LEVELS

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("<27", 0, 26),
    ("27-44", 27, 44),
    ("45-54", 45, 54),
    ("55+", 55, 200),
)
AGE_BAND_LABELS = tuple(label for label, _, _ in AGE_BANDS)
UNKNOWN = "unknown"

# Province of each office in the 2026.1 office table.
PROVINCE_BY_OFFICE: dict[str, str] = {
    "AMS": "Noord-Holland",
    "HVS": "Noord-Holland",
    "ZAA": "Noord-Holland",
    "HRN": "Noord-Holland",
    "ALK": "Noord-Holland",
    "HLM": "Noord-Holland",
    "ALM": "Flevoland",
    "LLS": "Flevoland",
    "LDN": "Zuid-Holland",
    "DHG": "Zuid-Holland",
    "GDA": "Zuid-Holland",
    "RTD": "Zuid-Holland",
    "DOR": "Zuid-Holland",
    "UTR": "Utrecht",
    "AMF": "Utrecht",
    "MDB": "Zeeland",
    "BRD": "Noord-Brabant",
    "TLB": "Noord-Brabant",
    "DBH": "Noord-Brabant",
    "EHV": "Noord-Brabant",
    "VNL": "Limburg",
    "SIT": "Limburg",
    "MST": "Limburg",
    "HRL": "Limburg",
    "TIE": "Gelderland",
    "NMG": "Gelderland",
    "EDE": "Gelderland",
    "ARN": "Gelderland",
    "DTC": "Gelderland",
    "APD": "Gelderland",
    "DVT": "Overijssel",
    "ENS": "Overijssel",
    "ZWL": "Overijssel",
    "EMM": "Drenthe",
    "ASN": "Drenthe",
    "HRV": "Friesland",
    "LWD": "Friesland",
    "DRA": "Friesland",
    "GRO": "Groningen",
}
# CBS landsdelen.
REGION_BY_PROVINCE: dict[str, str] = {
    "Groningen": "noord",
    "Friesland": "noord",
    "Drenthe": "noord",
    "Overijssel": "oost",
    "Flevoland": "oost",
    "Gelderland": "oost",
    "Utrecht": "west",
    "Noord-Holland": "west",
    "Zuid-Holland": "west",
    "Zeeland": "west",
    "Noord-Brabant": "zuid",
    "Limburg": "zuid",
}
REGIONS = ("noord", "oost", "west", "zuid")


def age_band(age: int | None) -> str:
    """The fairness report's age band (<27, 27-44, 45-54, 55+) or 'unknown'."""
    if age is None:
        return UNKNOWN
    for label, lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return UNKNOWN


def region_of(office: Office) -> str:
    """The office's region (landsdeel)."""
    province = PROVINCE_BY_OFFICE.get(office.code)
    if province is not None:
        return REGION_BY_PROVINCE[province]
    known = [o for o in load_offices().offices if o.code in PROVINCE_BY_OFFICE]
    nearest = min(
        known,
        key=lambda o: (o.latitude - office.latitude) ** 2 + (o.longitude - office.longitude) ** 2,
    )
    return REGION_BY_PROVINCE[PROVINCE_BY_OFFICE[nearest.code]]


def group_order(grouping: str, seen: set[str]) -> list[str]:
    """The groups of a grouping in their natural order (then any others, sorted)."""
    natural: tuple[str, ...] = {
        "age_band": AGE_BAND_LABELS,
        "education_level": EDUCATION_LEVELS,
        "region": REGIONS,
    }.get(grouping, ())
    return [g for g in natural if g in seen] + sorted(seen - set(natural))
