"""The web front end in a real browser (issue 15, a first step): `make run`'s system as a
process with its demo data, Debian's Chromium, axe-core on each page, screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.support.browser import assert_accessible, screenshot, tablet, wait_visible
from tests.support.embedded_proc import embedded_system

pytestmark = pytest.mark.browser


def test_a_coach_signs_in_and_sees_the_intakes_and_every_page_is_accessible(
    browser: WebDriver, tmp_path: Path
) -> None:
    with embedded_system(tmp_path, demo=True) as system:
        system.wait_healthy()
        found = system.wait_for(
            lambda: re.search(r"web\s+(http://127\.0\.0\.1:\d+)", system.text()),
            timeout=60,
            what="the web line",
        )
        system.wait_for(
            lambda: "demo data loaded" in system.text(), timeout=90, what="the demo data"
        )
        web = found.group(1)
        # The demo claimants registered their own claims (so they can sign in as claimants).
        assert re.search(
            r"demo data loaded: \d+ coaches with intake agendas, 5 claims", system.text()
        )
        browser.get(f"{web}/dev/sign-in")
        wait_visible(browser, "form")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
        assert_accessible(browser, "dev-sign-in")
        screenshot(browser, "web-dev-sign-in")

        coach = Select(browser.find_element(By.ID, "coach_id"))
        assert len(coach.options) >= 1
        coach.select_by_index(0)
        browser.find_element(By.ID, "coach_id").submit()
        wait_visible(browser, "main")
        assert "/my-intakes" in browser.current_url, browser.current_url
        assert_accessible(browser, "my-intakes")
        screenshot(browser, "web-my-intakes")
        with tablet(browser):
            assert_accessible(browser, "my-intakes-tablet")
            screenshot(browser, "web-my-intakes-tablet")
