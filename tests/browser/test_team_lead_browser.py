"""The team lead in a real Chromium against the live system (services on PostgreSQL and
Kafka, `ww web`): the acceptance scenario of issue 15 "a team lead adds a closure and sees
the affected intakes replanned", axe on every team lead page, screenshots, a tablet check.

Only office EMM (Emmen, postcodes 7700-7999) is used, so other tests' data stays apart."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.browser import assert_accessible, screenshot, tablet, wait_visible
from tests.support.live_web import LiveWeb

pytestmark = pytest.mark.browser

OFFICE = "EMM"
TZ = ZoneInfo("Europe/Amsterdam")


def sign_in_as_team_lead(browser: WebDriver, live: LiveWeb, office: str) -> None:
    """The dev sign-in page as a person uses it: type the office, press the button."""
    browser.get(live.url("/dev/sign-in"))
    field = wait_visible(browser, "#office")
    field.clear()
    field.send_keys(office)
    browser.find_element(By.CSS_SELECTOR, "#office ~ button[type=submit]").click()
    wait_visible(browser, "main h1")


def _start(live: LiveWeb, claim_id: str) -> tuple[str, dt.datetime] | None:
    """The claim's active intake (id, local start), once intake has booked it."""
    with live.service("intake") as intake:
        r = intake.get(
            f"/v1/claims/{claim_id}/appointments", headers=live.as_role("admin", sub="admin")
        )
    assert r.status_code == 200, r.text
    for a in r.json():
        if a["status"] in ("booked", "rescheduled"):
            return a["id"], dt.datetime.fromisoformat(a["starts_at"]).astimezone(TZ)
    return None


def test_a_team_lead_adds_a_closure_and_sees_the_intakes_replanned(
    browser: WebDriver, live_web: LiveWeb
) -> None:
    live_web.add_coach(OFFICE, "Esther Emmen")
    claims = [
        live_web.register_claim(postcode="7811 AA", given_name="Lotte", family_name="Kuipers"),
        live_web.register_claim(postcode="7822 AB", given_name="Sem", family_name="Hoekstra"),
    ]
    # Intake books each registration at once; the coach reached intake over Kafka first.
    booked = [
        live_web.wait_for(lambda c=c: _start(live_web, c["id"]), what="the intake booked")
        for c in claims
    ]
    day = booked[0][1].date()
    on_day = [c for c, b in zip(claims, booked, strict=True) if b[1].date() == day]

    sign_in_as_team_lead(browser, live_web, OFFICE)
    assert browser.current_url.endswith("/office")
    assert "EMM" in browser.find_element(By.CSS_SELECTOR, "main h1").text
    assert_accessible(browser, "web-office-dashboard")
    screenshot(browser, "web-office-dashboard")

    browser.find_element(By.CSS_SELECTOR, 'nav a[href="/office/agendas"]').click()
    wait_visible(browser, "#closure-date")
    assert "Esther Emmen" in browser.page_source
    assert "Lotte Kuipers" in browser.page_source
    # The date input takes the date as the browser's locale types it: set it by script
    # (a person picks it in the date picker; the value sent is the same ISO date).
    browser.execute_script(
        "document.getElementById('closure-date').value = arguments[0]", day.isoformat()
    )
    browser.find_element(By.ID, "closure-reason").send_keys("Stroomstoring")
    browser.find_element(By.ID, "add-closure").click()
    notice = wait_visible(browser, ".notice")
    assert "Sluiting toegevoegd" in notice.text, notice.text

    def replanned() -> bool:
        browser.refresh()
        rows = browser.find_elements(By.CSS_SELECTOR, "#replanned-table tbody tr")
        names = " ".join(r.text for r in rows)
        return all(f"{c['given_name']} {c['family_name']}" in names for c in on_day)

    live_web.wait_for(replanned, what="the closed day's intakes listed as replanned")
    for c in on_day:
        moved = _start(live_web, c["id"])
        assert moved is not None, "the intake was not rebooked"
        assert moved[1].date() != day  # on another day now
        row = next(
            r
            for r in browser.find_elements(By.CSS_SELECTOR, "#replanned-table tbody tr")
            if c["family_name"] in r.text
        )
        assert (
            moved[1].strftime("%d-%m-%Y %H:%M") in row.find_element(By.CSS_SELECTOR, ".tl-new").text
        )
    assert "Stroomstoring" in browser.find_element(By.ID, "closures-table").text
    assert_accessible(browser, "web-office-agendas")
    screenshot(browser, "web-office-agendas")
    with tablet(browser):
        assert_accessible(browser, "web-office-agendas-tablet")
        # Nothing wider than the tablet's viewport: no horizontal scrolling of the page.
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 768, width
        screenshot(browser, "web-office-agendas-tablet")


def test_every_team_lead_page_is_accessible(browser: WebDriver, live_web: LiveWeb) -> None:
    sign_in_as_team_lead(browser, live_web, OFFICE)
    for path, name in (
        ("/office/unplanned", "web-office-unplanned"),
        ("/office/caseload", "web-office-caseload"),
        ("/office/capacity", "web-office-capacity"),
    ):
        browser.get(live_web.url(path))
        wait_visible(browser, "main h1")
        assert "EMM" in browser.find_element(By.CSS_SELECTOR, "main h1").text
        assert_accessible(browser, name)
        screenshot(browser, name)
    # The one-click plan run, as a person presses it.
    browser.get(live_web.url("/office/unplanned"))
    browser.find_element(By.ID, "plan-now").click()
    notice = wait_visible(browser, ".notice")
    assert "Ingepland" in notice.text, notice.text
    with tablet(browser):
        browser.get(live_web.url("/office/capacity"))
        wait_visible(browser, "main h1")
        assert_accessible(browser, "web-office-capacity-tablet")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 768, width
