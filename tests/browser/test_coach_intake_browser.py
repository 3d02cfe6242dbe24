"""Acceptance (issue 15) in a real Chromium over the live system (the services as processes
on PostgreSQL and Kafka, `ww web`): a registration books an intake with the coach; the
coach signs in, sees it on Mijn intakes, completes it with the rights-and-obligations
checklist, opens the claimant page and overrides the segment with a reason. A coach of
another office gets the refusal page; a forged CSRF token on the completion is refused and
the intake stays as it was. axe on every page; screenshots; one tablet check.

Office MDB (postcodes 4300-4599), the other office VNL (5800-6099). Intake accepts a
completion only after the intake's start, and a registration books one in the future: the
test moves the booked intake into the past in intake's database (as the e2e no-show test
does); everything else goes through the pages as a person uses them.

The claim is scored digital service (strong answers); the coach overrides it to personal
service and then sees the case in Mijn caseload (coaching assigns it to the intake's coach).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import create_engine, text

from tests.support.browser import assert_accessible, screenshot, tablet, wait_for, wait_visible
from tests.support.live_web import LiveWeb
from tests.support.web_pages import sign_in_as_coach, wait_for_case_in_caseload

STRONG_ANSWERS: dict[str, Any] = {
    "education_level": "master_or_higher",
    "years_work_history": 20,
    "last_sector": "ict",
    "last_occupation_level": "academic",
    "hours_per_week": 36,
    "self_rated_health": 5,
    "work_limitations": "none",
    "job_search_intention": 5,
    "self_efficacy": 5,
    "expectation": 5,
    "social_network": 5,
    "dutch_language": "native",
    "digital_skills": 5,
    "mobility": "car",
    "driving_licence": True,
    "previous_unemployment_spells": 0,
    "severance_received": True,
    "reservation_wage_ratio": 0.9,
    "months_since_last_training": 6,
    "willing_to_retrain": True,
}

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class IntakeDone:
    """What the scenario leaves behind for the steps after it (the caseload)."""

    coach_id: str
    claim_id: str
    appointment_id: str
    segment_before: str
    segment_after: str
    reason_text: str


def booked_appointment(live: LiveWeb, claim_id: str) -> dict[str, Any]:
    """The claim's intake as intake has it (waits until the registration booked it)."""

    def booked() -> dict[str, Any] | None:
        with live.service("intake") as intake:
            r = intake.get(
                f"/v1/claims/{claim_id}/appointments", headers=live.as_role("admin", sub="t")
            )
        items = r.json() if r.status_code == 200 else []
        return items[-1] if items else None

    found: dict[str, Any] = live.wait_for(booked, what=f"an intake booked for {claim_id}")
    return found


def move_into_the_past(live: LiveWeb, appointment_id: str) -> None:
    """Let the intake have started ten minutes ago (intake completes one only after its
    start). Each test moves one intake of its own coach (a coach's intakes never overlap)."""
    starts = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    engine = create_engine(live.system.db["intake"])
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE appointments SET starts_at = :s, ends_at = :e WHERE id = :i"),
                {"s": starts, "e": starts + dt.timedelta(minutes=45), "i": appointment_id},
            )
    finally:
        engine.dispose()


def appointment_status(live: LiveWeb, appointment_id: str) -> str:
    with live.service("intake") as intake:
        r = intake.get(f"/v1/appointments/{appointment_id}", headers=live.as_role("admin", sub="t"))
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def _listed(browser: WebDriver, needle: str) -> bool:
    browser.refresh()
    return needle in browser.page_source


def coach_completes_intake_and_overrides(browser: WebDriver, live: LiveWeb) -> IntakeDone:
    """The scenario up to the override (the caseload step continues from its result)."""
    coach = live.add_coach("MDB", "Maartje Zeeuw")
    # Strong answers: triage scores the claim digital service (no coach), so the coach's
    # override to personal service is what brings the case into their caseload.
    claim = live.register_claim(
        postcode="4331 AB",
        given_name="Noor",
        family_name="Walcheren",
        questionnaire_answers=STRONG_ANSWERS,
    )
    appt = booked_appointment(live, claim["id"])
    assert appt["coach_id"] == coach

    sign_in_as_coach(browser, live, coach)
    assert browser.current_url.endswith("/my-intakes")
    live.wait_for(lambda: _listed(browser, "Noor Walcheren"), what="the intake on Mijn intakes")
    assert_accessible(browser, "web-my-intakes")

    move_into_the_past(live, appt["id"])  # the meeting has been held
    browser.refresh()
    wait_visible(browser, "main h1")
    link = browser.find_element(By.CSS_SELECTOR, f'a[href="/appointments/{appt["id"]}"]')
    assert "Intake afronden" in link.text  # intake allows the completion now
    assert browser.find_elements(
        By.CSS_SELECTOR, f'form[action="/appointments/{appt["id"]}/no-show"] button'
    )
    link.click()

    wait_visible(browser, "#topic-job_search_obligation")
    assert "Intake van Noor Walcheren" in browser.find_element(By.TAG_NAME, "h1").text
    assert_accessible(browser, "web-coach-intake")
    for topic in ("job_search_obligation", "income_reporting", "suitable_work", "sanctions"):
        browser.find_element(By.CSS_SELECTOR, f'label[for="topic-{topic}"]').click()
    browser.find_element(By.CSS_SELECTOR, 'label[for="regime-regular"]').click()
    browser.find_element(By.CSS_SELECTOR, 'label[for="step-work_plan"]').click()
    browser.find_element(By.ID, "next_step_detail").send_keys("Werkplan met drie sollicitaties")
    browser.find_element(By.ID, "claimant_view").send_keys("Wil graag in de zorg werken")
    screenshot(browser, "web-coach-intake")
    browser.find_element(By.CSS_SELECTOR, ".intake-form button[type=submit]").click()
    wait_for(browser, lambda d: "De intake is afgerond." in d.page_source)
    assert appointment_status(live, appt["id"]) == "completed"
    assert_accessible(browser, "web-coach-intake-done")

    browser.find_element(By.LINK_TEXT, "Naar de klantpagina").click()
    wait_visible(browser, "main h1")
    # Triage scores the registration over Kafka: wait for the score on the page.
    live.wait_for(
        lambda: _listed(browser, 'id="current-segment"') and 'id="segment-' in browser.page_source,
        what="the triage score and the override form on the claimant page",
    )
    before = browser.find_element(By.ID, "current-segment").get_attribute("data-segment") or ""
    after = "personal" if before == "digital" else "digital"
    assert_accessible(browser, "web-claimant-page")

    reason = "Mantelzorg voor haar moeder; wil persoonlijke begeleiding"
    browser.find_element(By.CSS_SELECTOR, f'label[for="segment-{after}"]').click()
    Select(browser.find_element(By.ID, "reason_category")).select_by_value("caregiving")
    browser.find_element(By.ID, "reason_text").send_keys(reason)
    browser.find_element(By.CSS_SELECTOR, ".override-form button[type=submit]").click()
    wait_for(browser, lambda d: "Het segment is aangepast." in d.page_source)
    now = browser.find_element(By.ID, "current-segment")
    assert now.get_attribute("data-segment") == after
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.override-row")
    assert len(rows) == 1
    assert reason in rows[0].text
    assert "Zorg voor anderen" in rows[0].text
    assert_accessible(browser, "web-claimant-page-overridden")
    screenshot(browser, "web-claimant-page")
    with tablet(browser):
        assert_accessible(browser, "web-claimant-page-tablet")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 768, f"the claimant page is {width}px wide on a 768px tablet"
        screenshot(browser, "web-claimant-page-tablet")
    return IntakeDone(coach, claim["id"], appt["id"], before, after, reason)


def test_a_coach_completes_the_intake_and_overrides_the_segment(
    browser: WebDriver, live_web: LiveWeb
) -> None:
    done = coach_completes_intake_and_overrides(browser, live_web)
    assert (done.segment_before, done.segment_after) == ("digital", "personal")
    # triage.overridden crosses Kafka to coaching, which assigns the now personal case to
    # the coach who held the intake (continuity): it appears in their caseload.
    wait_for_case_in_caseload(browser, live_web, done.claim_id)
    row = browser.find_element(By.CSS_SELECTOR, f'a[href="/claims/{done.claim_id}"]')
    assert "Noor Walcheren" in row.text
    assert_accessible(browser, "web-caseload-after-override")
    screenshot(browser, "web-caseload-after-override")


def test_another_office_gets_the_refusal_page_and_a_forged_form_is_refused(
    browser: WebDriver, live_web: LiveWeb
) -> None:
    mdb = live_web.add_coach("MDB", "Maarten Vlissingen")
    vnl = live_web.add_coach("VNL", "Vera Venlo")
    claim = live_web.register_claim(postcode="4381 AB", given_name="Sara", family_name="Domburg")
    appt = booked_appointment(live_web, claim["id"])
    # MDB may hold another coach from the test before: the booking picks either of them.
    assert appt["office_code"] == "MDB"
    mdb = appt["coach_id"]

    # A coach of VNL opens the MDB claimant page: the refusal page, readable, no names.
    sign_in_as_coach(browser, live_web, vnl)
    browser.get(live_web.url(f"/claims/{claim['id']}"))
    heading = wait_visible(browser, "main h1").text
    assert heading in ("Geen toegang", "Niet gevonden")
    assert "Sara" not in browser.page_source
    assert "Domburg" not in browser.page_source
    assert "Traceback" not in browser.page_source
    assert_accessible(browser, "web-claimant-page-refused")

    # The MDB coach's completion form with a forged CSRF token: 403, nothing changed.
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    move_into_the_past(live_web, appt["id"])
    sign_in_as_coach(browser, live_web, mdb)
    browser.get(live_web.url(f"/appointments/{appt['id']}"))
    wait_visible(browser, "#topic-job_search_obligation")
    browser.find_element(By.CSS_SELECTOR, 'label[for="topic-job_search_obligation"]').click()
    browser.find_element(By.CSS_SELECTOR, 'label[for="regime-regular"]').click()
    browser.find_element(By.CSS_SELECTOR, 'label[for="step-follow_up"]').click()
    browser.execute_script(
        "document.querySelector('.intake-form input[name=csrf_token]').value = 'forged'"
    )
    browser.find_element(By.CSS_SELECTOR, ".intake-form button[type=submit]").click()
    wait_for(browser, lambda d: "Het formulier is verlopen of ongeldig" in d.page_source)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Geen toegang"
    assert_accessible(browser, "web-coach-intake-forged")
    assert appointment_status(live_web, appt["id"]) == "booked"

    # Intake's 422 (the job-search obligation must be explained) shown on the form, naming
    # the field, with what was entered kept; the intake still as it was.
    browser.get(live_web.url(f"/appointments/{appt['id']}"))
    wait_visible(browser, "#topic-income_reporting")
    browser.find_element(By.CSS_SELECTOR, 'label[for="topic-income_reporting"]').click()
    browser.find_element(By.CSS_SELECTOR, 'label[for="step-follow_up"]').click()
    browser.find_element(By.ID, "next_step_detail").send_keys("Over twee weken")
    browser.find_element(By.CSS_SELECTOR, ".intake-form button[type=submit]").click()
    alert = wait_visible(browser, "[role=alert]")
    assert "Rechten en plichten" in alert.text
    assert browser.find_element(By.ID, "topic-income_reporting").is_selected()
    assert not browser.find_element(By.ID, "topic-job_search_obligation").is_selected()
    assert browser.find_element(By.ID, "step-follow_up").is_selected()
    assert browser.find_element(By.ID, "next_step_detail").get_attribute("value") == (
        "Over twee weken"
    )
    assert_accessible(browser, "web-coach-intake-422")
    assert appointment_status(live_web, appt["id"]) == "booked"
