"""Sample render contexts for every message kind: the staff preview and the template tests.

SAMPLE DATA: the office, its address, phone number and web addresses are made up (the
domains end in `.example`, reserved for examples). Nothing here is a real person or a
real office's contact details. Times are aware UTC, as the render context requires.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from intake.messages.render import KINDS, LANGUAGES, new_context

_UTC = dt.UTC

# Monday 14 December 2026, 09:30-10:15 in Amsterdam (CET, UTC+1).
_STARTS = dt.datetime(2026, 12, 14, 8, 30, tzinfo=_UTC)
_PREVIOUS = dt.datetime(2026, 12, 9, 13, 0, tzinfo=_UTC)  # Wednesday 9 December, 14:00
_REBOOKED = dt.datetime(2026, 12, 16, 12, 45, tzinfo=_UTC)  # Wednesday 16 December, 13:45
_LENGTH = dt.timedelta(minutes=45)

_ROUTE = {
    "nl": (
        "Met de metro (lijn 50 of 54): stap uit bij station Bijlmer ArenA. "
        "Loop dan 5 minuten naar de Karspeldreef.\n"
        "Met de auto: parkeer in de garage onder het gebouw. Parkeren is gratis."
    ),
    "en": (
        "By metro (line 50 or 54): get off at Bijlmer ArenA station. "
        "Then walk 5 minutes to the Karspeldreef.\n"
        "By car: park in the garage under the building. Parking is free."
    ),
}
_HOURS = {
    "nl": "op werkdagen van 8.00 tot 17.00 uur",
    "en": "on working days from 8:00 to 17:00",
}


def sample_office(language: str) -> dict[str, Any]:
    """A made-up office in the context's shape (route and opening hours in `language`)."""
    return {
        "code": "AMS",
        "name": "UWV Amsterdam",
        "street": "Karspeldreef",
        "house_number": "8",
        "postcode": "1101 CJ",
        "city": "Amsterdam",
        "route": _ROUTE[language],
        "phone": "088 123 45 67",
        "email": "amsterdam@uwv.example",
        "opening_hours": _HOURS[language],
    }


def _appointment(
    starts_at: dt.datetime, *, coach: str | None, summoned: bool = False
) -> dict[str, Any]:
    return {
        "starts_at": starts_at,
        "ends_at": starts_at + _LENGTH,
        "coach_first_name": coach,
        "summoned": summoned,
    }


def sample_context(kind: str, language: str, *, minimal: bool = False) -> dict[str, Any]:
    """Realistic sample data for `kind` in `language`.

    `minimal=True` leaves out everything optional: no claimant name, no coach, no route,
    no opening hours or office e-mail, no previous time, no `by`, no new appointment.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    office = sample_office(language)
    if minimal:
        office.update(route=None, opening_hours=None, email=None, phone=None)
    ctx = new_context(
        kind,
        language,
        claimant=(
            {"given_name": None, "family_name": None}
            if minimal
            else {"given_name": "Eva", "family_name": "Jansen"}
        ),
        office=office,
        links={
            "manage_url": "https://mijn.uwv.example/afspraak",
            "contact_phone": "088 123 45 67",
        },
    )
    _add_kind_parts(ctx, kind, minimal=minimal)
    return ctx


def _add_kind_parts(ctx: dict[str, Any], kind: str, *, minimal: bool) -> None:
    """The parts only `kind` has: its appointment(s), obligation, month or closure."""
    coach = None if minimal else "Sanne"
    if kind in ("invitation", "reminder"):
        ctx["appointment"] = _appointment(_STARTS, coach=coach)
    elif kind == "rescheduled":
        ctx["appointment"] = _appointment(_REBOOKED, coach=coach)
        if not minimal:
            ctx.update(previous_starts_at=_STARTS, by="claimant")
    elif kind == "cancelled":
        ctx["appointment"] = _appointment(_STARTS, coach=coach)
        if not minimal:
            ctx.update(by="service", new_appointment=_appointment(_REBOOKED, coach="Daan"))
    elif kind == "summons":
        ctx["appointment"] = _appointment(_STARTS, coach=coach, summoned=True)
        if not minimal:
            ctx["previous_starts_at"] = _PREVIOUS
    elif kind == "obligation_missed":
        ctx["obligation"] = {
            "period_start": dt.date(2026, 11, 2),
            "period_end": dt.date(2026, 11, 29),
            "activities_required": 4,
            "activities_reported": 0 if minimal else 1,
        }
    elif kind == "income_statement_missing":
        ctx["income_statement"] = {"month": "2026-11"}
    elif kind == "case_closed":
        ctx["case_closed"] = {
            "result": "work_resumed",
            "closed_on": None if minimal else dt.date(2026, 12, 4),
        }
