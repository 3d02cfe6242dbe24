"""The coach's pages: the week's intakes and the claimant page (staff)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web.i18n import register
from web.pages import TZ, PagesDep, local

router = APIRouter()

register({"nl": {}, "en": {}})


def bars(contributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Contributions with their bar geometry (percent of the largest magnitude)."""
    biggest = max((abs(float(c["contribution"])) for c in contributions), default=0.0) or 1.0
    return [
        {**c, "pct": round(abs(float(c["contribution"])) / biggest * 50, 1)}
        for c in sorted(contributions, key=lambda c: -abs(float(c["contribution"])))
    ]


@router.get("/my-intakes", response_class=HTMLResponse)
async def my_intakes(request: Request, pages: PagesDep) -> Response:
    session = pages.require(request, "coach")
    today = dt.datetime.now(TZ).date()
    # "This week" is the coming seven days: on a Friday the next intakes are on Monday.
    week_end = today + dt.timedelta(days=7)
    # One round trip to intake (issue 15): the coach's appointments of these days with
    # the claimants' names. Seven days are at most a few dozen intakes, well within a page.
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
            }
        )
    rows.sort(key=lambda r: r["starts"])
    return pages.render(
        request,
        "coach/my_intakes.html",
        today_rows=[r for r in rows if r["starts"].date() == today],
        week_rows=[r for r in rows if r["starts"].date() != today],
    )


@router.get("/claims/{claim_id}", response_class=HTMLResponse)
async def claim_page(request: Request, claim_id: uuid.UUID, pages: PagesDep) -> Response:
    session = pages.require(request, "coach", "team_lead", "admin")
    cid = str(claim_id)
    # The claim first: its 403/404 decides the page before anything else is shown.
    claim = await pages.get(request, "intake", f"/v1/claims/{cid}")
    appointments, explanation, messages = await asyncio.gather(
        pages.get(request, "intake", f"/v1/claims/{cid}/appointments"),
        pages.optional(
            request, "triage", f"/v1/claims/{cid}/explanation", params={"lang": session.lang}
        ),
        pages.optional(request, "intake", f"/v1/claims/{cid}/messages", params={"limit": 50}),
    )
    for a in appointments:
        a["starts"] = local(a["starts_at"])
    return pages.render(
        request,
        "coach/claim.html",
        claim=claim,
        appointments=appointments,
        explanation=explanation,
        bars=bars(explanation["contributions"]) if explanation else [],
        messages=(messages or {}).get("items", []),
    )
