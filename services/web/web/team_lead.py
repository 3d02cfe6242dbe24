"""The team lead's pages: the office's week-one dashboard, the unplanned list with a plan
run, the coaches' agendas and the office's closures, caseload balance with transfers and
cover, and the capacity plan.

The office is always the session's (`session.office`); every figure and every change is
the backends' (intake and coaching), which decide what a team lead may see and do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import statistics
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from web.backend import BackendProblem
from web.i18n import register
from web.pages import TZ, PageError, Pages, PagesDep, local, problem_text, uuid_or_error

router = APIRouter()

ROLE = "team_lead"
# The reasons coaching accepts for a transfer (TransferReason in its API).
TRANSFER_REASONS = (
    "caseload_balance",
    "coach_leaves",
    "coach_ill",
    "specialism",
    "claimant_request",
    "other",
)
ACTIVE = ("booked", "rescheduled")
AGENDA_DAYS = 21  # the coaches' appointments shown: today and the next three weeks
CAPACITY_DAYS = 28  # free slots shown on the unplanned page
MAX_CLOSURE_DAYS = 14  # one form adds at most this many days of closure
MAX_PLAN_WEEKS = 8

register(
    {
        "nl": {
            "tl_dashboard": "Dashboard van het kantoor",
            "tl_week_one": "Intake in week één",
            "tl_as_of": "Stand van",
            "tl_last_week": "Deze week",
            "tl_week": "Week",
            "tl_within_deadline": "Op tijd (binnen de termijn)",
            "tl_median_days": "Mediaan werkdagen tot intake",
            "tl_no_shows": "Niet verschenen",
            "tl_shortfalls": "Tekorten in capaciteit",
            "tl_registrations": "Aanmeldingen",
            "tl_intakes_held": "Intakes gehouden",
            "tl_deadline_days": "Termijn in werkdagen",
            "tl_chart_share": "Aandeel intakes binnen de termijn per week (%)",
            "tl_chart_median": "Mediaan werkdagen tot de intake per week",
            "tl_chart_noshow": "Niet verschenen en tekorten per week",
            "tl_no_data": "Nog geen cijfers.",
            "tl_unplanned": "Ongeplande aanvragen",
            "tl_unplanned_intro": "Aanvragen die nog op een intakeplek wachten, de vroegste termijn eerst.",
            "tl_unplanned_none": "Er wachten geen aanvragen.",
            "tl_deadline": "Termijn",
            "tl_waiting_since": "Wacht sinds",
            "tl_total": "Totaal",
            "tl_plan_now": "Nu inplannen",
            "tl_plan_intro": "Plan de wachtende aanvragen van uw kantoor nu in op vrije plekken.",
            "tl_planned": "Ingepland",
            "tl_still_unplanned": "nog ongepland",
            "tl_capacity_free": "Vrije intakeplekken per dag",
            "tl_free_slots": "Vrije plekken",
            "tl_days_without": "Werkdagen zonder vrije plek",
            "tl_none": "Geen.",
            "tl_agendas": "Agenda's van de coaches",
            "tl_agenda_blocks": "Vaste blokken",
            "tl_weekday": "Dag",
            "tl_from": "Van",
            "tl_until": "Tot",
            "tl_exceptions": "Afwezig",
            "tl_upcoming": "Intakes komende drie weken",
            "tl_no_coaches": "Dit kantoor heeft nog geen coaches.",
            "tl_no_agenda": "Geen agenda.",
            "tl_closures": "Sluitingen van het kantoor",
            "tl_closures_none": "Geen sluitingen gepland.",
            "tl_reason": "Reden",
            "tl_national": "Landelijk",
            "tl_add_closure": "Sluiting toevoegen",
            "tl_closure_date": "Datum (eerste dag)",
            "tl_closure_end": "Laatste dag (optioneel)",
            "tl_closure_hint": "Zaterdag en zondag worden overgeslagen. Intakes op een gesloten dag worden opnieuw ingepland.",
            "tl_remove": "Verwijderen",
            "tl_closure_added": "Sluiting toegevoegd",
            "tl_closure_removed": "Sluiting verwijderd.",
            "tl_cancelled": "geannuleerd",
            "tl_rebooked": "opnieuw ingepland",
            "tl_listed_unplanned": "op de ongeplande lijst",
            "tl_replanned": "Opnieuw ingepland door een sluiting",
            "tl_replanned_none": "Geen intakes verplaatst.",
            "tl_old_intake": "Was",
            "tl_new_intake": "Nu",
            "tl_not_replanned": "Nog niet ingepland (zie Ongepland)",
            "tl_caseload": "Caseloadbalans",
            "tl_open_cases": "Open zaken",
            "tl_contract_hours": "Contracturen",
            "tl_max_caseload": "Maximum",
            "tl_share_of_max": "Deel van maximum",
            "tl_per_hour": "Zaken per uur",
            "tl_chart_load": "Deel van de maximale caseload per coach (%)",
            "tl_unassigned": "Zaken zonder coach",
            "tl_unassigned_none": "Geen zaken zonder coach.",
            "tl_digital": "Digitale zaken",
            "tl_cases": "Open zaken van het kantoor",
            "tl_select": "Kiezen",
            "tl_opened": "Geopend",
            "tl_transfer": "Zaken overdragen",
            "tl_transfer_intro": "Vink hierboven zaken aan en kies de nieuwe coach. Alles of niets.",
            "tl_to_coach": "Naar coach",
            "tl_reason_category": "Soort reden",
            "tl_reason_text": "Toelichting",
            "tl_transferred": "Zaken overgedragen",
            "tl_no_cases_selected": "Kies eerst een of meer zaken.",
            "tl_reason_caseload_balance": "Balans in caseload",
            "tl_reason_coach_leaves": "Coach vertrekt",
            "tl_reason_coach_ill": "Coach ziek",
            "tl_reason_specialism": "Specialisme",
            "tl_reason_claimant_request": "Verzoek van de klant",
            "tl_reason_other": "Anders",
            "tl_cover": "Vervanging",
            "tl_cover_intro": "Een collega neemt de open zaken van een afwezige coach waar tot en met een datum.",
            "tl_absent_coach": "Afwezige coach",
            "tl_covering_coach": "Vervangende coach",
            "tl_cover_until": "Tot en met",
            "tl_cover_set": "Vervanging geregeld",
            "tl_cover_end": "Vervanging beëindigen",
            "tl_cover_ended": "Vervanging beëindigd",
            "tl_capacity": "Capaciteitsplanning",
            "tl_capacity_intro": "Coachuren die nodig zijn om elke intake binnen de termijn te houden, naast de uren in de agenda's.",
            "tl_per_day": "Verwachte aanmeldingen per werkdag",
            "tl_weeks": "Aantal weken",
            "tl_calculate": "Berekenen",
            "tl_default_forecast": "Standaard: het gemiddelde van de afgelopen weken.",
            "tl_needed_hours": "Nodig (coachuren)",
            "tl_available_hours": "Beschikbaar (coachuren)",
            "tl_shortfall_hours": "Tekort (coachuren)",
            "tl_shortfall_slots": "Tekort (plekken)",
            "tl_chart_capacity": "Coachuren nodig en beschikbaar per week",
            "tl_per_day_table": "Per dag",
            "tl_working_day": "Werkdag",
            "tl_yes": "ja",
            "tl_no": "nee",
            "tl_bad_input": "Controleer de ingevulde gegevens.",
            "tl_legend": "Legenda",
            "tl_wd_0": "maandag",
            "tl_wd_1": "dinsdag",
            "tl_wd_2": "woensdag",
            "tl_wd_3": "donderdag",
            "tl_wd_4": "vrijdag",
            "tl_wd_5": "zaterdag",
            "tl_wd_6": "zondag",
        },
        "en": {
            "tl_dashboard": "Office dashboard",
            "tl_week_one": "Week-one intakes",
            "tl_as_of": "As of",
            "tl_last_week": "This week",
            "tl_week": "Week",
            "tl_within_deadline": "Within the deadline",
            "tl_median_days": "Median working days to intake",
            "tl_no_shows": "No-shows",
            "tl_shortfalls": "Capacity shortfalls",
            "tl_registrations": "Registrations",
            "tl_intakes_held": "Intakes held",
            "tl_deadline_days": "Deadline in working days",
            "tl_chart_share": "Share of intakes within the deadline per week (%)",
            "tl_chart_median": "Median working days to the intake per week",
            "tl_chart_noshow": "No-shows and shortfalls per week",
            "tl_no_data": "No figures yet.",
            "tl_unplanned": "Unplanned claims",
            "tl_unplanned_intro": "Claims still waiting for an intake slot, earliest deadline first.",
            "tl_unplanned_none": "No claims are waiting.",
            "tl_deadline": "Deadline",
            "tl_waiting_since": "Waiting since",
            "tl_total": "Total",
            "tl_plan_now": "Plan now",
            "tl_plan_intro": "Book your office's waiting claims into free slots now.",
            "tl_planned": "Booked",
            "tl_still_unplanned": "still unplanned",
            "tl_capacity_free": "Free intake slots per day",
            "tl_free_slots": "Free slots",
            "tl_days_without": "Working days without a free slot",
            "tl_none": "None.",
            "tl_agendas": "The coaches' agendas",
            "tl_agenda_blocks": "Weekly blocks",
            "tl_weekday": "Day",
            "tl_from": "From",
            "tl_until": "Until",
            "tl_exceptions": "Away",
            "tl_upcoming": "Intakes in the next three weeks",
            "tl_no_coaches": "This office has no coaches yet.",
            "tl_no_agenda": "No agenda.",
            "tl_closures": "Office closures",
            "tl_closures_none": "No closures planned.",
            "tl_reason": "Reason",
            "tl_national": "National",
            "tl_add_closure": "Add a closure",
            "tl_closure_date": "Date (first day)",
            "tl_closure_end": "Last day (optional)",
            "tl_closure_hint": "Saturdays and Sundays are skipped. Intakes on a closed day are planned again.",
            "tl_remove": "Remove",
            "tl_closure_added": "Closure added",
            "tl_closure_removed": "Closure removed.",
            "tl_cancelled": "cancelled",
            "tl_rebooked": "planned again",
            "tl_listed_unplanned": "on the unplanned list",
            "tl_replanned": "Planned again because of a closure",
            "tl_replanned_none": "No intakes moved.",
            "tl_old_intake": "Was",
            "tl_new_intake": "Now",
            "tl_not_replanned": "Not planned yet (see Unplanned)",
            "tl_caseload": "Caseload balance",
            "tl_open_cases": "Open cases",
            "tl_contract_hours": "Contract hours",
            "tl_max_caseload": "Maximum",
            "tl_share_of_max": "Share of maximum",
            "tl_per_hour": "Cases per hour",
            "tl_chart_load": "Share of the maximum caseload per coach (%)",
            "tl_unassigned": "Cases without a coach",
            "tl_unassigned_none": "No cases without a coach.",
            "tl_digital": "Digital cases",
            "tl_cases": "The office's open cases",
            "tl_select": "Select",
            "tl_opened": "Opened",
            "tl_transfer": "Transfer cases",
            "tl_transfer_intro": "Tick cases above and pick the new coach. All or nothing.",
            "tl_to_coach": "To coach",
            "tl_reason_category": "Kind of reason",
            "tl_reason_text": "Explanation",
            "tl_transferred": "Cases transferred",
            "tl_no_cases_selected": "Select one or more cases first.",
            "tl_reason_caseload_balance": "Caseload balance",
            "tl_reason_coach_leaves": "Coach leaves",
            "tl_reason_coach_ill": "Coach ill",
            "tl_reason_specialism": "Specialism",
            "tl_reason_claimant_request": "Claimant's request",
            "tl_reason_other": "Other",
            "tl_cover": "Cover",
            "tl_cover_intro": "A colleague works an absent coach's open cases until a date (inclusive).",
            "tl_absent_coach": "Absent coach",
            "tl_covering_coach": "Covering coach",
            "tl_cover_until": "Until (inclusive)",
            "tl_cover_set": "Cover arranged",
            "tl_cover_end": "End cover",
            "tl_cover_ended": "Cover ended",
            "tl_capacity": "Capacity planning",
            "tl_capacity_intro": "Coach-hours needed to hold every intake within the deadline, next to the hours in the agendas.",
            "tl_per_day": "Expected registrations per working day",
            "tl_weeks": "Number of weeks",
            "tl_calculate": "Calculate",
            "tl_default_forecast": "Default: the average of the past weeks.",
            "tl_needed_hours": "Needed (coach-hours)",
            "tl_available_hours": "Available (coach-hours)",
            "tl_shortfall_hours": "Shortfall (coach-hours)",
            "tl_shortfall_slots": "Shortfall (slots)",
            "tl_chart_capacity": "Coach-hours needed and available per week",
            "tl_per_day_table": "Per day",
            "tl_working_day": "Working day",
            "tl_yes": "yes",
            "tl_no": "no",
            "tl_bad_input": "Check what you filled in.",
            "tl_legend": "Legend",
            "tl_wd_0": "Monday",
            "tl_wd_1": "Tuesday",
            "tl_wd_2": "Wednesday",
            "tl_wd_3": "Thursday",
            "tl_wd_4": "Friday",
            "tl_wd_5": "Saturday",
            "tl_wd_6": "Sunday",
        },
    }
)


# -- charts (inline SVG geometry; the templates draw them) -----------------------------------


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    css: str


CHART_W, CHART_H, CHART_LEFT, CHART_BOTTOM = 640.0, 220.0, 40.0, 30.0


def bar_chart(
    labels: list[str], series: list[tuple[str, list[float | None]]], *, top: float | None = None
) -> dict[str, Any]:
    """Grouped bars: one group per label, one bar per series (None draws nothing)."""
    values = [v for _, vs in series for v in vs if v is not None]
    top = top or max(values, default=0.0) or 1.0
    plot_h = CHART_H - CHART_BOTTOM - 10
    group_w = (CHART_W - CHART_LEFT) / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    bars: list[Bar] = []
    for i in range(len(labels)):
        for s, (_, vs) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            h = max(plot_h * min(v, top) / top, 1.0 if v else 0.0)
            x = CHART_LEFT + i * group_w + group_w * 0.1 + s * bar_w
            bars.append(
                Bar(
                    round(x, 1), round(10 + plot_h - h, 1), round(bar_w, 1), round(h, 1), v, f"s{s}"
                )
            )
    ticks = [
        {"x": round(CHART_LEFT + i * group_w + group_w / 2, 1), "label": label}
        for i, label in enumerate(labels)
    ]
    return {
        "w": CHART_W,
        "h": CHART_H,
        "left": CHART_LEFT,
        "base": CHART_H - CHART_BOTTOM,
        "top": top,
        "bars": bars,
        "ticks": ticks,
        "series": [name for name, _ in series],
    }


def line_chart(labels: list[str], values: list[float | None]) -> dict[str, Any]:
    """A line through the values that exist (a gap where a week has none)."""
    present = [v for v in values if v is not None]
    top = max(present, default=0.0) or 1.0
    plot_h = CHART_H - CHART_BOTTOM - 10
    step = (CHART_W - CHART_LEFT) / max(len(labels), 1)
    points = []
    for i, v in enumerate(values):
        if v is None:
            continue
        x = CHART_LEFT + i * step + step / 2
        y = 10 + plot_h - plot_h * v / top
        points.append({"x": round(x, 1), "y": round(y, 1), "value": v})
    return {
        "w": CHART_W,
        "h": CHART_H,
        "left": CHART_LEFT,
        "base": CHART_H - CHART_BOTTOM,
        "top": top,
        "points": points,
        "path": " ".join(f"{p['x']},{p['y']}" for p in points),
        "ticks": [
            {"x": round(CHART_LEFT + i * step + step / 2, 1), "label": label}
            for i, label in enumerate(labels)
        ],
    }


# -- helpers ---------------------------------------------------------------------------------


def _office(request: Request, pages: Pages) -> str:
    """The signed-in team lead's office (403 for any other role or without an office)."""
    session = pages.require(request, ROLE)
    if not session.office:
        raise PageError(403)
    return session.office


def _reraise_unless_a_notice(exc: BackendProblem) -> None:
    """A form's backend refusal (4xx) becomes a notice on the page it came from; an expired
    sign-in (401) and a backend failure (5xx) go to the app's error pages."""
    if exc.status == 401 or exc.status >= 500:
        raise exc


def _uuid(value: str | None) -> str:
    return uuid_or_error(value, key="tl_bad_input")


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise PageError(400, "tl_bad_input") from exc


def _text(value: str | None, limit: int = 500) -> str:
    text = (value or "").strip()
    if not text or len(text) > limit:
        raise PageError(400, "tl_bad_input")
    return text


def _today() -> dt.date:
    return dt.datetime.now(TZ).date()


def _name(a: dict[str, Any]) -> str:
    return " ".join(p for p in (a.get("given_name"), a.get("family_name")) if p)


# -- 1. the dashboard ------------------------------------------------------------------------


@router.get("/office", response_class=HTMLResponse)
async def dashboard(request: Request, pages: PagesDep) -> Response:
    office = _office(request, pages)
    kpis = await pages.get(request, "intake", "/v1/kpis/week-one", params={"office_code": office})
    weeks: list[dict[str, Any]] = next(
        (o["weeks"] for o in kpis["offices"] if o["office_code"] == office), []
    )
    labels = [w["week"][-3:] for w in weeks]
    share = [
        None if w["within_deadline_share"] is None else round(w["within_deadline_share"] * 100, 1)
        for w in weeks
    ]
    median = [w["median_working_days_to_intake"] for w in weeks]
    return pages.render(
        request,
        "team_lead/dashboard.html",
        office=office,
        kpis=kpis,
        weeks=weeks,
        share=share,
        latest=weeks[-1] if weeks else None,
        share_chart=bar_chart(labels, [("share", share)], top=100.0),
        median_chart=line_chart(labels, median),
        noshow_chart=bar_chart(
            labels,
            [
                ("no_shows", [float(w["no_shows"]) for w in weeks]),
                ("shortfalls", [float(w["capacity_shortfalls"]) for w in weeks]),
            ],
        ),
    )


# -- 2. the unplanned list and the plan run --------------------------------------------------


@router.get("/office/unplanned", response_class=HTMLResponse)
async def unplanned(request: Request, pages: PagesDep) -> Response:
    office = _office(request, pages)
    today = _today()
    until = today + dt.timedelta(days=CAPACITY_DAYS - 1)
    waiting, capacity = await asyncio.gather(
        pages.get(request, "intake", f"/v1/offices/{office}/unplanned", params={"limit": 200}),
        pages.get(
            request,
            "intake",
            f"/v1/offices/{office}/capacity",
            params={"from": today.isoformat(), "to": until.isoformat()},
        ),
    )
    for u in waiting["items"]:
        u["since_local"] = local(u["since"])
        u["deadline_day"] = dt.date.fromisoformat(u["deadline"])
    days = capacity["days"]
    for d in days:
        d["day"] = dt.date.fromisoformat(d["date"])
    # Saturdays and Sundays never have slots; a weekday without a free slot is a shortfall
    # for anyone registering now (a holiday or closure shows here too: no slots that day).
    without = [d for d in days if d["day"].weekday() < 5 and d["free_slots"] == 0]
    weekdays = [d for d in days if d["day"].weekday() < 5]
    return pages.render(
        request,
        "team_lead/unplanned.html",
        office=office,
        waiting=waiting,
        capacity=capacity,
        days=weekdays,
        without=without,
        chart=bar_chart(
            [d["day"].strftime("%d-%m") for d in weekdays],
            [("free", [float(d["free_slots"]) for d in weekdays])],
        ),
    )


@router.post("/office/unplanned/plan")
async def plan_now(
    request: Request, pages: PagesDep, csrf_token: str | None = Form(None)
) -> Response:
    pages.require_csrf(request, csrf_token)
    office = _office(request, pages)
    try:
        run = await pages.send(request, "POST", "intake", f"/v1/offices/{office}/planning/run")
    except BackendProblem as exc:
        _reraise_unless_a_notice(exc)
        return pages.redirect(request, "/office/unplanned", error=exc)
    t = functools.partial(pages.t, request)
    pages.notify(
        request,
        "ok",
        f"{t('tl_planned')}: {run['booked']} · {run['still_unplanned']} {t('tl_still_unplanned')}",
    )
    return pages.redirect(request, "/office/unplanned")


# -- 3. agendas and closures -----------------------------------------------------------------


@router.get("/office/agendas", response_class=HTMLResponse)
async def agendas(request: Request, pages: PagesDep) -> Response:
    office = _office(request, pages)
    today = _today()
    last = today + dt.timedelta(days=AGENDA_DAYS - 1)
    coaches, closures = await asyncio.gather(
        pages.get(
            request,
            "coaching",
            "/v1/coaches",
            params={"office_code": office, "active": "true", "limit": 200},
        ),
        pages.get(
            request,
            "intake",
            "/v1/calendar/closures",
            params={"office_code": office, "from": today.isoformat(), "limit": 200},
        ),
    )
    roster = coaches["items"]
    # intake has no office-wide agenda or appointment list: two calls per coach (concurrent).
    calls = []
    for c in roster:
        calls.append(pages.optional(request, "intake", f"/v1/coaches/{c['id']}/agenda"))
        calls.append(
            pages.optional(
                request,
                "intake",
                f"/v1/coaches/{c['id']}/appointments",
                params={"from": today.isoformat(), "to": last.isoformat(), "limit": 200},
            )
        )
    answers = await asyncio.gather(*calls)
    rows = []
    everyone: list[dict[str, Any]] = []
    for i, c in enumerate(roster):
        agenda, appts = answers[2 * i], answers[2 * i + 1]
        items = (appts or {}).get("items", [])
        for a in items:
            a["starts"] = local(a["starts_at"])
            a["name"] = _name(a)
            a["coach_name"] = c["display_name"]
        everyone.extend(items)
        rows.append(
            {
                "coach": c,
                "agenda": agenda,
                "upcoming": [a for a in items if a["status"] in ACTIVE],
            }
        )
    for c in closures["items"]:
        c["day"] = dt.date.fromisoformat(c["date"])
    closure_days = {
        dt.date.fromisoformat(c["date"]): c for c in closures["items"] if c["office_code"]
    }
    active_of: dict[str, dict[str, Any]] = {}
    for a in sorted(everyone, key=lambda a: a["starts"]):
        if a["status"] in ACTIVE:
            active_of.setdefault(a["claim_id"], a)
    # What a closure did: the intakes cancelled by the service on a closed day, each with the
    # claim's intake now (the backend rebooked it in the same transaction, or listed it).
    replanned = [
        {"old": a, "new": active_of.get(a["claim_id"]), "closure": closure_days[a["starts"].date()]}
        for a in sorted(everyone, key=lambda a: a["starts"])
        if a["status"] == "cancelled_by_service" and a["starts"].date() in closure_days
    ]
    # Rebooked beyond this office's coaches or these three weeks (a neighbouring office, or
    # late): the claim's own appointments say where (a call only for such a claim).
    lost = [r for r in replanned if r["new"] is None]
    found = await asyncio.gather(
        *(
            pages.optional(request, "intake", f"/v1/claims/{r['old']['claim_id']}/appointments")
            for r in lost
        )
    )
    for r, appointments in zip(lost, found, strict=True):
        for a in sorted(appointments or [], key=lambda a: a["starts_at"]):
            if a["status"] in ACTIVE:
                r["new"] = {**a, "starts": local(a["starts_at"]), "coach_name": a["office_code"]}
                break
    return pages.render(
        request,
        "team_lead/agendas.html",
        office=office,
        rows=rows,
        closures=closures["items"],
        replanned=replanned,
        weekdays=[pages.t(request, f"tl_wd_{i}") for i in range(7)],
        today=today,
    )


@router.post("/office/agendas/closures")
async def add_closure(
    request: Request,
    pages: PagesDep,
    csrf_token: str | None = Form(None),
    date: str | None = Form(None),
    end_date: str | None = Form(None),
    reason: str | None = Form(None),
) -> Response:
    pages.require_csrf(request, csrf_token)
    office = _office(request, pages)
    first = _date(date)
    last = _date(end_date) if (end_date or "").strip() else first
    if last < first or (last - first).days >= MAX_CLOSURE_DAYS:
        return pages.redirect(request, "/office/agendas", error="tl_bad_input")
    text = _text(reason)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    # Saturday and Sunday are never working days (the backend would refuse them).
    days = [d for d in days if d.weekday() < 5] or [first]
    totals = {"appointments_cancelled": 0, "appointments_rebooked": 0, "appointments_unplanned": 0}
    t = functools.partial(pages.t, request)
    done: list[str] = []
    for day in days:
        try:
            created = await pages.send(
                request,
                "POST",
                "intake",
                "/v1/calendar/closures",
                json={"date": day.isoformat(), "office_code": office, "reason": text},
            )
        except BackendProblem as exc:
            _reraise_unless_a_notice(exc)
            if not done:
                return pages.redirect(request, "/office/agendas", error=exc)
            # Part of the range is closed already: say which days, and why the rest failed.
            pages.notify(
                request,
                "error",
                f"{t('tl_closure_added')} ({', '.join(done)}). "
                f"{day.strftime('%d-%m-%Y')}: {problem_text(exc)}",
            )
            return pages.redirect(request, "/office/agendas")
        done.append(day.strftime("%d-%m-%Y"))
        for k in totals:
            totals[k] += int(created["effect"][k])
    pages.notify(
        request,
        "ok",
        f"{t('tl_closure_added')} ({', '.join(done)}): "
        f"{totals['appointments_cancelled']} {t('tl_cancelled')}, "
        f"{totals['appointments_rebooked']} {t('tl_rebooked')}, "
        f"{totals['appointments_unplanned']} {t('tl_listed_unplanned')}.",
    )
    return pages.redirect(request, "/office/agendas")


@router.post("/office/agendas/closures/{closure_id}/delete")
async def remove_closure(
    request: Request, closure_id: str, pages: PagesDep, csrf_token: str | None = Form(None)
) -> Response:
    pages.require_csrf(request, csrf_token)
    _office(request, pages)
    cid = _uuid(closure_id)
    try:
        await pages.send(request, "DELETE", "intake", f"/v1/calendar/closures/{cid}")
    except BackendProblem as exc:
        _reraise_unless_a_notice(exc)
        return pages.redirect(request, "/office/agendas", error=exc)
    return pages.redirect(request, "/office/agendas", ok="tl_closure_removed")


# -- 4. caseload balance, transfers and cover ------------------------------------------------


@router.get("/office/caseload", response_class=HTMLResponse)
async def caseload(request: Request, pages: PagesDep) -> Response:
    office = _office(request, pages)
    balance, unassigned, cases = await asyncio.gather(
        pages.get(request, "coaching", f"/v1/offices/{office}/caseload"),
        pages.get(
            request, "coaching", f"/v1/offices/{office}/unassigned-cases", params={"limit": 200}
        ),
        pages.get(
            request,
            "coaching",
            "/v1/cases",
            params={
                "office_code": office,
                "status": "open",
                "assignment_status": "assigned",
                "sort": "opened_at",
                "limit": 200,
            },
        ),
    )
    coaches = balance["coaches"]
    names = {c["coach_id"]: c["display_name"] for c in coaches}
    for c in cases["items"]:
        c["coach_name"] = names.get(c.get("coach_id") or "", c.get("coach_id") or "—")
    return pages.render(
        request,
        "team_lead/caseload.html",
        office=office,
        balance=balance,
        coaches=coaches,
        active_coaches=[c for c in coaches if c["active"]],
        unassigned=unassigned,
        cases=cases,
        reasons=TRANSFER_REASONS,
        today=_today(),
        chart=bar_chart(
            [c["display_name"][:14] for c in coaches],
            [
                (
                    "share",
                    [
                        None if c["share_of_max"] is None else round(c["share_of_max"] * 100, 1)
                        for c in coaches
                    ],
                )
            ],
            top=100.0,
        ),
    )


@router.post("/office/caseload/transfer")
async def transfer(request: Request, pages: PagesDep) -> Response:
    form = await request.form()
    pages.require_csrf(request, str(form.get("csrf_token") or ""))
    _office(request, pages)
    claim_ids = [_uuid(str(v)) for v in form.getlist("claim_id")]
    if not claim_ids:
        return pages.redirect(request, "/office/caseload", error="tl_no_cases_selected")
    if len(claim_ids) > 200:
        raise PageError(400, "tl_bad_input")
    to_coach = _uuid(str(form.get("to_coach_id") or ""))
    category = str(form.get("reason_category") or "")
    if category not in TRANSFER_REASONS:
        raise PageError(400, "tl_bad_input")
    text = _text(str(form.get("reason_text") or ""))
    try:
        result = await pages.send(
            request,
            "POST",
            "coaching",
            "/v1/transfers",
            json={
                "reason_category": category,
                "reason_text": text,
                "moves": [{"claim_id": c, "to_coach_id": to_coach} for c in claim_ids],
            },
        )
    except BackendProblem as exc:
        _reraise_unless_a_notice(exc)
        return pages.redirect(request, "/office/caseload", error=exc)
    pages.notify(request, "ok", f"{pages.t(request, 'tl_transferred')}: {result['transferred']}")
    return pages.redirect(request, "/office/caseload")


@router.post("/office/caseload/cover")
async def set_cover(
    request: Request,
    pages: PagesDep,
    csrf_token: str | None = Form(None),
    coach_id: str | None = Form(None),
    covering_coach_id: str | None = Form(None),
    until: str | None = Form(None),
    reason: str | None = Form(None),
) -> Response:
    pages.require_csrf(request, csrf_token)
    _office(request, pages)
    absent, covering = _uuid(coach_id), _uuid(covering_coach_id)
    body = {
        "covering_coach_id": covering,
        "until": _date(until).isoformat(),
        "reason": _text(reason),
    }
    try:
        result = await pages.send(
            request, "PUT", "coaching", f"/v1/coaches/{absent}/cover", json=body
        )
    except BackendProblem as exc:
        _reraise_unless_a_notice(exc)
        return pages.redirect(request, "/office/caseload", error=exc)
    pages.notify(request, "ok", f"{pages.t(request, 'tl_cover_set')}: {result['cases']}")
    return pages.redirect(request, "/office/caseload")


@router.post("/office/caseload/cover/end")
async def end_cover(
    request: Request,
    pages: PagesDep,
    csrf_token: str | None = Form(None),
    coach_id: str | None = Form(None),
) -> Response:
    pages.require_csrf(request, csrf_token)
    _office(request, pages)
    absent = _uuid(coach_id)
    try:
        result = await pages.send(request, "DELETE", "coaching", f"/v1/coaches/{absent}/cover")
    except BackendProblem as exc:
        _reraise_unless_a_notice(exc)
        return pages.redirect(request, "/office/caseload", error=exc)
    pages.notify(request, "ok", f"{pages.t(request, 'tl_cover_ended')}: {result['cases']}")
    return pages.redirect(request, "/office/caseload")


# -- 5. the capacity plan --------------------------------------------------------------------


def _forecast_days(first: dt.date, weeks: int) -> list[dt.date]:
    """The weekdays of the coming `weeks` weeks from `first` (registrations come in on
    weekdays; the backend decides which of them are working days)."""
    days = (first + dt.timedelta(days=i) for i in range(weeks * 7))
    return [d for d in days if d.weekday() < 5]


@router.get("/office/capacity", response_class=HTMLResponse)
async def capacity(
    request: Request,
    pages: PagesDep,
    per_day: str | None = None,
    weeks: str | None = None,
) -> Response:
    office = _office(request, pages)
    try:
        n_weeks = int(weeks) if weeks else 4
        forecast = int(per_day) if per_day not in (None, "") else None
    except ValueError as exc:
        raise PageError(400, "tl_bad_input") from exc
    if not 1 <= n_weeks <= MAX_PLAN_WEEKS or (forecast is not None and not 0 <= forecast <= 10000):
        raise PageError(400, "tl_bad_input")
    if forecast is None:
        # The default forecast is the office's own recent registrations (a second call to
        # intake, only when the team lead has not entered a number).
        kpis = await pages.get(
            request, "intake", "/v1/kpis/week-one", params={"office_code": office}
        )
        weeks_seen: list[dict[str, Any]] = next(
            (o["weeks"] for o in kpis["offices"] if o["office_code"] == office), []
        )
        past = [w["registrations"] for w in weeks_seen[:-1]][-4:]  # complete weeks only
        forecast = round(statistics.fmean(past) / 5) if past and sum(past) else 1
    first = _today() + dt.timedelta(days=1)
    body = {
        "offices": [
            {
                "office_code": office,
                "days": [
                    {"date": d.isoformat(), "registrations": forecast}
                    for d in _forecast_days(first, n_weeks)
                ],
            }
        ]
    }
    plan = await pages.send(request, "POST", "intake", "/v1/planning/intake-capacity", json=body)
    mine = next((o for o in plan["offices"] if o["office_code"] == office), None)
    plan_weeks = mine["weeks"] if mine else []
    return pages.render(
        request,
        "team_lead/capacity.html",
        office=office,
        per_day=forecast,
        n_weeks=n_weeks,
        max_weeks=MAX_PLAN_WEEKS,
        plan=plan,
        mine=mine,
        weeks=plan_weeks,
        chart=bar_chart(
            [w["week"][-3:] for w in plan_weeks],
            [
                ("needed", [w["needed_coach_hours"] for w in plan_weeks]),
                ("available", [w["available_coach_hours"] for w in plan_weeks]),
            ],
        ),
    )
