"""Acceptance (issue 15): a claimant reschedules their intake, in a real browser against the
real services on PostgreSQL and Kafka, and the rescheduled e-mail reaches a real SMTP sink.
The claimant registered the claim themselves (so intake knows it is theirs) in Maastricht
(MST); the other claimant pages are checked with axe and photographed, one on a tablet."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from shared.clock import local_today
from shared.testdata import synthetic_bsn
from tests.support.browser import assert_accessible, screenshot, tablet, wait_visible
from tests.support.live_web import LiveWeb
from tests.support.tokens import Tokens

pytestmark = pytest.mark.browser


def _claimant_registers(live: LiveWeb, subject: str, email: str) -> dict[str, Any]:
    """The claimant's own registration (channel `claimant`, their subject on the claim)."""
    bsn = synthetic_bsn(live.rng)
    header = Tokens.header(live.tokens.user("claimant", sub=subject, office=None))
    body = {
        "given_name": "Lotte",
        "family_name": "Meulenberg",
        "date_of_birth": "1991-07-21",
        "first_ww_day": local_today().isoformat(),
        "postcode": "6221 BC",
        "email": email,
        "contact_preference": "email",
    }
    with live.service("intake") as intake:
        r = intake.post(
            "/v1/claims",
            json=body,
            headers={**live.tokens.signed_in(header, bsn), "Idempotency-Key": str(uuid.uuid4())},
        )
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "claimant"
    return {**r.json(), "bsn": bsn}


def _sign_in_as_claimant(browser: WebDriver, live: LiveWeb, subject: str, bsn: str) -> None:
    browser.get(live.url("/dev/sign-in"))
    wait_visible(browser, "#subject")
    browser.find_element(By.ID, "subject").send_keys(subject)
    browser.find_element(By.ID, "bsn").send_keys(bsn)
    browser.find_element(By.CSS_SELECTOR, "#bsn ~ button[type=submit]").click()
    wait_visible(browser, "main h1")


def test_a_claimant_reschedules_their_intake(browser: WebDriver, live_web: LiveWeb) -> None:
    coach = live_web.add_coach("MST", "Mieke Claessens")
    # Not today: an intake this afternoon is inside the claimant's cut-off (intake then
    # refuses to move it); the agenda is replaced, so intake regenerates the slots.
    lead = live_web.as_role("team_lead", sub="lead-mst", office="MST")
    blocks = [
        {"weekday": d, "start_time": "09:00", "end_time": "16:00", "office_code": "MST"}
        for d in range(5)
        if d != local_today().weekday()
    ]
    with live_web.service("intake") as intake:
        r = intake.put(f"/v1/coaches/{coach}/agenda", json={"blocks": blocks}, headers=lead)
        assert r.status_code == 200, r.text
    subject = f"claimant-mst-{uuid.uuid4().hex[:8]}"
    email = f"{subject}@example.org"
    claim = _claimant_registers(live_web, subject, email)

    _sign_in_as_claimant(browser, live_web, subject, claim["bsn"])
    assert browser.current_url.endswith("/me")

    def booked() -> bool:
        browser.refresh()
        return bool(browser.find_elements(By.ID, "intake-when"))

    live_web.wait_for(booked, what="the intake booked for the claimant's claim")
    before = browser.find_element(By.ID, "intake-when").text
    assert "Maastricht" in browser.page_source
    assert browser.find_element(By.ID, "intake-status").text == "Gepland"
    assert browser.find_element(By.ID, "intake-coach").text == "Mieke, werkcoach"
    assert_accessible(browser, "web-claimant-intake")
    screenshot(browser, "web-claimant-intake")

    browser.find_element(By.LINK_TEXT, "Andere tijd kiezen").click()
    wait_visible(browser, "input[name=slot_id]")
    assert_accessible(browser, "web-claimant-reschedule")
    options = browser.find_elements(By.CSS_SELECTOR, "input[name=slot_id]")
    choice = options[-1]
    label = browser.find_element(By.CSS_SELECTOR, f"label[for='{choice.get_attribute('id')}']")
    picked = label.text
    label.click()  # as a person does: on the words, not the small circle
    assert choice.is_selected()
    browser.find_element(By.XPATH, "//button[normalize-space()='Deze tijd kiezen']").click()
    wait_visible(browser, ".notice-ok")
    assert browser.current_url.endswith("/me")
    assert "Uw afspraak is verzet." in browser.find_element(By.CSS_SELECTOR, ".notice-ok").text
    after = browser.find_element(By.ID, "intake-when").text
    assert after != before
    assert after == picked.split(" · ")[0]
    assert browser.find_element(By.ID, "intake-status").text == "Verzet"
    assert_accessible(browser, "web-claimant-intake-rescheduled")

    def rescheduled_mail() -> Any:
        for m in live_web.mail.messages():
            if email in m.rcpt_tos and (m.subject or "").startswith("Uw gesprek is verzet"):
                return m
        return None

    mail = live_web.wait_for(rescheduled_mail, timeout=60, what="the rescheduled e-mail")
    text = mail.message().get_body(preferencelist=("plain",)).get_content()
    assert "U heeft uw gesprek met de werkcoach verzet." in text
    time_of_day = after.rsplit(", ", 1)[1].split(" ")[0]  # "14:00" of "... 2026, 14:00 tot 14:45"
    assert time_of_day in (mail.subject or "")

    # The cancel confirmation (nothing cancelled: the claimant goes back).
    browser.find_element(By.LINK_TEXT, "Afspraak afzeggen").click()
    wait_visible(browser, "#reason_text")
    assert_accessible(browser, "web-claimant-cancel")
    browser.find_element(By.LINK_TEXT, "Nee, terug naar mijn afspraak").click()
    wait_visible(browser, "#intake-status")
    assert browser.find_element(By.ID, "intake-status").text == "Verzet"

    # My messages: the invitation and the rescheduled message, with the text readable.
    browser.find_element(By.LINK_TEXT, "Mijn berichten").click()
    wait_visible(browser, "main h1")

    def both_listed() -> bool:
        browser.refresh()
        return "Uw gesprek is verzet" in browser.page_source

    live_web.wait_for(both_listed, what="the rescheduled message in Mijn berichten")
    assert_accessible(browser, "web-claimant-messages")
    screenshot(browser, "web-claimant-messages")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Uw gesprek is verzet").click()
    wait_visible(browser, ".me-letter")
    assert (
        "U heeft uw gesprek met de werkcoach verzet."
        in browser.find_element(By.CSS_SELECTOR, ".me-letter").text
    )
    assert_accessible(browser, "web-claimant-message")

    # My questionnaire: fieldsets with legends; answered and sent.
    browser.find_element(By.LINK_TEXT, "Mijn vragenlijst").click()
    wait_visible(browser, "form.me-questionnaire")
    assert_accessible(browser, "web-claimant-questionnaire")
    screenshot(browser, "web-claimant-questionnaire")
    for fs in browser.find_elements(By.CSS_SELECTOR, "form.me-questionnaire fieldset"):
        radios = fs.find_elements(By.CSS_SELECTOR, "input[type=radio]")
        if radios:
            label_for = radios[-1].get_attribute("id")
            fs.find_element(By.CSS_SELECTOR, f"label[for='{label_for}']").click()
        else:
            number = fs.find_element(By.CSS_SELECTOR, "input[type=number]")
            number.send_keys(number.get_attribute("min") or "1")
    browser.find_element(By.XPATH, "//button[normalize-space()='Vragenlijst opsturen']").click()
    wait_visible(browser, ".notice")
    assert "Uw antwoorden zijn opgeslagen" in browser.page_source, browser.find_element(
        By.CSS_SELECTOR, ".notice"
    ).text
    assert browser.find_elements(By.ID, "prefilled")  # the form shows the answers in force
    assert browser.find_elements(By.CSS_SELECTOR, "input[type=radio]:checked")
    assert_accessible(browser, "web-claimant-questionnaire-answered")

    # My work plan on a tablet: report an application.
    with tablet(browser):
        browser.find_element(By.LINK_TEXT, "Mijn werkplan").click()
        wait_visible(browser, "main h1")

        def case_open() -> bool:
            browser.refresh()
            return bool(browser.find_elements(By.ID, "employer"))

        live_web.wait_for(case_open, what="the claimant's case in coaching")
        browser.find_element(By.ID, "employer").send_keys("Boekhandel Dominicanen")
        browser.find_element(By.XPATH, "//button[normalize-space()='Doorgeven']").click()
        wait_visible(browser, ".notice-ok")
        assert "Boekhandel Dominicanen" in browser.page_source
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 768, f"the work plan scrolls sideways on a tablet ({width}px)"
        assert_accessible(browser, "web-claimant-work-plan-tablet")
        screenshot(browser, "web-claimant-work-plan-tablet")
    browser.refresh()
    wait_visible(browser, "main h1")
    assert_accessible(browser, "web-claimant-work-plan")
    screenshot(browser, "web-claimant-work-plan")
