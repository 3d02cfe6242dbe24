"""The claimant's own pages: my intake (add to calendar, reschedule, cancel), my
questionnaire, my work plan and obligation, the messages I received.

Which claim is the claimant's is intake's decision: `GET /v1/claims` lists a claimant only
the claims they registered themselves (the token's subject, ADR 0022/0025). Every rule
(the reschedule cut-off, which slots are free, what a claimant may report) is the
backends'; their 409/422 is shown as a notice on the page the claimant came from.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from shared.reference.sectors import load_sectors
from web.backend import BackendProblem
from web.i18n import register
from web.pages import TZ, PageError, Pages, PagesDep, local, problem_text, uuid_or_error

router = APIRouter()

# An appointment the claimant can still move or cancel (the backend decides whether now).
OPEN_STATUSES = ("booked", "rescheduled")
CANCEL_REASONS = ("illness", "found_work", "unavailable", "other")
PARTS_OF_DAY = ("morning", "afternoon")
JOB_SEARCH_KINDS = (
    "application",
    "interview",
    "assessment",
    "temp_agency_registration",
    "uwv_workshop",
    "cv_posting",
)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- finding my claim ---------------------------------------------------------------------


async def my_claim(request: Request, pages: Pages) -> dict[str, Any] | None:
    """The claimant's claim: the newest open one, else the newest (None: none yet). Staff
    roles get the 403 page: these pages are the claimant's only."""
    pages.require(request, "claimant")
    page = await pages.get(request, "intake", "/v1/claims", params={"limit": 20})
    claims: list[dict[str, Any]] = page["items"]
    for claim in claims:
        if claim.get("status") == "open":
            return claim
    return claims[0] if claims else None


def _fail(request: Request, pages: Pages, url: str, key: str, problem: BackendProblem) -> Response:
    """Back to `url` with our sentence in plain language and the backend's reason. A
    notice not yet shown stays (a failed reschedule goes back to the times, which may
    itself send the claimant on to /me: the first reason is the one to read)."""
    text = f"{pages.t(request, key)} {problem_text(problem)}"
    pages.notify(request, "error", text, problem.fields, keep_pending=True)
    return pages.redirect(request, url)


def _day(value: str | None) -> str | None:
    """A YYYY-MM-DD form field, or None (400 page for anything else)."""
    if not value:
        return None
    try:
        if not _ISO_DAY.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise PageError(400) from exc


def _uuid(value: str | None) -> str:
    return uuid_or_error(value)


def _str(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


# -- my intake ------------------------------------------------------------------------------


def _current(appointments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The intake that matters now: the next open one, else the latest."""
    open_ = [a for a in appointments if a["status"] in OPEN_STATUSES]
    if open_:
        return min(open_, key=lambda a: a["starts_at"])
    return max(appointments, key=lambda a: a["starts_at"]) if appointments else None


@router.get("/me", response_class=HTMLResponse)
async def my_intake(request: Request, pages: PagesDep) -> Response:
    claim = await my_claim(request, pages)
    if claim is None:
        return pages.render(request, "claimant/intake.html", claim=None, current=None)
    cid = claim["id"]
    # Intake has no "my claim with its appointments and the office" read: the claim first,
    # then its appointments and the claim's office at once (the intake is nearly always
    # held there; a neighbour office's address costs one more call).
    appointments, office = await asyncio.gather(
        pages.get(request, "intake", f"/v1/claims/{cid}/appointments"),
        pages.optional(request, "intake", f"/v1/offices/{claim['office_code']}/contact"),
    )
    for a in appointments:
        a["starts"], a["ends"] = local(a["starts_at"]), local(a["ends_at"])
    current = _current(appointments)
    if current is None:
        office = None
    elif current["office_code"] != claim["office_code"]:
        office = await pages.optional(
            request, "intake", f"/v1/offices/{current['office_code']}/contact"
        )
    return pages.render(
        request,
        "claimant/intake.html",
        claim=claim,
        current=current,
        office=office,
        history=sorted(appointments, key=lambda a: a["starts_at"], reverse=True),
        movable=current is not None and current["status"] in OPEN_STATUSES,
        rebookable=current is not None
        and current["status"] == "cancelled_by_claimant"
        and claim["status"] == "open",
    )


@router.get("/me/appointments/{appointment_id}/calendar.ics")
async def calendar_file(request: Request, appointment_id: uuid.UUID, pages: PagesDep) -> Response:
    """Intake's iCalendar file of the appointment, fetched with the claimant's token (the
    backend decides whose appointment it is: another's is its 404, ours too)."""
    pages.require(request, "claimant")
    aid = str(appointment_id)
    # A backend 403/404 is our 403/404 page, as for every other call.
    r = await pages.download(
        request, "intake", f"/v1/appointments/{aid}.ics", accept="text/calendar"
    )
    return Response(
        content=r.content,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="intake-{aid}.ics"'},
    )


@router.get("/me/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule_page(
    request: Request,
    appointment_id: uuid.UUID,
    pages: PagesDep,
    from_date: str | None = None,
    part_of_day: str | None = None,
) -> Response:
    pages.require(request, "claimant")
    aid = str(appointment_id)
    params: dict[str, Any] = {"limit": 30}
    day = _day(from_date)
    if day:
        params["from_date"] = day
    if part_of_day:
        if part_of_day not in PARTS_OF_DAY:
            raise PageError(400)
        params["part_of_day"] = part_of_day
    appointment, alternatives = await asyncio.gather(
        pages.get(request, "intake", f"/v1/appointments/{aid}"),
        _alternatives(request, pages, aid, params),
    )
    if isinstance(alternatives, BackendProblem):
        return _fail(request, pages, "/me", "me_cannot_move", alternatives)
    appointment["starts"] = local(appointment["starts_at"])
    slots = []
    for s in alternatives["items"]:
        slots.append({**s, "starts": local(s["starts_at"]), "ends": local(s["ends_at"])})
    return pages.render(
        request,
        "claimant/reschedule.html",
        appointment=appointment,
        slots=slots,
        from_date=day or "",
        part_of_day=part_of_day or "",
    )


async def _alternatives(
    request: Request, pages: Pages, aid: str, params: dict[str, Any]
) -> dict[str, Any] | BackendProblem:
    """The free slots, or the backend's 409/422 (the appointment cannot be moved now)."""
    try:
        result: dict[str, Any] = await pages.get(
            request, "intake", f"/v1/appointments/{aid}/alternatives", params=params
        )
    except BackendProblem as exc:
        if exc.status in (409, 422):
            return exc
        raise
    return result


@router.post("/me/appointments/{appointment_id}/reschedule")
async def reschedule(request: Request, appointment_id: uuid.UUID, pages: PagesDep) -> Response:
    form = await request.form()
    pages.require_csrf(request, _str(form, "csrf_token"))
    pages.require(request, "claimant")
    aid = str(appointment_id)
    back = f"/me/appointments/{aid}/reschedule"
    if not _str(form, "slot_id"):
        return pages.redirect(request, back, error="me_pick_a_slot")
    slot_id = _uuid(_str(form, "slot_id"))
    try:
        await pages.send(
            request,
            "POST",
            "intake",
            f"/v1/appointments/{aid}/reschedule",
            json={"slot_id": slot_id},
        )
    except BackendProblem as exc:
        if exc.status in (403, 404):
            raise
        return _fail(request, pages, back, "me_reschedule_failed", exc)
    return pages.redirect(request, "/me", ok="me_rescheduled")


@router.get("/me/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel_page(request: Request, appointment_id: uuid.UUID, pages: PagesDep) -> Response:
    pages.require(request, "claimant")
    appointment = await pages.get(request, "intake", f"/v1/appointments/{appointment_id}")
    appointment["starts"] = local(appointment["starts_at"])
    return pages.render(
        request, "claimant/cancel.html", appointment=appointment, reasons=CANCEL_REASONS
    )


@router.post("/me/appointments/{appointment_id}/cancel")
async def cancel(request: Request, appointment_id: uuid.UUID, pages: PagesDep) -> Response:
    form = await request.form()
    pages.require_csrf(request, _str(form, "csrf_token"))
    pages.require(request, "claimant")
    aid = str(appointment_id)
    back = f"/me/appointments/{aid}/cancel"
    reason = _str(form, "reason_code")
    if reason not in CANCEL_REASONS:
        return pages.redirect(request, back, error="me_pick_a_reason")
    body: dict[str, Any] = {"reason_code": reason}
    text = _str(form, "reason_text")
    if text:
        if len(text) > 500:
            return pages.redirect(request, back, error="me_reason_too_long")
        body["reason_text"] = text
    try:
        await pages.send(request, "POST", "intake", f"/v1/appointments/{aid}/cancel", json=body)
    except BackendProblem as exc:
        if exc.status in (403, 404):
            raise
        return _fail(request, pages, back, "me_cancel_failed", exc)
    return pages.redirect(request, "/me", ok="me_cancelled")


# -- my questionnaire ---------------------------------------------------------------------------


def _choice_label(request: Request, pages: Pages, item: str, code: str) -> str:
    """A choice in words: sectors from the one sector list, the others from our catalogue
    (the code itself when a new choice has no text yet)."""
    if item == "last_sector":
        sector = load_sectors().get(code)
        if sector is not None:
            return sector.label_en if pages.lang(request) == "en" else sector.label_nl
        return code
    key = f"me_q_{item}_{code}"
    text = pages.t(request, key)
    return code if text == key else text


async def _answers(request: Request, pages: Pages, claim_id: str) -> dict[str, Any]:
    """The answers in force (triage's 409: none given yet)."""
    try:
        given = await pages.optional(request, "triage", f"/v1/claims/{claim_id}/questionnaire")
    except BackendProblem as exc:
        if exc.status == 409:
            return {}
        raise
    return dict((given or {}).get("answers") or {})


@router.get("/me/questionnaire", response_class=HTMLResponse)
async def questionnaire_page(request: Request, pages: PagesDep) -> Response:
    claim = await my_claim(request, pages)
    if claim is None:
        return pages.render(request, "claimant/questionnaire.html", claim=None)
    # Two reads of triage (the form and my answers): no route gives both at once.
    definition, answers = await asyncio.gather(
        pages.get(request, "triage", "/v1/questionnaire"), _answers(request, pages, claim["id"])
    )
    lang = pages.lang(request)
    items = []
    for item in definition["items"]:
        kind = item["kind"]
        options: list[tuple[str, str]] = []
        if kind == "choice":
            options = [(c, _choice_label(request, pages, item["key"], c)) for c in item["choices"]]
        elif kind == "scale":
            lo, hi = int(item["minimum"] or 1), int(item["maximum"] or 5)
            options = [(str(v), pages.t(request, f"me_scale_{v}")) for v in range(lo, hi + 1)]
        elif kind == "boolean":
            options = [("true", pages.t(request, "me_yes")), ("false", pages.t(request, "me_no"))]
        items.append(
            {
                **item,
                "label": item["label_en"] if lang == "en" else item["label_nl"],
                "options": options,
            }
        )
    return pages.render(
        request,
        "claimant/questionnaire.html",
        claim=claim,
        version=definition["version"],
        items=items,
        answers=answers,
    )


@router.post("/me/questionnaire")
async def submit_questionnaire(request: Request, pages: PagesDep) -> Response:
    form = await request.form()
    pages.require_csrf(request, _str(form, "csrf_token"))
    claim, definition = await asyncio.gather(
        my_claim(request, pages), pages.get(request, "triage", "/v1/questionnaire")
    )
    if claim is None:
        raise PageError(404)
    answers: dict[str, Any] = {}
    for item in definition["items"]:
        raw = _str(form, f"answers.{item['key']}")
        if raw is None:
            continue  # the backend names every missing required answer
        try:
            if item["kind"] in ("integer", "scale"):
                number = float(raw.replace(",", "."))
                if not number.is_integer():
                    raise ValueError(raw)
                answers[item["key"]] = int(number)
            elif item["kind"] == "number":
                answers[item["key"]] = float(raw.replace(",", "."))
            elif item["kind"] == "boolean":
                if raw not in ("true", "false"):
                    raise ValueError(raw)
                answers[item["key"]] = raw == "true"
            else:
                answers[item["key"]] = raw
        except ValueError:
            return pages.redirect(request, "/me/questionnaire", error="me_not_a_number")
    try:
        await pages.send(
            request,
            "PUT",
            "triage",
            f"/v1/claims/{claim['id']}/questionnaire",
            json={"questionnaire_version": definition["version"], "answers": answers},
        )
    except BackendProblem as exc:
        if exc.status in (403, 404):
            raise
        return _fail(request, pages, "/me/questionnaire", "me_questionnaire_failed", exc)
    return pages.redirect(request, "/me/questionnaire", ok="me_questionnaire_saved")


# -- my work plan and obligation ---------------------------------------------------------------


@router.get("/me/work-plan", response_class=HTMLResponse)
async def work_plan_page(request: Request, pages: PagesDep) -> Response:
    claim = await my_claim(request, pages)
    plan = obligation = activities = None
    if claim is not None:
        cid = claim["id"]
        # One backend, three resources: coaching has no combined read (see the report).
        plan, obligation, activities = await asyncio.gather(
            pages.optional(
                request, "coaching", f"/v1/cases/{cid}/work-plan", params={"limit": 100}
            ),
            pages.optional(request, "coaching", f"/v1/cases/{cid}/obligation"),
            pages.optional(
                request, "coaching", f"/v1/cases/{cid}/job-search-activities", params={"limit": 50}
            ),
        )
    _dates(plan, obligation, activities)
    return pages.render(
        request,
        "claimant/work_plan.html",
        claim=claim,
        plan=plan,
        obligation=obligation,
        activities=(activities or {}).get("items", []),
        kinds=JOB_SEARCH_KINDS,
        today=dt.datetime.now(TZ).date().isoformat(),
        form_key=pages.form_key(),
    )


def _dates(*docs: Any) -> None:
    """The backends' calendar days (YYYY-MM-DD) as dates, to be shown in words."""
    names = {"due_on", "activity_date", "period_start", "period_end", "starts_on", "ends_on"}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in names and isinstance(value, str) and _ISO_DAY.match(value):
                    node[key] = dt.date.fromisoformat(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for doc in docs:
        walk(doc)


@router.post("/me/work-plan/job-search-activities")
async def report_job_search(request: Request, pages: PagesDep) -> Response:
    form = await request.form()
    pages.require_csrf(request, _str(form, "csrf_token"))
    claim = await my_claim(request, pages)
    if claim is None:
        raise PageError(404)
    back = "/me/work-plan"
    kind = _str(form, "kind")
    if kind not in JOB_SEARCH_KINDS:
        return pages.redirect(request, back, error="me_pick_a_kind")
    day = _str(form, "activity_date")
    if day is None or not _ISO_DAY.match(day):
        return pages.redirect(request, back, error="me_pick_a_date")
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return pages.redirect(request, back, error="me_pick_a_date")
    body: dict[str, Any] = {"kind": kind, "activity_date": day}
    for name, limit in (("employer", 200), ("description", 1000)):
        value = _str(form, name)
        if value is not None:
            if len(value) > limit:
                return pages.redirect(request, back, error="me_text_too_long")
            body[name] = value
    try:
        await pages.send(
            request, "POST", "coaching", f"/v1/cases/{claim['id']}/job-search-activities", json=body
        )
    except BackendProblem as exc:
        if exc.status in (403, 404):
            raise
        return _fail(request, pages, back, "me_report_failed", exc)
    return pages.redirect(request, back, ok="me_reported")


# -- my messages -------------------------------------------------------------------------------


@router.get("/me/messages", response_class=HTMLResponse)
async def messages_page(request: Request, pages: PagesDep) -> Response:
    claim = await my_claim(request, pages)
    messages: list[dict[str, Any]] = []
    if claim is not None:
        page = await pages.get(
            request, "intake", f"/v1/claims/{claim['id']}/messages", params={"limit": 100}
        )
        messages = page["items"]
        for m in messages:
            m["created"] = local(m["created_at"])
    return pages.render(request, "claimant/messages.html", claim=claim, messages=messages)


@router.get("/me/messages/{message_id}", response_class=HTMLResponse)
async def message_page(request: Request, message_id: uuid.UUID, pages: PagesDep) -> Response:
    pages.require(request, "claimant")
    message = await pages.get(request, "intake", f"/v1/messages/{message_id}")
    message["created"] = local(message["created_at"])
    return pages.render(request, "claimant/message.html", message=message)


# -- texts ---------------------------------------------------------------------------------------

_WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_NL = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
_MONTHS_EN = (
    "January February March April May June July August September October November December"
).split()

_NL: dict[str, str] = {
    "me_title_intake": "Mijn afspraak",
    "me_no_claim": "Wij hebben nog geen WW-aanvraag van u gevonden.",
    "me_no_claim_help": (
        "Heeft u net een aanvraag gedaan? Kom dan over een paar minuten terug. "
        "Heeft u de aanvraag niet zelf gedaan? Bel dan uw kantoor."
    ),
    "me_no_appointment": "Er is nog geen afspraak voor uw intakegesprek. U krijgt bericht als er een afspraak is.",
    "me_your_intake": "Uw intakegesprek",
    "me_intake_intro": "In het intakegesprek praat u met een coach over werk zoeken en uw WW.",
    "me_when": "Wanneer",
    "me_where": "Waar",
    "me_with": "Met wie",
    "me_coach_named_at_office": "Een coach van het kantoor. U hoort de naam bij het gesprek.",
    "me_coach_named": "{name}, werkcoach",
    "me_until": "tot",
    "me_route": "Route",
    "me_opening_hours": "Openingstijden",
    "me_phone": "Telefoon",
    "me_email": "E-mail",
    "me_add_to_calendar": "Zet in mijn agenda",
    "me_add_to_calendar_help": "U downloadt een bestand voor uw agenda (.ics).",
    "me_other_time": "Andere tijd kiezen",
    "me_pick_new_time": "Een nieuwe tijd kiezen",
    "me_cancel_intake": "Afspraak afzeggen",
    "me_history": "Al mijn afspraken",
    "me_status_booked": "Gepland",
    "me_status_rescheduled": "Verzet",
    "me_status_completed": "Gehouden",
    "me_status_no_show": "Niet gekomen",
    "me_status_cancelled_by_claimant": "Afgezegd door u",
    "me_status_cancelled_by_service": "Afgezegd door ons",
    "me_summoned": "Let op: dit is een oproep. Komt u niet, dan kan dat gevolgen hebben voor uw uitkering.",
    "me_rules": "U kunt uw afspraak verzetten of afzeggen tot een paar uur voor het begin. Daarna belt u het kantoor.",
    "me_title_reschedule": "Een andere tijd kiezen",
    "me_now_planned": "Uw afspraak staat nu op",
    "me_filter": "Tijden zoeken",
    "me_from_date": "Vanaf datum",
    "me_part_of_day": "Deel van de dag",
    "me_any_time": "Maakt niet uit",
    "me_part_morning": "Ochtend",
    "me_part_afternoon": "Middag",
    "me_search": "Zoeken",
    "me_free_times": "Vrije tijden",
    "me_no_free_times": "Er zijn geen vrije tijden gevonden. Kies een andere datum, of bel het kantoor.",
    "me_travel": "reistijd ongeveer",
    "me_minutes": "minuten",
    "me_confirm_time": "Deze tijd kiezen",
    "me_keep_time": "Niets veranderen",
    "me_pick_a_slot": "Kies eerst een tijd.",
    "me_cannot_move": "Deze afspraak kunt u nu niet verzetten.",
    "me_reschedule_failed": "Het verzetten is niet gelukt.",
    "me_rescheduled": "Uw afspraak is verzet. U krijgt een bevestiging per e-mail of post.",
    "me_title_cancel": "Afspraak afzeggen",
    "me_cancel_question": "Weet u zeker dat u deze afspraak wilt afzeggen?",
    "me_cancel_consequence": (
        "Het intakegesprek is verplicht. Na het afzeggen kiest u zelf een nieuwe tijd, "
        "of wij plannen een nieuwe afspraak voor u."
    ),
    "me_reason": "Waarom zegt u af?",
    "me_reason_illness": "Ik ben ziek",
    "me_reason_found_work": "Ik heb werk gevonden",
    "me_reason_unavailable": "Ik kan niet op deze tijd",
    "me_reason_other": "Een andere reden",
    "me_reason_text": "Toelichting (niet verplicht)",
    "me_confirm_cancel": "Ja, zeg de afspraak af",
    "me_dont_cancel": "Nee, terug naar mijn afspraak",
    "me_pick_a_reason": "Kies een reden.",
    "me_reason_too_long": "De toelichting is te lang (hoogstens 500 tekens).",
    "me_cancel_failed": "Het afzeggen is niet gelukt.",
    "me_cancelled": "Uw afspraak is afgezegd.",
    "me_title_questionnaire": "Mijn vragenlijst",
    "me_questionnaire_intro": (
        "Met deze vragen kijken wij welke hulp bij het zoeken naar werk bij u past. "
        "Een coach bespreekt de uitkomst met u. Vragen met een * zijn verplicht."
    ),
    "me_questionnaire_prefilled": (
        "U ziet de antwoorden die u eerder gaf. Klopt iets niet meer? "
        "Verander het en stuur de vragenlijst opnieuw op."
    ),
    "me_required": "verplicht",
    "me_between": "Een getal van {min} tot en met {max}",
    "me_send_questionnaire": "Vragenlijst opsturen",
    "me_not_a_number": "Vul bij getallen alleen cijfers in.",
    "me_questionnaire_failed": "De vragenlijst is niet opgeslagen.",
    "me_questionnaire_saved": "Dank u wel. Uw antwoorden zijn opgeslagen.",
    "me_yes": "Ja",
    "me_no": "Nee",
    "me_scale_1": "1 (heel slecht)",
    "me_scale_2": "2 (slecht)",
    "me_scale_3": "3 (gaat wel)",
    "me_scale_4": "4 (goed)",
    "me_scale_5": "5 (heel goed)",
    "me_title_work_plan": "Mijn werkplan",
    "me_no_case": "U heeft nog geen werkplan. U maakt het samen met uw coach na het intakegesprek.",
    "me_plan_activities": "Afspraken in mijn werkplan",
    "me_no_activities": "Er staan nog geen afspraken in uw werkplan.",
    "me_what": "Wat",
    "me_due": "Klaar op",
    "me_outcome": "Resultaat",
    "me_overdue": "te laat",
    "me_activity_application": "Solliciteren",
    "me_activity_training": "Opleiding of cursus",
    "me_activity_trial_placement": "Proefplaatsing",
    "me_activity_volunteer_work": "Vrijwilligerswerk",
    "me_activity_workshop": "Workshop",
    "me_activity_walk_along_day": "Meeloopdag",
    "me_activity_other": "Iets anders",
    "me_plan_status_planned": "Gepland",
    "me_plan_status_in_progress": "Bezig",
    "me_plan_status_done": "Klaar",
    "me_plan_status_cancelled": "Gestopt",
    "me_obligation": "Mijn sollicitatieplicht",
    "me_no_obligation_yet": "Uw coach spreekt de sollicitatieplicht met u af in het intakegesprek.",
    "me_regime": "Afspraak",
    "me_regime_regular": "Gewone sollicitatieplicht",
    "me_regime_none": "Geen sollicitatieplicht",
    "me_regime_individual": "Eigen afspraak met uw coach",
    "me_per_period": "Activiteiten per periode van {days} dagen",
    "me_this_period": "Deze periode",
    "me_counted": "Gedaan",
    "me_needed": "Nodig",
    "me_period": "Periode",
    "me_earlier_periods": "Eerdere perioden",
    "me_period_compliant": "Gehaald",
    "me_period_not_compliant": "Niet gehaald",
    "me_period_exempt": "Vrijgesteld",
    "me_period_open": "Loopt nog",
    "me_period_no_obligation": "Geen plicht",
    "me_reported_activities": "Wat ik heb gedaan",
    "me_no_reported": "U heeft nog niets doorgegeven.",
    "me_report_title": "Doorgeven wat ik heb gedaan",
    "me_report_intro": "Geef elke sollicitatie of andere activiteit door. Dat telt mee voor uw sollicitatieplicht.",
    "me_kind": "Wat heeft u gedaan?",
    "me_activity_date": "Op welke dag?",
    "me_employer": "Bij welk bedrijf? (niet verplicht)",
    "me_description": "Toelichting (niet verplicht)",
    "me_report": "Doorgeven",
    "me_pick_a_kind": "Kies wat u heeft gedaan.",
    "me_pick_a_date": "Vul een datum in.",
    "me_text_too_long": "De tekst is te lang.",
    "me_report_failed": "Het doorgeven is niet gelukt.",
    "me_reported": "Dank u wel. Uw activiteit is doorgegeven.",
    "me_job_application": "Sollicitatie",
    "me_job_interview": "Sollicitatiegesprek",
    "me_job_assessment": "Test of assessment",
    "me_job_temp_agency_registration": "Ingeschreven bij een uitzendbureau",
    "me_job_uwv_workshop": "Workshop van UWV",
    "me_job_cv_posting": "Cv online gezet",
    "me_title_messages": "Mijn berichten",
    "me_messages_intro": "Dit zijn de berichten die wij u hebben gestuurd.",
    "me_sent_on": "Verstuurd op",
    "me_how": "Hoe",
    "me_read": "Lezen",
    "me_channel_email": "E-mail",
    "me_channel_sms": "Sms",
    "me_channel_letter": "Brief",
    "me_no_text": "De tekst van dit bericht is niet beschikbaar.",
    "me_back_to_messages": "Terug naar mijn berichten",
    "me_message_kind": "Bericht",
    "me_msg_status_sent": "Verstuurd",
    "me_msg_status_handed_over": "Verstuurd",
    "me_msg_status_pending": "Wordt verstuurd",
    "me_msg_status_sending": "Wordt verstuurd",
    "me_msg_status_bounced": "Niet aangekomen",
    "me_msg_status_failed": "Niet aangekomen",
    "me_msg_status_suppressed": "Niet verstuurd",
    "me_msg_status_unconfirmed": "Verstuurd",
    "me_q_education_level_primary": "Basisonderwijs",
    "me_q_education_level_lower_secondary": "Vmbo of onderbouw havo/vwo",
    "me_q_education_level_upper_secondary": "Havo of vwo",
    "me_q_education_level_vocational": "Mbo",
    "me_q_education_level_bachelor": "Hbo- of wo-bachelor",
    "me_q_education_level_master_or_higher": "Master of hoger",
    "me_q_last_occupation_level_elementary": "Eenvoudig werk",
    "me_q_last_occupation_level_lower": "Lager niveau",
    "me_q_last_occupation_level_middle": "Middelbaar niveau",
    "me_q_last_occupation_level_higher": "Hoger niveau",
    "me_q_last_occupation_level_academic": "Wetenschappelijk niveau",
    "me_q_work_limitations_none": "Geen",
    "me_q_work_limitations_some": "Enige beperkingen",
    "me_q_work_limitations_severe": "Ernstige beperkingen",
    "me_q_dutch_language_native": "Moedertaal",
    "me_q_dutch_language_fluent": "Vloeiend",
    "me_q_dutch_language_basic": "Basis",
    "me_q_dutch_language_none": "Geen",
    "me_q_mobility_car": "Auto",
    "me_q_mobility_public_transport": "Openbaar vervoer",
    "me_q_mobility_bicycle": "Fiets",
    "me_q_mobility_limited": "Beperkt",
}
_EN: dict[str, str] = {
    "me_title_intake": "My appointment",
    "me_no_claim": "We have not found a WW claim of yours yet.",
    "me_no_claim_help": (
        "Did you just apply? Then come back in a few minutes. "
        "Did someone else apply for you? Then call your office."
    ),
    "me_no_appointment": "There is no appointment for your intake yet. We will let you know when there is one.",
    "me_your_intake": "Your intake meeting",
    "me_intake_intro": "In the intake you talk with a coach about looking for work and your WW.",
    "me_when": "When",
    "me_where": "Where",
    "me_with": "With whom",
    "me_coach_named_at_office": "A coach of the office. You hear the name at the meeting.",
    "me_coach_named": "{name}, work coach",
    "me_until": "until",
    "me_route": "Directions",
    "me_opening_hours": "Opening hours",
    "me_phone": "Phone",
    "me_email": "E-mail",
    "me_add_to_calendar": "Add to my calendar",
    "me_add_to_calendar_help": "You download a file for your calendar (.ics).",
    "me_other_time": "Choose another time",
    "me_pick_new_time": "Choose a new time",
    "me_cancel_intake": "Cancel the appointment",
    "me_history": "All my appointments",
    "me_status_booked": "Planned",
    "me_status_rescheduled": "Moved",
    "me_status_completed": "Held",
    "me_status_no_show": "Did not attend",
    "me_status_cancelled_by_claimant": "Cancelled by you",
    "me_status_cancelled_by_service": "Cancelled by us",
    "me_summoned": "Please note: this is a summons. If you do not come, your benefit may be affected.",
    "me_rules": "You can move or cancel your appointment until a few hours before it starts. After that, call the office.",
    "me_title_reschedule": "Choose another time",
    "me_now_planned": "Your appointment is now on",
    "me_filter": "Find times",
    "me_from_date": "From date",
    "me_part_of_day": "Part of the day",
    "me_any_time": "Any time",
    "me_part_morning": "Morning",
    "me_part_afternoon": "Afternoon",
    "me_search": "Search",
    "me_free_times": "Free times",
    "me_no_free_times": "No free times were found. Choose another date, or call the office.",
    "me_travel": "travel time about",
    "me_minutes": "minutes",
    "me_confirm_time": "Choose this time",
    "me_keep_time": "Change nothing",
    "me_pick_a_slot": "Choose a time first.",
    "me_cannot_move": "You cannot move this appointment now.",
    "me_reschedule_failed": "The appointment was not moved.",
    "me_rescheduled": "Your appointment has been moved. You will get a confirmation by e-mail or post.",
    "me_title_cancel": "Cancel the appointment",
    "me_cancel_question": "Are you sure you want to cancel this appointment?",
    "me_cancel_consequence": (
        "The intake is required. After cancelling, you choose a new time yourself, "
        "or we plan a new appointment for you."
    ),
    "me_reason": "Why do you cancel?",
    "me_reason_illness": "I am ill",
    "me_reason_found_work": "I found work",
    "me_reason_unavailable": "I cannot make this time",
    "me_reason_other": "Another reason",
    "me_reason_text": "Explanation (optional)",
    "me_confirm_cancel": "Yes, cancel the appointment",
    "me_dont_cancel": "No, back to my appointment",
    "me_pick_a_reason": "Choose a reason.",
    "me_reason_too_long": "The explanation is too long (at most 500 characters).",
    "me_cancel_failed": "The appointment was not cancelled.",
    "me_cancelled": "Your appointment has been cancelled.",
    "me_title_questionnaire": "My questionnaire",
    "me_questionnaire_intro": (
        "These questions help us see which help with finding work suits you. "
        "A coach discusses the result with you. Questions with a * are required."
    ),
    "me_questionnaire_prefilled": (
        "You see the answers you gave before. Has something changed? "
        "Change it and send the questionnaire again."
    ),
    "me_required": "required",
    "me_between": "A number from {min} to {max}",
    "me_send_questionnaire": "Send the questionnaire",
    "me_not_a_number": "Use only digits for numbers.",
    "me_questionnaire_failed": "The questionnaire was not saved.",
    "me_questionnaire_saved": "Thank you. Your answers have been saved.",
    "me_yes": "Yes",
    "me_no": "No",
    "me_scale_1": "1 (very poor)",
    "me_scale_2": "2 (poor)",
    "me_scale_3": "3 (fair)",
    "me_scale_4": "4 (good)",
    "me_scale_5": "5 (very good)",
    "me_title_work_plan": "My work plan",
    "me_no_case": "You have no work plan yet. You make it with your coach after the intake.",
    "me_plan_activities": "Agreements in my work plan",
    "me_no_activities": "There are no agreements in your work plan yet.",
    "me_what": "What",
    "me_due": "Due",
    "me_outcome": "Result",
    "me_overdue": "late",
    "me_activity_application": "Applying for jobs",
    "me_activity_training": "Training or course",
    "me_activity_trial_placement": "Trial placement",
    "me_activity_volunteer_work": "Volunteer work",
    "me_activity_workshop": "Workshop",
    "me_activity_walk_along_day": "Job shadowing day",
    "me_activity_other": "Something else",
    "me_plan_status_planned": "Planned",
    "me_plan_status_in_progress": "In progress",
    "me_plan_status_done": "Done",
    "me_plan_status_cancelled": "Stopped",
    "me_obligation": "My job-search obligation",
    "me_no_obligation_yet": "Your coach agrees the job-search obligation with you at the intake.",
    "me_regime": "Agreement",
    "me_regime_regular": "Regular job-search obligation",
    "me_regime_none": "No job-search obligation",
    "me_regime_individual": "Own agreement with your coach",
    "me_per_period": "Activities per period of {days} days",
    "me_this_period": "This period",
    "me_counted": "Done",
    "me_needed": "Needed",
    "me_period": "Period",
    "me_earlier_periods": "Earlier periods",
    "me_period_compliant": "Met",
    "me_period_not_compliant": "Not met",
    "me_period_exempt": "Exempt",
    "me_period_open": "Still running",
    "me_period_no_obligation": "No obligation",
    "me_reported_activities": "What I have done",
    "me_no_reported": "You have not reported anything yet.",
    "me_report_title": "Report what I have done",
    "me_report_intro": "Report every application or other activity. It counts for your job-search obligation.",
    "me_kind": "What did you do?",
    "me_activity_date": "On which day?",
    "me_employer": "At which company? (optional)",
    "me_description": "Explanation (optional)",
    "me_report": "Report",
    "me_pick_a_kind": "Choose what you did.",
    "me_pick_a_date": "Enter a date.",
    "me_text_too_long": "The text is too long.",
    "me_report_failed": "The activity was not reported.",
    "me_reported": "Thank you. Your activity has been reported.",
    "me_job_application": "Job application",
    "me_job_interview": "Job interview",
    "me_job_assessment": "Test or assessment",
    "me_job_temp_agency_registration": "Registered with a temp agency",
    "me_job_uwv_workshop": "UWV workshop",
    "me_job_cv_posting": "CV posted online",
    "me_title_messages": "My messages",
    "me_messages_intro": "These are the messages we sent you.",
    "me_sent_on": "Sent on",
    "me_how": "How",
    "me_read": "Read",
    "me_channel_email": "E-mail",
    "me_channel_sms": "Text message",
    "me_channel_letter": "Letter",
    "me_no_text": "The text of this message is not available.",
    "me_back_to_messages": "Back to my messages",
    "me_message_kind": "Message",
    "me_msg_status_sent": "Sent",
    "me_msg_status_handed_over": "Sent",
    "me_msg_status_pending": "Being sent",
    "me_msg_status_sending": "Being sent",
    "me_msg_status_bounced": "Not delivered",
    "me_msg_status_failed": "Not delivered",
    "me_msg_status_suppressed": "Not sent",
    "me_msg_status_unconfirmed": "Sent",
    "me_q_education_level_primary": "Primary school",
    "me_q_education_level_lower_secondary": "Lower secondary school",
    "me_q_education_level_upper_secondary": "Upper secondary school",
    "me_q_education_level_vocational": "Vocational training",
    "me_q_education_level_bachelor": "Bachelor's degree",
    "me_q_education_level_master_or_higher": "Master's degree or higher",
    "me_q_last_occupation_level_elementary": "Elementary work",
    "me_q_last_occupation_level_lower": "Lower level",
    "me_q_last_occupation_level_middle": "Middle level",
    "me_q_last_occupation_level_higher": "Higher level",
    "me_q_last_occupation_level_academic": "Academic level",
    "me_q_work_limitations_none": "None",
    "me_q_work_limitations_some": "Some limitations",
    "me_q_work_limitations_severe": "Severe limitations",
    "me_q_dutch_language_native": "Native speaker",
    "me_q_dutch_language_fluent": "Fluent",
    "me_q_dutch_language_basic": "Basic",
    "me_q_dutch_language_none": "None",
    "me_q_mobility_car": "Car",
    "me_q_mobility_public_transport": "Public transport",
    "me_q_mobility_bicycle": "Bicycle",
    "me_q_mobility_limited": "Limited",
}
for _i in range(7):
    _NL[f"me_weekday_{_i}"], _EN[f"me_weekday_{_i}"] = _WEEKDAYS_NL[_i], _WEEKDAYS_EN[_i]
for _i in range(12):
    _NL[f"me_month_{_i + 1}"], _EN[f"me_month_{_i + 1}"] = _MONTHS_NL[_i], _MONTHS_EN[_i]

register({"nl": _NL, "en": _EN})
