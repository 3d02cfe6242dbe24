"""The demo data: coaches on the roster and a few claimants (`ww/demo.py` loads them)."""

from __future__ import annotations

DEMO_COACHES = [
    ("Anouk de Vries", "AMS", ["under_27"], 32.0),
    ("Mohamed El Amrani", "AMS", ["over_55", "sector_logistics"], 36.0),
    ("Sanne Jansen", "RTD", ["starters"], 24.0),
    ("Pieter Bakker", "RTD", ["sector_care"], 36.0),
    ("Lotte Visser", "UTR", ["over_55"], 28.0),
    ("Daan Smit", "UTR", [], 36.0),
]
# postcode, year of birth, names, the postal address and how they want to hear from us
# (e-mail to the local mail sink, or paper: a letter PDF in the state directory).
DEMO_CLAIMS = [
    ("1011 AB", 1968, "Ingrid", "de Jong", "Nieuwmarkt", "4", "Amsterdam", "email", "nl"),
    ("3011 CD", 1999, "Mohamed", "Bouzid", "Hoogstraat", "110", "Rotterdam", "email", "en"),
    ("3511 EF", 1985, "Lotte", "van Dijk", "Oudegracht", "27a", "Utrecht", "post", "nl"),
    ("1055 GH", 1975, "Wim", "Mulder", "Hoofdweg", "52", "Amsterdam", "email", "nl"),
    ("3072 JK", 1990, "Priya", "Ramdin", "Maashaven", "8", "Rotterdam", "email", "nl"),
]


def demo_claimant_subject(given_name: str) -> str:
    """The sign-in subject of a demo claimant (the web's dev sign-in offers these)."""
    return f"demo-{given_name.lower()}"


DEMO_CLAIMANTS = [(demo_claimant_subject(c[2]), f"{c[2]} {c[3]}") for c in DEMO_CLAIMS]
