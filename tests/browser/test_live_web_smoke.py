"""The live system for the browser acceptance tests starts and serves a signed-in coach
the intake a registration booked over Kafka (the harness the area tests build on)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.browser import assert_accessible, wait_visible
from tests.support.live_web import LiveWeb
from tests.support.web_pages import sign_in_as_coach

pytestmark = pytest.mark.browser


def test_a_registration_shows_on_the_coachs_intakes(browser: WebDriver, live_web: LiveWeb) -> None:
    coach = live_web.add_coach("ENS", "Smoke Coach")
    claim = live_web.register_claim(postcode="7511 AB", given_name="Rook", family_name="Proef")
    sign_in_as_coach(browser, live_web, coach)
    assert browser.current_url.endswith("/my-intakes")

    def listed() -> bool:
        browser.refresh()
        return claim["id"] in browser.page_source

    live_web.wait_for(listed, what="the booked intake on Mijn intakes")
    assert "Rook Proef" in browser.page_source
    assert_accessible(browser, "live-my-intakes")


def test_the_start_page_and_the_error_pages_are_accessible(
    browser: WebDriver, live_web: LiveWeb
) -> None:
    browser.get(live_web.url("/"))
    wait_visible(browser, "main h1")
    assert "Inloggen" in browser.page_source
    assert_accessible(browser, "home")
    coach = live_web.add_coach("ENS", "Smoke Coach Twee")
    sign_in_as_coach(browser, live_web, coach)
    browser.get(live_web.url("/claims/00000000-0000-4000-8000-000000000000"))
    wait_visible(browser, "main h1")
    assert "Niet gevonden" in browser.find_element(By.CSS_SELECTOR, "main h1").text
    assert_accessible(browser, "error-404")
    browser.get(live_web.url("/office"))  # a team lead's page
    wait_visible(browser, "main h1")
    assert "Geen toegang" in browser.find_element(By.CSS_SELECTOR, "main h1").text
    assert_accessible(browser, "error-403")
    # English is one click away, and the page says so in its lang attribute.
    browser.find_element(By.CSS_SELECTOR, 'form[action="/language"] button').click()
    wait_visible(browser, "main h1")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert_accessible(browser, "error-403-en")
