"""The coach's caseload (filters, sort, paging, next actions) and open tasks (staff).

Both pages are one call to coaching plus one to intake: coaching has no names (data
minimisation), so the claimants' names of the page come from intake's `GET /v1/claims`
with the page's claim ids (`id`, repeated), never one call per row.

/caseload is the signed-in coach's own caseload ("Mijn caseload"). A team lead gets the 403
page: their view of the office's cases is the caseload balance of the team lead pages, and
a coach's list is not theirs to browse as if it were their own.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from web.backend import BackendProblem
from web.i18n import register
from web.pages import TZ, PageError, PagesDep, local

router = APIRouter()

PAGE_SIZE = 25
MAX_PAGE = 10_000  # far beyond any caseload; keeps the offset within the API's bound

# The filters the coaching API offers, with the values a person may pick ("" is "all").
SEGMENTS = ("", "personal", "digital")
STATUSES = ("open", "closed", "")
NO_SHOW = ("", "yes", "no")
SORTS = (
    "-opened_at",
    "opened_at",
    "first_ww_day",
    "-first_ww_day",
    "-weeks_in_ww",
    "weeks_in_ww",
    "probability",
    "-probability",
)
TASK_KINDS = ("obligation_missed", "repeated_no_show")
OBLIGATION_STATUSES = ("compliant", "not_compliant", "exempt", "no_obligation")

register(
    {
        "nl": {
            "cl_title": "Mijn caseload",
            "cl_intro": "Uw klanten, met wat er als volgende moet gebeuren.",
            "cl_filters": "Filteren en sorteren",
            "cl_filter_apply": "Toon",
            "cl_segment": "Dienstverlening",
            "cl_segment_": "Alle",
            "cl_segment_personal": "Persoonlijk",
            "cl_segment_digital": "Digitaal",
            "cl_status": "Status van de zaak",
            "cl_status_open": "Open",
            "cl_status_closed": "Gesloten",
            "cl_status_": "Alle",
            "cl_no_show": "Herhaald niet verschenen",
            "cl_no_show_": "Alle",
            "cl_no_show_yes": "Ja",
            "cl_no_show_no": "Nee",
            "cl_sort": "Sorteren op",
            "cl_sort_-opened_at": "Nieuwste zaak eerst",
            "cl_sort_opened_at": "Oudste zaak eerst",
            "cl_sort_first_ww_day": "Eerste WW-dag, vroegste eerst",
            "cl_sort_-first_ww_day": "Eerste WW-dag, laatste eerst",
            "cl_sort_-weeks_in_ww": "Langst in de WW eerst",
            "cl_sort_weeks_in_ww": "Kortst in de WW eerst",
            "cl_sort_probability": "Laagste kans op werk eerst",
            "cl_sort_-probability": "Hoogste kans op werk eerst",
            "cl_caption": "Zaken in uw caseload",
            "cl_count": "{total} zaken, pagina {page} van {pages}",
            "cl_none": "Geen zaken met deze filters.",
            "cl_past_end": "Deze pagina is leeg. Ga naar de eerste pagina.",
            "cl_first_page": "Eerste pagina",
            "cl_paging": "Pagina's",
            "cl_bad_query": "Deze filter- of paginawaarde bestaat niet. De lijst toont de standaardfilters.",
            "cl_weeks": "Weken in WW",
            "cl_next_action": "Volgende actie",
            "cl_obligation": "Sollicitatieplicht",
            "cl_opened": "Zaak geopend",
            "cl_overdue": "te laat",
            "cl_no_show_flag": "herhaald niet verschenen",
            "na_await_triage": "Wachten op de triage",
            "na_await_intake": "Wachten op de intake",
            "na_assign_coach": "Coach toewijzen",
            "na_check_in": "Digitale check-in",
            "na_plan_first_contact": "Eerste contact plannen",
            "na_plan_next_contact": "Volgend contact plannen",
            "na_contact": "Contactmoment",
            "na_review_overdue_activity": "Verlopen activiteit bespreken",
            "na_follow_up": "Taak opvolgen",
            "ob_compliant": "Voldaan",
            "ob_not_compliant": "Niet voldaan",
            "ob_exempt": "Vrijgesteld",
            "ob_no_obligation": "Geen plicht",
            "ob_none": "Nog niet beoordeeld",
            "tk_title": "Mijn taken",
            "tk_intro": "Open taken van de zaken die u heeft of waarvoor u invalt, vroegste eerst.",
            "tk_caption": "Open taken",
            "tk_none": "Geen open taken.",
            "tk_count": "{total} open taken, pagina {page} van {pages}",
            "tk_kind": "Taak",
            "tk_kind_obligation_missed": "Sollicitatieplicht niet nagekomen",
            "tk_kind_repeated_no_show": "Herhaald niet verschenen op de intake",
            "tk_period": "Periode",
            "tk_due": "Uiterlijk",
            "tk_action": "Afhandelen",
            "tk_note": "Notitie (optioneel, geen BSN)",
            "tk_done": "Markeer als gedaan",
            "tk_done_ok": "De taak is afgehandeld.",
            "tk_to_tasks": "Mijn taken",
            "tk_note_too_long": "De notitie is te lang (hoogstens 1000 tekens).",
        },
        "en": {
            "cl_title": "My caseload",
            "cl_intro": "Your claimants, with what has to happen next.",
            "cl_filters": "Filter and sort",
            "cl_filter_apply": "Show",
            "cl_segment": "Service",
            "cl_segment_": "All",
            "cl_segment_personal": "Personal",
            "cl_segment_digital": "Digital",
            "cl_status": "Case status",
            "cl_status_open": "Open",
            "cl_status_closed": "Closed",
            "cl_status_": "All",
            "cl_no_show": "Repeated no-show",
            "cl_no_show_": "All",
            "cl_no_show_yes": "Yes",
            "cl_no_show_no": "No",
            "cl_sort": "Sort by",
            "cl_sort_-opened_at": "Newest case first",
            "cl_sort_opened_at": "Oldest case first",
            "cl_sort_first_ww_day": "First WW day, earliest first",
            "cl_sort_-first_ww_day": "First WW day, latest first",
            "cl_sort_-weeks_in_ww": "Longest in WW first",
            "cl_sort_weeks_in_ww": "Shortest in WW first",
            "cl_sort_probability": "Lowest chance of work first",
            "cl_sort_-probability": "Highest chance of work first",
            "cl_caption": "Cases in your caseload",
            "cl_count": "{total} cases, page {page} of {pages}",
            "cl_none": "No cases with these filters.",
            "cl_past_end": "This page is empty. Go to the first page.",
            "cl_first_page": "First page",
            "cl_paging": "Pages",
            "cl_bad_query": "This filter or page value does not exist. The list shows the default filters.",
            "cl_weeks": "Weeks in WW",
            "cl_next_action": "Next action",
            "cl_obligation": "Job-search obligation",
            "cl_opened": "Case opened",
            "cl_overdue": "overdue",
            "cl_no_show_flag": "repeated no-show",
            "na_await_triage": "Await triage",
            "na_await_intake": "Await the intake",
            "na_assign_coach": "Assign a coach",
            "na_check_in": "Digital check-in",
            "na_plan_first_contact": "Plan the first contact",
            "na_plan_next_contact": "Plan the next contact",
            "na_contact": "Contact moment",
            "na_review_overdue_activity": "Review overdue activity",
            "na_follow_up": "Follow up task",
            "ob_compliant": "Compliant",
            "ob_not_compliant": "Not compliant",
            "ob_exempt": "Exempt",
            "ob_no_obligation": "No obligation",
            "ob_none": "Not evaluated yet",
            "tk_title": "My tasks",
            "tk_intro": "Open tasks of the cases you hold or cover, earliest due first.",
            "tk_caption": "Open tasks",
            "tk_none": "No open tasks.",
            "tk_count": "{total} open tasks, page {page} of {pages}",
            "tk_kind": "Task",
            "tk_kind_obligation_missed": "Job-search obligation not met",
            "tk_kind_repeated_no_show": "Repeated intake no-show",
            "tk_period": "Period",
            "tk_due": "Due",
            "tk_action": "Handle",
            "tk_note": "Note (optional, no BSN)",
            "tk_done": "Mark as done",
            "tk_done_ok": "The task is done.",
            "tk_to_tasks": "My tasks",
            "tk_note_too_long": "The note is too long (at most 1000 characters).",
        },
    }
)


# -- query parameters ------------------------------------------------------------------------


class BadQuery(ValueError):
    """A query parameter with a value the page does not offer."""


def _choice(params: Mapping[str, str], name: str, allowed: Iterable[str], default: str) -> str:
    value = params.get(name, default)
    if value not in allowed:
        raise BadQuery(name)
    return value


def page_number(params: Mapping[str, str]) -> int:
    """The 1-based page of `?page=` (BadQuery for anything but 1..MAX_PAGE)."""
    raw = params.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadQuery("page")
    return int(raw)


def caseload_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The caseload's filters and sort from the query string (BadQuery on nonsense)."""
    return {
        "segment": _choice(params, "segment", SEGMENTS, ""),
        "status": _choice(params, "status", STATUSES, "open"),
        "no_show": _choice(params, "no_show", NO_SHOW, ""),
        "sort": _choice(params, "sort", SORTS, "-opened_at"),
    }


def coaching_params(filters: Mapping[str, str], page: int) -> dict[str, Any]:
    """The filters as `GET /v1/cases` takes them."""
    params: dict[str, Any] = {
        "sort": filters["sort"],
        "limit": PAGE_SIZE,
        "offset": (page - 1) * PAGE_SIZE,
    }
    if filters["segment"]:
        params["segment"] = filters["segment"]
    if filters["status"]:
        params["status"] = filters["status"]
    if filters["no_show"]:
        params["no_show_flag"] = "true" if filters["no_show"] == "yes" else "false"
    return params


def page_url(path: str, filters: Mapping[str, str], page: int) -> str:
    """The URL of `page` with the same filters (defaults left out)."""
    query = {k: v for k, v in filters.items() if v != "" or k == "status"}
    query["page"] = str(page)
    return f"{path}?{urlencode(query)}"


def paging(path: str, filters: Mapping[str, str], page: int, total: int) -> dict[str, Any]:
    """Previous/next links of a page of `total` items."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return {
        "page": page,
        "pages": pages,
        "total": total,
        "prev": page_url(path, filters, page - 1) if page > 1 else None,
        "next": page_url(path, filters, page + 1) if page < pages else None,
        "first": page_url(path, filters, 1),
        "past_end": page > pages,
    }


# -- names and texts ---------------------------------------------------------------------------


def full_name(claim: Mapping[str, Any] | None) -> str:
    if not claim:
        return ""
    return " ".join(p for p in (claim.get("given_name"), claim.get("family_name")) if p)


async def names_of(request: Request, pages: PagesDep, claim_ids: list[str]) -> dict[str, str]:
    """claim id -> name, in ONE call to intake (the page's ids; its need to know applies:
    a claim the coach may not see has no name here and shows as its id)."""
    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    found = await pages.optional(
        request, "intake", "/v1/claims", params={"id": ids, "limit": len(ids)}
    )
    return {str(c["id"]): full_name(c) for c in (found or {}).get("items", [])}


# The next actions coaching names (docs/api.md, coaching), as (prefix, text key).
NEXT_ACTIONS = (
    ("await triage", "na_await_triage"),
    ("await intake", "na_await_intake"),
    ("assign coach", "na_assign_coach"),
    ("check-in", "na_check_in"),
    ("plan first contact", "na_plan_first_contact"),
    ("plan next contact", "na_plan_next_contact"),
    ("contact on", "na_contact"),
    ("review overdue activity", "na_review_overdue_activity"),
    ("follow up", "na_follow_up"),
)


def next_action(case: Mapping[str, Any], today: dt.date) -> dict[str, Any] | None:
    """The case's next action as the page shows it: a text key (or coaching's own words
    when it says something new), the task kind it follows up, its day and whether it is late."""
    raw = case.get("next_action")
    if not raw:
        return None
    key = next((k for prefix, k in NEXT_ACTIONS if raw.startswith(prefix)), None)
    day = dt.date.fromisoformat(case["next_action_on"]) if case.get("next_action_on") else None
    kind = raw.removeprefix("follow up ").strip() if key == "na_follow_up" else None
    return {
        "key": key,
        "raw": raw,
        "kind": kind if kind in TASK_KINDS else None,
        "day": day,
        "overdue": day is not None and day < today,
    }


def case_rows(
    items: list[dict[str, Any]], names: Mapping[str, str], today: dt.date
) -> list[dict[str, Any]]:
    rows = []
    for c in items:
        ob = c.get("obligation_status")
        rows.append(
            {
                "case": c,
                "claim_id": str(c["claim_id"]),
                "name": names.get(str(c["claim_id"]), ""),
                "next": next_action(c, today),
                "obligation_key": f"ob_{ob}" if ob in OBLIGATION_STATUSES else None,
                "obligation_raw": ob,
                "opened": local(c.get("opened_at")),
                "first_ww_day": dt.date.fromisoformat(c["first_ww_day"])
                if c.get("first_ww_day")
                else None,
            }
        )
    return rows


# -- pages ---------------------------------------------------------------------------------------


@router.get("/caseload", response_class=HTMLResponse)
async def caseload(request: Request, pages: PagesDep) -> Response:
    pages.require(request, "coach")
    fragment = pages.is_htmx(request)
    template = "coach/caseload_results.html" if fragment else "coach/caseload.html"
    try:
        filters = caseload_filters(request.query_params)
        page = page_number(request.query_params)
    except BadQuery as exc:
        defaults = caseload_filters({})
        bad = pages.render(
            request,
            template,
            400,
            filters=defaults,
            options=_options(),
            bad_query=str(exc),
            rows=[],
            paging=None,
        )
        bad.headers["Vary"] = "HX-Request"
        return bad
    # One call to coaching: the page of cases, with next actions and obligation status.
    result = await pages.get(
        request, "coaching", "/v1/cases", params=coaching_params(filters, page)
    )
    items = result["items"]
    # One call to intake: the names of this page's claimants.
    names = await names_of(request, pages, [str(c["claim_id"]) for c in items])
    today = dt.datetime.now(TZ).date()
    response = pages.render(
        request,
        template,
        filters=filters,
        options=_options(),
        bad_query=None,
        rows=case_rows(items, names, today),
        paging=paging("/caseload", filters, page, int(result["total"])),
    )
    # One URL, two bodies (the page, or htmx's fragment): caches must keep them apart.
    response.headers["Vary"] = "HX-Request"
    return response


def _options() -> dict[str, tuple[str, ...]]:
    return {"segment": SEGMENTS, "status": STATUSES, "no_show": NO_SHOW, "sort": SORTS}


@router.get("/tasks", response_class=HTMLResponse)
async def tasks(request: Request, pages: PagesDep) -> Response:
    pages.require(request, "coach")
    try:
        page = page_number(request.query_params)
    except BadQuery as exc:
        raise PageError(400, "cl_bad_query") from exc
    # One call to coaching (the coach's open tasks, earliest due first), one to intake.
    result = await pages.get(
        request,
        "coaching",
        "/v1/tasks",
        params={"status": "open", "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    )
    items = result["items"]
    names = await names_of(request, pages, [str(t["claim_id"]) for t in items])
    today = dt.datetime.now(TZ).date()
    rows = []
    for task in items:
        due = dt.date.fromisoformat(task["due_on"])
        rows.append(
            {
                "task": task,
                "claim_id": str(task["claim_id"]),
                "name": names.get(str(task["claim_id"]), ""),
                "kind_key": f"tk_kind_{task['kind']}" if task["kind"] in TASK_KINDS else None,
                "due": due,
                "overdue": due < today,
                "period_start": _day(task.get("period_start")),
                "period_end": _day(task.get("period_end")),
            }
        )
    return pages.render(
        request,
        "coach/tasks.html",
        rows=rows,
        paging=paging("/tasks", {}, page, int(result["total"])),
    )


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@router.post("/tasks/{task_id}/done")
async def task_done(
    request: Request,
    task_id: str,
    pages: PagesDep,
    csrf_token: str | None = Form(None),
    note: str | None = Form(None),
    page: str | None = Form(None),
) -> Response:
    pages.require_csrf(request, csrf_token)
    pages.require(request, "coach")
    try:
        tid = uuid.UUID(task_id)
    except ValueError as exc:
        raise PageError(400) from exc
    back = "/tasks"
    if page and page.isascii() and page.isdigit() and 1 < int(page) <= MAX_PAGE:
        back = f"/tasks?page={int(page)}"
    text = (note or "").strip()
    if len(text) > 1000:
        return pages.redirect(request, back, error="tk_note_too_long")
    body = {"note": text} if text else None
    try:
        await pages.send(request, "POST", "coaching", f"/v1/tasks/{tid}/done", json=body)
    except BackendProblem as problem:
        if problem.status >= 500:
            raise
        return pages.redirect(request, back, error=problem)
    return pages.redirect(request, back, ok="tk_done_ok")
