"""Mijn caseload and Mijn taken in a real browser over the live system (services on
PostgreSQL and Kafka, `ww web`): 27 registrations in Leeuwarden reach coaching over Kafka and
become the coach's cases; the coach filters and sorts (htmx swaps the table, the address bar
keeps the filters), pages with Previous/Next, and marks a task done; axe on every page, a
tablet check, screenshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from shared.clock import local_today
from tests.support.browser import assert_accessible, screenshot, tablet, wait_for, wait_visible
from tests.support.live_web import LiveWeb
from tests.support.web_pages import (
    register_personal_claim,
    sign_in_as_coach,
    wait_for_case_in_caseload,
)

pytestmark = pytest.mark.browser

OFFICE = "LWD"
POSTCODE = "8911 AB"  # Leeuwarden
CASES = 27  # two pages of 25
TASKS = 2


def _family(i: int) -> str:
    return f"Brows{chr(65 + i // 10)}{chr(97 + i % 10)}"  # letters only, in the order of i


def _families(browser: WebDriver) -> list[str]:
    cells = browser.find_elements(By.CSS_SELECTOR, ".cl-table tbody th[scope=row] a")
    return [c.text.removeprefix("Klant ") for c in cells]


def _text(browser: WebDriver) -> str:
    return str(browser.find_element(By.TAG_NAME, "main").text)


def _no_page_overflow(browser: WebDriver) -> bool:
    width = browser.execute_script("return document.documentElement.scrollWidth")
    inner = browser.execute_script("return window.innerWidth")
    return bool(int(width) <= int(inner))


def _set_up_tasks(live_web: LiveWeb, claim_ids: list[str]) -> None:
    """The regular job-search regime from the first WW day on these cases, then the daily
    evaluation: each closed 4-week period without activity becomes a coach task."""
    admin = live_web.as_role("admin", sub="admin-caseload-browser")
    with live_web.service("coaching") as coaching:
        for claim_id in claim_ids:
            case = coaching.get(f"/v1/cases/{claim_id}", headers=admin).json()
            r = coaching.put(
                f"/v1/cases/{claim_id}/obligation/regime",
                json={
                    "regime": "regular",
                    "effective_from": case["first_ww_day"],
                    "reason": "checklist at the intake",
                },
                headers=admin,
            )
            assert r.status_code == 200, r.text
        r = coaching.post("/v1/admin/obligations/evaluate", headers=admin)
        assert r.status_code == 200, r.text


def test_the_coach_filters_pages_and_marks_a_task_done(
    browser: WebDriver, live_web: LiveWeb
) -> None:
    today = local_today()
    coach = live_web.add_coach(OFFICE, "Wietske Hoekstra")
    claims: list[dict[str, Any]] = [
        register_personal_claim(
            live_web,
            postcode=POSTCODE,
            family_name=_family(i),
            first_ww_day=today - dt.timedelta(days=35 + i),
        )
        for i in range(CASES)
    ]
    sign_in_as_coach(browser, live_web, coach)

    # Over Kafka: registered -> scored (personal, final) -> assigned to the office's coach.
    wait_for_case_in_caseload(browser, live_web, claims[-1]["id"])

    def all_listed() -> bool:
        browser.get(live_web.url("/caseload"))
        return f"{CASES} zaken, pagina 1 van 2" in _text(browser)

    live_web.wait_for(all_listed, timeout=60, what="all 27 cases in Mijn caseload")
    # The tasks need the cases in coaching (they are: the coach sees them all).
    _set_up_tasks(live_web, [c["id"] for c in claims[:TASKS]])

    def task_shown() -> bool:
        browser.get(live_web.url("/caseload?sort=-first_ww_day"))
        return _text(browser).count("Sollicitatieplicht niet nagekomen") == TASKS

    live_web.wait_for(task_shown, timeout=30, what="the next action of the tasks")
    assert len(_families(browser)) == 25
    assert _families(browser)[:3] == [_family(0), _family(1), _family(2)]
    assert "Niet voldaan" in _text(browser)
    assert "Eerste contact plannen" in _text(browser)
    assert_accessible(browser, "caseload")
    screenshot(browser, "web-caseload")
    with tablet(browser):
        assert_accessible(browser, "caseload-tablet")
        assert _no_page_overflow(browser), "the caseload is wider than a tablet"
        # The table scrolls inside its own region, which takes the keyboard focus.
        region = browser.find_element(By.CSS_SELECTOR, ".cl-scroll")
        assert region.get_attribute("tabindex") == "0"
        screenshot(browser, "web-caseload-tablet")

    # Sorting with htmx: the table is swapped in place, the address bar keeps the sort.
    heading = browser.find_element(By.TAG_NAME, "h1")
    Select(browser.find_element(By.ID, "cl-sort")).select_by_value("first_ww_day")
    wait_for(browser, lambda b: "sort=first_ww_day" in b.current_url)
    wait_for(browser, lambda b: _families(b)[:1] == [_family(CASES - 1)])
    assert browser.find_element(By.TAG_NAME, "h1") == heading  # no page load: a swap
    assert_accessible(browser, "caseload-sorted")

    # Next: the second page, the sort kept in the link and in the address bar.
    browser.find_element(By.CSS_SELECTOR, '.cl-paging a[rel="next"]').click()
    wait_for(browser, lambda b: "page=2" in b.current_url and "sort=first_ww_day" in b.current_url)
    wait_for(browser, lambda b: f"{CASES} zaken, pagina 2 van 2" in _text(b))
    assert _families(browser) == [_family(1), _family(0)]
    assert_accessible(browser, "caseload-page-2")
    browser.find_element(By.CSS_SELECTOR, '.cl-paging a[rel="prev"]').click()
    wait_for(browser, lambda b: "pagina 1 van 2" in _text(b))

    # A filter that leaves nothing, then back; the plain URL (no JavaScript) works the same.
    Select(browser.find_element(By.ID, "cl-segment")).select_by_value("digital")
    wait_for(browser, lambda b: "Geen zaken met deze filters." in _text(b))
    assert "segment=digital" in browser.current_url
    browser.get(live_web.url("/caseload?segment=personal&status=open&sort=-first_ww_day&page=2"))
    wait_visible(browser, "main h1")
    assert _families(browser) == [_family(i) for i in range(25, CASES)]
    browser.get(live_web.url("/caseload?sort=bsn"))
    assert "Deze filter- of paginawaarde bestaat niet" in _text(browser)
    assert_accessible(browser, "caseload-bad-query")

    # Mijn taken: the two tasks; one marked done with a note.
    browser.get(live_web.url("/caseload"))
    browser.find_element(By.LINK_TEXT, "Mijn taken").click()
    wait_visible(browser, "main h1")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Mijn taken"
    forms = browser.find_elements(By.CSS_SELECTOR, "form.tk-done")
    assert len(forms) == TASKS
    assert "Klant Brows" in _text(browser)
    assert_accessible(browser, "tasks")
    screenshot(browser, "web-tasks")
    with tablet(browser):
        assert _no_page_overflow(browser), "the task list is wider than a tablet"
        assert_accessible(browser, "tasks-tablet")
    note = forms[0].find_element(By.CSS_SELECTOR, "input[name=note]")
    note.send_keys("Gebeld, sollicitaties volgen")
    forms[0].find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    notice = wait_visible(browser, ".notice-ok")
    assert notice.text == "De taak is afgehandeld."
    assert len(browser.find_elements(By.CSS_SELECTOR, "form.tk-done")) == TASKS - 1
    assert_accessible(browser, "tasks-after-done")
    with live_web.service("coaching") as coaching:
        done = coaching.get(
            "/v1/tasks",
            params={"status": "done"},
            headers=live_web.as_role("coach", sub=coach, office=OFFICE),
        ).json()["items"]
    assert [t["note"] for t in done] == ["Gebeld, sollicitaties volgen"]
