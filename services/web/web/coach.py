"""The coach's pages: the week's intakes, the intake itself (complete it with the rights
and obligations checklist, or record a no-show) and the claimant page (staff).

No rule is decided here: which actions an intake offers is intake's `allowed_actions`,
whether a completion or an override is valid is the backend's answer (its 4xx is shown as
a notice naming the field), who may see a claim is the backends' need-to-know.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web.backend import BackendProblem
from web.i18n import CATALOGUE, register
from web.pages import TZ, PageError, Pages, PagesDep, local, problem_text, uuid_or_error
from web.session import Notice

router = APIRouter()

# The codes of the backends' enums this area shows or sends (docs/api/*.openapi.json).
TOPICS = (
    "job_search_obligation",
    "income_reporting",
    "suitable_work",
    "sanctions",
    "starters_scheme",
)
REGIMES = ("regular", "none", "individual")
# The next step is free text in intake (`agreed_next_step`); the form offers the usual
# steps as radios (sent as their Dutch text, the agency's record language) plus a detail.
NEXT_STEPS = ("work_plan", "follow_up", "digital", "training", "starters", "other")
SEGMENTS = ("personal", "digital")
REASONS = (
    "labour_market_knowledge",
    "health",
    "motivation",
    "language",
    "caregiving",
    "digital_skills",
    "claimant_request",
    "other",
)

NL: dict[str, str] = {
    "intake": "Intake",
    "intake_of": "Intake van",
    "actions": "Acties",
    "open_intake": "Openen",
    "complete_intake": "Intake afronden",
    "record_no_show": "Niet verschenen",
    "no_actions": "Geen acties mogelijk",
    "starts": "Begint",
    "deadline": "Uiterste datum",
    "summoned": "Oproep na niet verschijnen",
    "yes": "ja",
    "no": "nee",
    "to_claimant_page": "Naar de klantpagina",
    "complete_intro": "Vul dit in na het gesprek. Dit kan maar één keer.",
    "checklist": "Rechten en plichten: wat heeft u uitgelegd?",
    "checklist_hint": "De sollicitatieplicht moet u altijd uitleggen.",
    "regime": "Sollicitatieplicht die geldt",
    "next_step": "Afgesproken vervolgstap",
    "next_step_detail": "Toelichting op de vervolgstap (optioneel)",
    "claimant_view": "Wat vindt de klant zelf? (optioneel)",
    "submit_complete": "Intake afronden",
    "no_show_intro": "Is de klant niet gekomen? Leg dat hier vast.",
    "check_fields": "Controleer deze velden:",
    "intake_completed": "De intake is afgerond.",
    "no_show_recorded": "Vastgelegd: de klant is niet verschenen.",
    "no_show_summons": "Er is een nieuwe afspraak gemaakt (oproep).",
    "no_show_flagged": "Dit was een herhaald niet verschijnen: de coach beslist wat volgt.",
    "no_show_unplanned": "Er was geen plek vrij: de klant staat op de lijst ongepland.",
    "completed_note": "Deze intake is afgerond.",
    "not_open_note": "Deze intake is niet meer open.",
    "not_started_note": (
        "Afronden of vastleggen dat de klant niet kwam kan pas na de starttijd van de intake."
    ),
    "topic_job_search_obligation": "Sollicitatieplicht",
    "topic_income_reporting": "Inkomsten doorgeven",
    "topic_suitable_work": "Passend werk",
    "topic_sanctions": "Maatregelen als de klant zich niet aan de regels houdt",
    "topic_starters_scheme": "Starten als zelfstandige (startersregeling)",
    "regime_regular": "Gewone sollicitatieplicht",
    "regime_none": "Geen sollicitatieplicht",
    "regime_individual": "Afspraken op maat",
    "step_work_plan": "Werkplan maken",
    "step_follow_up": "Vervolggesprek plannen",
    "step_digital": "Verder met online dienstverlening",
    "step_training": "Training of scholing",
    "step_starters": "Startersregeling onderzoeken",
    "step_other": "Iets anders (schrijf het in de toelichting)",
    "appt_booked": "Gepland",
    "appt_rescheduled": "Verplaatst",
    "appt_completed": "Afgerond",
    "appt_no_show": "Niet verschenen",
    "appt_cancelled_by_claimant": "Afgezegd door klant",
    "appt_cancelled_by_service": "Afgezegd door UWV",
    "triage_score": "Triagescore",
    "score_segment": "Segment volgens de score",
    "current_segment": "Segment dat nu geldt",
    "band": "Kansgroep",
    "model_version": "Modelversie",
    "scored_at": "Berekend op",
    "provisional": "Voorlopige score (vragenlijst nog niet ingevuld)",
    "hindering": "Wat het meest in de weg staat",
    "seg_personal": "Persoonlijke begeleiding",
    "seg_digital": "Online dienstverlening",
    "override": "Segment aanpassen",
    "override_intro": (
        "U kunt het segment aanpassen als uw oordeel anders is dan de score. Geef altijd een reden."
    ),
    "new_segment": "Nieuw segment",
    "reason_category": "Soort reden",
    "reason_text": "Uitleg van de reden",
    "submit_override": "Segment aanpassen",
    "override_done": "Het segment is aangepast.",
    "overrides": "Eerdere aanpassingen van het segment",
    "no_overrides": "Het segment is nog niet aangepast.",
    "from_segment": "Van",
    "to_segment": "Naar",
    "by": "Door",
    "when": "Wanneer",
    "in_force": "Geldt nu",
    "reason_labour_market_knowledge": "Kennis van de arbeidsmarkt",
    "reason_health": "Gezondheid",
    "reason_motivation": "Motivatie",
    "reason_language": "Taal",
    "reason_caregiving": "Zorg voor anderen",
    "reason_digital_skills": "Digitale vaardigheden",
    "reason_claimant_request": "Op verzoek van de klant",
    "reason_other": "Andere reden",
    "work_plan": "Werkplan",
    "no_work_plan": "Nog geen activiteiten in het werkplan.",
    "activity": "Activiteit",
    "due_on": "Klaar op",
    "overdue": "te laat",
    "open_activities": "Open activiteiten",
    "kind_application": "Sollicitatie",
    "kind_training": "Training",
    "kind_trial_placement": "Proefplaatsing",
    "kind_volunteer_work": "Vrijwilligerswerk",
    "kind_workshop": "Workshop",
    "kind_walk_along_day": "Meeloopdag",
    "kind_other": "Anders",
    "act_planned": "Gepland",
    "act_in_progress": "Bezig",
    "act_done": "Klaar",
    "act_cancelled": "Geschrapt",
    "no_case": "Er is nog geen dossier bij de begeleiding (of u mag het niet zien).",
    "contact_moments": "Contactmomenten",
    "no_contact_moments": "Nog geen contactmomenten.",
    "purpose": "Doel",
    "cm_face_to_face": "Op kantoor",
    "cm_phone": "Telefoon",
    "cm_video": "Video",
    "cm_planned": "Gepland",
    "cm_held": "Gehouden",
    "cm_no_show": "Niet verschenen",
    "cm_cancelled": "Geschrapt",
    "obligation": "Sollicitatieplicht per periode",
    "regime_now": "Regeling nu",
    "no_regime": "Geen regeling vastgelegd.",
    "per_period": "activiteiten per periode",
    "period": "Periode",
    "required": "Nodig",
    "counted": "Gedaan",
    "exempt_days": "Vrijgestelde dagen",
    "no_periods": "Nog geen periodes.",
    "period_compliant": "Voldaan",
    "period_not_compliant": "Niet voldaan",
    "period_exempt": "Vrijgesteld",
    "period_open": "Loopt nog",
    "period_no_obligation": "Geen plicht",
    "starters": "Startersregeling",
    "no_starters": "Geen aanvraag voor de startersregeling.",
    "starters_hidden": "De startersregeling is voor u niet zichtbaar bij deze klant.",
    "business": "Onderneming",
    "expected_start": "Verwachte start",
    "st_applied": "Aangevraagd",
    "st_research_period": "Onderzoeksperiode",
    "st_start_period": "Startperiode",
    "st_refused": "Afgewezen",
    "st_continued": "Voortgezet",
    "st_stopped": "Gestopt",
    "st_revived": "Herleefd",
    "st_withdrawn": "Ingetrokken",
    "error_form": "Het formulier bevat een ongeldige waarde.",
    "claim_open": "Open",
    "claim_closed": "Gesloten",
    "claim_withdrawn": "Ingetrokken",
    "pref_email": "E-mail",
    "pref_post": "Post",
    "msgch_email": "E-mail",
    "msgch_sms": "Sms",
    "msgch_letter": "Brief",
    "msgkind_invitation": "Uitnodiging",
    "msgkind_rescheduled": "Afspraak verplaatst",
    "msgkind_cancelled": "Afspraak afgezegd",
    "msgkind_reminder": "Herinnering",
    "msgkind_summons": "Oproep",
    "msg_pending": "Wacht",
    "msg_sending": "Wordt verstuurd",
    "msg_handed_over": "Overgedragen",
    "msg_sent": "Verstuurd",
    "msg_bounced": "Niet aangekomen",
    "msg_failed": "Mislukt",
    "msg_suppressed": "Niet verstuurd",
    "msg_unconfirmed": "Niet bevestigd",
}

EN: dict[str, str] = {
    "intake": "Intake",
    "intake_of": "Intake of",
    "actions": "Actions",
    "open_intake": "Open",
    "complete_intake": "Complete the intake",
    "record_no_show": "Did not attend",
    "no_actions": "No actions possible",
    "starts": "Starts",
    "deadline": "Deadline",
    "summoned": "Summons after a no-show",
    "yes": "yes",
    "no": "no",
    "to_claimant_page": "To the claimant page",
    "complete_intro": "Fill this in after the meeting. This is possible once.",
    "checklist": "Rights and obligations: what did you explain?",
    "checklist_hint": "The job-search obligation must always be explained.",
    "regime": "Job-search obligation that applies",
    "next_step": "Agreed next step",
    "next_step_detail": "Details of the next step (optional)",
    "claimant_view": "What does the claimant think? (optional)",
    "submit_complete": "Complete the intake",
    "no_show_intro": "Did the claimant not come? Record it here.",
    "check_fields": "Please check these fields:",
    "intake_completed": "The intake is complete.",
    "no_show_recorded": "Recorded: the claimant did not attend.",
    "no_show_summons": "A new appointment was booked (a summons).",
    "no_show_flagged": "This was a repeated no-show: the coach decides what follows.",
    "no_show_unplanned": "No slot was free: the claimant is on the unplanned list.",
    "completed_note": "This intake is complete.",
    "not_open_note": "This intake is no longer open.",
    "not_started_note": (
        "Completing it or recording a no-show is possible only after the intake's start."
    ),
    "topic_job_search_obligation": "Job-search obligation",
    "topic_income_reporting": "Reporting income",
    "topic_suitable_work": "Suitable work",
    "topic_sanctions": "Sanctions when the claimant does not keep the rules",
    "topic_starters_scheme": "Starting a business (starters scheme)",
    "regime_regular": "Regular job-search obligation",
    "regime_none": "No job-search obligation",
    "regime_individual": "Individual arrangement",
    "step_work_plan": "Make a work plan",
    "step_follow_up": "Plan a follow-up meeting",
    "step_digital": "Continue with the digital service",
    "step_training": "Training or education",
    "step_starters": "Look into the starters scheme",
    "step_other": "Something else (write it in the details)",
    "appt_booked": "Booked",
    "appt_rescheduled": "Rescheduled",
    "appt_completed": "Completed",
    "appt_no_show": "Did not attend",
    "appt_cancelled_by_claimant": "Cancelled by the claimant",
    "appt_cancelled_by_service": "Cancelled by UWV",
    "triage_score": "Triage score",
    "score_segment": "Segment by the score",
    "current_segment": "Segment in force",
    "band": "Band",
    "model_version": "Model version",
    "scored_at": "Scored at",
    "provisional": "Provisional score (questionnaire not answered yet)",
    "hindering": "What stands in the way most",
    "seg_personal": "Personal coaching",
    "seg_digital": "Digital service",
    "override": "Change the segment",
    "override_intro": (
        "You may change the segment when your judgement differs from the score. "
        "Always give a reason."
    ),
    "new_segment": "New segment",
    "reason_category": "Kind of reason",
    "reason_text": "The reason explained",
    "submit_override": "Change the segment",
    "override_done": "The segment was changed.",
    "overrides": "Earlier changes of the segment",
    "no_overrides": "The segment has not been changed.",
    "from_segment": "From",
    "to_segment": "To",
    "by": "By",
    "when": "When",
    "in_force": "In force",
    "reason_labour_market_knowledge": "Labour-market knowledge",
    "reason_health": "Health",
    "reason_motivation": "Motivation",
    "reason_language": "Language",
    "reason_caregiving": "Caring for others",
    "reason_digital_skills": "Digital skills",
    "reason_claimant_request": "At the claimant's request",
    "reason_other": "Another reason",
    "work_plan": "Work plan",
    "no_work_plan": "No activities in the work plan yet.",
    "activity": "Activity",
    "due_on": "Due on",
    "overdue": "overdue",
    "open_activities": "Open activities",
    "kind_application": "Application",
    "kind_training": "Training",
    "kind_trial_placement": "Trial placement",
    "kind_volunteer_work": "Volunteer work",
    "kind_workshop": "Workshop",
    "kind_walk_along_day": "Walk-along day",
    "kind_other": "Other",
    "act_planned": "Planned",
    "act_in_progress": "In progress",
    "act_done": "Done",
    "act_cancelled": "Cancelled",
    "no_case": "There is no coaching case yet (or you may not see it).",
    "contact_moments": "Contact moments",
    "no_contact_moments": "No contact moments yet.",
    "purpose": "Purpose",
    "cm_face_to_face": "At the office",
    "cm_phone": "Phone",
    "cm_video": "Video",
    "cm_planned": "Planned",
    "cm_held": "Held",
    "cm_no_show": "Did not attend",
    "cm_cancelled": "Cancelled",
    "obligation": "Job-search obligation per period",
    "regime_now": "Regime now",
    "no_regime": "No regime recorded.",
    "per_period": "activities per period",
    "period": "Period",
    "required": "Required",
    "counted": "Done",
    "exempt_days": "Exempt days",
    "no_periods": "No periods yet.",
    "period_compliant": "Met",
    "period_not_compliant": "Not met",
    "period_exempt": "Exempt",
    "period_open": "Running",
    "period_no_obligation": "No obligation",
    "starters": "Starters scheme",
    "no_starters": "No application for the starters scheme.",
    "starters_hidden": "The starters scheme of this claimant is not visible to you.",
    "business": "Business",
    "expected_start": "Expected start",
    "st_applied": "Applied",
    "st_research_period": "Research period",
    "st_start_period": "Start period",
    "st_refused": "Refused",
    "st_continued": "Continued",
    "st_stopped": "Stopped",
    "st_revived": "Revived",
    "st_withdrawn": "Withdrawn",
    "error_form": "The form holds an invalid value.",
    "claim_open": "Open",
    "claim_closed": "Closed",
    "claim_withdrawn": "Withdrawn",
    "pref_email": "E-mail",
    "pref_post": "Post",
    "msgch_email": "E-mail",
    "msgch_sms": "Text message",
    "msgch_letter": "Letter",
    "msgkind_invitation": "Invitation",
    "msgkind_rescheduled": "Appointment moved",
    "msgkind_cancelled": "Appointment cancelled",
    "msgkind_reminder": "Reminder",
    "msgkind_summons": "Summons",
    "msg_pending": "Waiting",
    "msg_sending": "Sending",
    "msg_handed_over": "Handed over",
    "msg_sent": "Sent",
    "msg_bounced": "Bounced",
    "msg_failed": "Failed",
    "msg_suppressed": "Not sent",
    "msg_unconfirmed": "Unconfirmed",
}

register({"nl": NL, "en": EN})

# The fields of intake's CompletionCreate and triage's OverrideCreate, as the forms label
# them (a backend's 422 names the field; the notice names its label).
COMPLETE_FIELDS = {
    "explained_topics": "checklist",
    "obligation_regime": "regime",
    "agreed_next_step": "next_step",
    "claimant_view": "claimant_view",
}
OVERRIDE_FIELDS = {
    "segment": "new_segment",
    "reason_category": "reason_category",
    "reason_text": "reason_text",
}


def labeller(lang: str) -> Callable[[str, Any], str]:
    """`label(prefix, code)`: the catalogue text of a backend code (`appt_booked`), or the
    code itself when the catalogue has none (a new code shows instead of breaking)."""
    texts = CATALOGUE.get(lang, CATALOGUE["nl"])

    def label(prefix: str, code: Any) -> str:
        if code is None:
            return "—"
        return texts.get(f"{prefix}_{code}") or str(code)

    return label


def bars(contributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Contributions with their bar geometry (percent of the largest magnitude)."""
    biggest = max((abs(float(c["contribution"])) for c in contributions), default=0.0) or 1.0
    return [
        {**c, "pct": round(abs(float(c["contribution"])) / biggest * 50, 1)}
        for c in sorted(contributions, key=lambda c: -abs(float(c["contribution"])))
    ]


def _field_labels(pages: Pages, request: Request, fields: list[str], names: dict[str, str]) -> str:
    """The labels of the fields a backend named (its own name when the form has none)."""
    return ", ".join(
        pages.t(request, names[f.split(".")[0]]) if f.split(".")[0] in names else f for f in fields
    )


def _fail(
    pages: Pages, request: Request, url: str, exc: BackendProblem, names: dict[str, str]
) -> Response:
    """A backend's 4xx on a form as a notice on `url` (naming the fields by their labels);
    its 403/404 stay the refusal page, a 5xx the error page."""
    if exc.status in (401, 403, 404) or exc.status >= 500:
        raise exc
    if exc.fields:
        labelled = BackendProblem(
            exc.status,
            exc.title,
            f"{pages.t(request, 'check_fields')} {_field_labels(pages, request, exc.fields, names)}",
            [],
            exc.service,
        )
        return pages.redirect(request, url, error=labelled)
    return pages.redirect(request, url, error=exc)


def _csrf_first(pages: Pages, request: Request, form: Any) -> None:
    token = form.get("csrf_token")
    pages.require_csrf(request, token if isinstance(token, str) else None)


def _uuid(value: str) -> str:
    """A path segment that is no UUID names nothing: the 404 page."""
    return uuid_or_error(value, status=404)


# -- Mijn intakes -------------------------------------------------------------------------


@router.get("/my-intakes", response_class=HTMLResponse)
async def my_intakes(request: Request, pages: PagesDep) -> Response:
    session = pages.require(request, "coach")
    today = dt.datetime.now(TZ).date()
    # "This week" is the coming seven days: on a Friday the next intakes are on Monday.
    week_end = today + dt.timedelta(days=7)
    # One round trip to intake (issue 15): the coach's appointments of these days with
    # the claimants' names and the actions intake allows on each now. Seven days are at
    # most a few dozen intakes, well within a page.
    page = await pages.get(
        request,
        "intake",
        f"/v1/coaches/{session.subject}/appointments",
        params={"from": today.isoformat(), "to": week_end.isoformat(), "limit": 200},
    )
    rows = []
    for a in page["items"]:
        rows.append(
            {
                "appointment": a,
                "starts": local(a["starts_at"]),
                "claim_id": a["claim_id"],
                "name": " ".join(p for p in (a.get("given_name"), a.get("family_name")) if p),
                "actions": a.get("allowed_actions") or [],
            }
        )
    rows.sort(key=lambda r: r["starts"])
    return pages.render(
        request,
        "coach/my_intakes.html",
        label=labeller(pages.lang(request)),
        today_rows=[r for r in rows if r["starts"].date() == today],
        week_rows=[r for r in rows if r["starts"].date() != today],
    )


# -- the intake: complete it, or record a no-show ------------------------------------------


async def _intake_page(
    request: Request,
    pages: Pages,
    appointment_id: str,
    *,
    entered: dict[str, Any] | None = None,
    notice: Notice | None = None,
    invalid: list[str] | None = None,
    http_status: int = 200,
) -> Response:
    # Two calls to intake, one after the other: the appointment names its claim, and the
    # claim has the name (intake has no appointment read with the claimant's name).
    appointment = await pages.get(request, "intake", f"/v1/appointments/{appointment_id}")
    claim = await pages.get(request, "intake", f"/v1/claims/{appointment['claim_id']}")
    appointment["starts"] = local(appointment["starts_at"])
    ctx: dict[str, Any] = {}
    if notice is not None:
        ctx["notice"] = notice
    return pages.render(
        request,
        "coach/appointment.html",
        http_status,
        label=labeller(pages.lang(request)),
        appointment=appointment,
        claim=claim,
        # What intake allows this caller now (its `allowed_actions`), not a rule of ours.
        can_complete="complete" in appointment.get("allowed_actions", []),
        can_no_show="no_show" in appointment.get("allowed_actions", []),
        is_open=appointment["status"] in ("booked", "rescheduled"),
        topics=TOPICS,
        regimes=REGIMES,
        next_steps=NEXT_STEPS,
        entered=entered or {"topics": []},
        invalid=invalid or [],
        field_keys=COMPLETE_FIELDS,
        **ctx,
    )


@router.get("/appointments/{appointment_id}", response_class=HTMLResponse)
async def appointment_page(
    request: Request, appointment_id: uuid.UUID, pages: PagesDep
) -> Response:
    pages.require(request, "coach", "team_lead", "admin")
    return await _intake_page(request, pages, str(appointment_id))


@router.post("/appointments/{appointment_id}/complete")
async def complete(request: Request, appointment_id: str, pages: PagesDep) -> Response:
    form = await request.form()
    _csrf_first(pages, request, form)
    pages.require(request, "coach", "team_lead", "admin")
    aid = _uuid(appointment_id)
    topics = [str(v) for v in form.getlist("topic")]
    regime = str(form.get("obligation_regime") or "")
    step = str(form.get("next_step") or "")
    detail = str(form.get("next_step_detail") or "").strip()
    view = str(form.get("claimant_view") or "").strip()
    if (
        any(t not in TOPICS for t in topics)
        or (regime and regime not in REGIMES)
        or (step and step not in NEXT_STEPS)
    ):
        raise PageError(400, "error_form")
    entered = {
        "topics": topics,
        "obligation_regime": regime,
        "next_step": step,
        "next_step_detail": detail,
        "claimant_view": view,
    }
    # The step as Dutch text (the record's language), with the coach's details.
    if step and step != "other":
        agreed = NL[f"step_{step}"] + (f": {detail}" if detail else "")
    else:
        agreed = detail
    body: dict[str, Any] = {
        "explained_topics": topics,
        "agreed_next_step": agreed,
        "claimant_view": view or None,
    }
    if regime:
        body["obligation_regime"] = regime  # missing: intake's 422 names it
    here = f"/appointments/{aid}"
    try:
        await pages.send(request, "POST", "intake", f"/v1/appointments/{aid}/complete", json=body)
    except BackendProblem as exc:
        if exc.status == 422:
            # Shown on the form itself, with what was entered (no redirect: nothing changed).
            names = [f.split(".")[0] for f in exc.fields]
            text = problem_text(
                BackendProblem(
                    exc.status,
                    exc.title,
                    f"{pages.t(request, 'check_fields')} "
                    f"{_field_labels(pages, request, exc.fields, COMPLETE_FIELDS)}",
                )
            )
            return await _intake_page(
                request,
                pages,
                aid,
                entered=entered,
                notice=Notice("error", text, names),
                invalid=names,
                http_status=422,
            )
        return _fail(pages, request, here, exc, COMPLETE_FIELDS)
    return pages.redirect(request, here, ok="intake_completed")


def _safe_back(value: Any, aid: str) -> str:
    """Where a no-show form returns: the intakes list or the intake page (nothing else)."""
    return "/my-intakes" if value == "my-intakes" else f"/appointments/{aid}"


@router.post("/appointments/{appointment_id}/no-show")
async def no_show(request: Request, appointment_id: str, pages: PagesDep) -> Response:
    form = await request.form()
    _csrf_first(pages, request, form)
    pages.require(request, "coach", "team_lead", "admin")
    aid = _uuid(appointment_id)
    back = _safe_back(form.get("back"), aid)
    try:
        outcome = await pages.send(request, "POST", "intake", f"/v1/appointments/{aid}/no-show")
    except BackendProblem as exc:
        return _fail(pages, request, back, exc, {})
    follow = (
        "no_show_flagged"
        if outcome.get("flagged_for_coach")
        else "no_show_unplanned"
        if outcome.get("unplanned")
        else "no_show_summons"
    )
    text = f"{pages.t(request, 'no_show_recorded')} {pages.t(request, follow)}"
    pages.notify(request, "ok", text)
    return pages.redirect(request, back)


# -- the claimant page ------------------------------------------------------------------------


@router.get("/claims/{claim_id}", response_class=HTMLResponse)
async def claim_page(request: Request, claim_id: uuid.UUID, pages: PagesDep) -> Response:
    session = pages.require(request, "coach", "team_lead", "admin")
    cid = str(claim_id)
    lang = pages.lang(request)
    # Every call at once: one round trip of latency per backend (the calls to one backend
    # are in flight together). Per backend this is what its API allows: intake 3 (claim,
    # appointments, messages), triage 2 (explanation, override history), coaching 3 (work
    # plan, contact moments, obligation), starters 1 (applications filtered by claim). The
    # claim's own answer decides the page: its 403/404 wins over anything the others say,
    # and the backends decide need to know on each call, so nothing leaks meanwhile.
    results = await asyncio.gather(
        pages.get(request, "intake", f"/v1/claims/{cid}"),
        pages.get(request, "intake", f"/v1/claims/{cid}/appointments"),
        pages.optional(request, "intake", f"/v1/claims/{cid}/messages", params={"limit": 50}),
        pages.optional(request, "triage", f"/v1/claims/{cid}/explanation", params={"lang": lang}),
        pages.optional(request, "triage", f"/v1/claims/{cid}/overrides"),
        pages.optional(request, "coaching", f"/v1/cases/{cid}/work-plan", params={"limit": 50}),
        pages.optional(
            request,
            "coaching",
            f"/v1/cases/{cid}/contact-moments",
            params={"limit": 50, "sort": "-planned_at"},
        ),
        pages.optional(request, "coaching", f"/v1/cases/{cid}/obligation"),
        pages.optional(request, "starters", "/v1/starters/applications", params={"claim_id": cid}),
        return_exceptions=True,
    )
    values: list[Any] = []
    for r in results:  # the claim's failure first, then any other
        if isinstance(r, BaseException):
            raise r
        values.append(r)
    (
        claim,
        appointments,
        messages,
        explanation,
        overrides,
        work_plan,
        moments,
        obligation,
        starters,
    ) = values
    for a in appointments:
        a["starts"] = local(a["starts_at"])
    for o in overrides or []:
        o["at"] = local(o["overridden_at"])
    for m in (moments or {}).get("items", []):
        m["at"] = local(m["planned_at"])
    return pages.render(
        request,
        "coach/claim.html",
        label=labeller(lang),
        claim=claim,
        appointments=appointments,
        explanation=explanation,
        scored_at=local(explanation["scored_at"]) if explanation else None,
        bars=bars(explanation["contributions"]) if explanation else [],
        overrides=overrides,
        can_override=session.has_role("coach") and explanation is not None,
        segments=SEGMENTS,
        reasons=REASONS,
        work_plan=work_plan,
        moments=moments,
        obligation=obligation,
        starters=starters,
        messages=(messages or {}).get("items", []),
    )


@router.post("/claims/{claim_id}/override")
async def override(request: Request, claim_id: str, pages: PagesDep) -> Response:
    form = await request.form()
    _csrf_first(pages, request, form)
    pages.require(request, "coach")
    cid = _uuid(claim_id)
    segment = str(form.get("segment") or "")
    reason = str(form.get("reason_category") or "")
    text = str(form.get("reason_text") or "")
    if (segment and segment not in SEGMENTS) or (reason and reason not in REASONS):
        raise PageError(400, "error_form")
    body: dict[str, Any] = {"reason_text": text}
    if segment:
        body["segment"] = segment  # missing: triage's 422 names it
    if reason:
        body["reason_category"] = reason
    here = f"/claims/{cid}"
    try:
        await pages.send(request, "POST", "triage", f"/v1/claims/{cid}/override", json=body)
    except BackendProblem as exc:
        return _fail(pages, request, here, exc, OVERRIDE_FIELDS)
    return pages.redirect(request, here, ok="override_done")
