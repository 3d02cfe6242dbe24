"""Steps on the web's pages that several browser tests share (as a person does them).

from tests.support.web_pages import sign_in_as_coach, wait_for_case_in_caseload

sign_in_as_coach(browser, live_web, coach_id)
wait_for_case_in_caseload(browser, live_web, claim_id)  # on Mijn caseload, over Kafka
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from shared.clock import local_today
from tests.support.browser import wait_visible
from tests.support.live_web import LiveWeb

# A complete questionnaire with weak answers: triage's active model scores it (a final
# score), personal service, so coaching assigns the case to a coach of the office at once
# (without it a personal case waits for the intake to be held).
WEAK_ANSWERS: dict[str, Any] = {
    "education_level": "primary",
    "years_work_history": 2,
    "last_sector": "healthcare",
    "last_occupation_level": "elementary",
    "hours_per_week": 36,
    "self_rated_health": 1,
    "work_limitations": "severe",
    "job_search_intention": 1,
    "self_efficacy": 1,
    "expectation": 1,
    "social_network": 1,
    "dutch_language": "basic",
    "digital_skills": 1,
    "mobility": "limited",
    "driving_licence": False,
    "previous_unemployment_spells": 4,
    "severance_received": False,
    "reservation_wage_ratio": 1.3,
    "months_since_last_training": 60,
    "willing_to_retrain": False,
}


def sign_in_as_coach(browser: WebDriver, live: LiveWeb, coach_id: str) -> None:
    """The dev sign-in page: pick the coach, press the button (lands on Mijn intakes)."""
    browser.get(live.url("/dev/sign-in"))
    wait_visible(browser, "#coach_id")
    Select(browser.find_element(By.ID, "coach_id")).select_by_value(coach_id)
    browser.find_element(By.CSS_SELECTOR, "#coach_id ~ button[type=submit]").click()
    wait_visible(browser, "main h1")


def register_personal_claim(
    live: LiveWeb,
    *,
    postcode: str,
    family_name: str,
    given_name: str = "Klant",
    first_ww_day: dt.date | None = None,
) -> dict[str, Any]:
    """A registration that becomes a personal case with a coach as soon as it is scored."""
    return live.register_claim(
        postcode=postcode,
        given_name=given_name,
        family_name=family_name,
        first_ww_day=first_ww_day or local_today(),
        date_of_birth="1963-05-01",
        questionnaire_answers=WEAK_ANSWERS,
    )


def _caseload_lists(browser: WebDriver, live: LiveWeb, claim_id: str, max_pages: int) -> bool:
    """Mijn caseload (open cases, newest first) and its next pages, looking for the claim."""
    browser.get(live.url("/caseload?status=open&sort=-opened_at&page=1"))
    for _ in range(max_pages):
        wait_visible(browser, "main h1")
        if browser.find_elements(By.CSS_SELECTOR, f'a[href="/claims/{claim_id}"]'):
            return True
        nxt = browser.find_elements(By.CSS_SELECTOR, '.cl-paging a[rel="next"]')
        if not nxt:
            return False
        href = nxt[0].get_attribute("href")
        if not href:
            return False
        browser.get(href)  # a plain navigation: no wait on htmx's swap
    return False


def wait_for_case_in_caseload(
    browser: WebDriver,
    live: LiveWeb,
    claim_id: str,
    *,
    timeout: float = 60,
    max_pages: int = 40,
) -> None:
    """Wait until the signed-in coach's Mijn caseload lists the claim (its case reached
    coaching over Kafka and was assigned to this coach); reloads the page each try. Leaves
    the browser on the caseload page that shows the claim's row."""
    live.wait_for(
        lambda: _caseload_lists(browser, live, claim_id, max_pages),
        timeout=timeout,
        what=f"claim {claim_id} in Mijn caseload",
    )
